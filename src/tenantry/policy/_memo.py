"""Bounded memos for the detectors in ``pii`` and ``credentials``: telemetry repeats its keys
and values, so each verdict is computed once per distinct input and then looked up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SIZE = 8192  # entries per memo; a full memo starts over


class Memo(dict):
    """``memo[key]``: ``compute(key)``, computed on the first look-up and kept (keys longer than
    ``longest`` are computed every time, never kept)."""

    __slots__ = ("compute", "size", "longest")

    def __init__(self, compute: Callable[[Any], Any], size: int, longest: int | None) -> None:
        super().__init__()
        self.compute = compute
        self.size = size
        self.longest = longest

    def __missing__(self, key: Any) -> Any:
        value = self.compute(key)
        if self.longest is None or len(key) <= self.longest:
            if len(self) >= self.size:
                self.clear()
            self[key] = value
        return value


def memoised(*, longest: int | None = None, size: int = SIZE) -> Callable[[Callable], Callable]:
    """Decorator: the function, answered from a bounded memo of its one argument (see
    ``Memo``). What it returns is the memo's own ``__getitem__``: a look-up that runs no Python
    code when the answer is known (the processors call these once per key and value), and that
    keeps the function as ``__self__.compute``."""

    def wrap(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return Memo(compute, size, longest).__getitem__

    return wrap
