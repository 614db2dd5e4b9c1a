"""The IDs of one call, looked for in everything the call sends.

A caller who echoes its own IDs into properties (``{"owner": user_id}``, ``{user_id: 3}``,
``f"signup_{user_id}"``) would send them in clear. ``GatherIds`` collects, per draft, the
call's raw ``user_id`` and ``developer_id``, the ones an identity object gave (its external
user ID and API key when it carries them: ``pipeline.shaping`` hands them over in
``draft["call_ids"]``), and this installation's own secrets (the settings marked secret:
destination API keys, ``TELEMETRY_SECRET``, the admin token). The filters then ask
``CallIds``, once per event (``in_event``) and item by item only when that says yes:

- opensource (``privacy.FilterPersonalData``): a value, key or event name that is, or
  contains, one of them is removed (``pii_removed:call_id``; the name becomes ``unknown``);
- cloud (``privacy.StripSecrets``): the IDs appear only where the seed guide puts them
  (``end_user_id``, ``developer_id``, the primary ID, added after this check); a value equal
  to one or a key containing one is removed, and inside a longer text (the event name too)
  each one becomes ``[REDACTED]`` (``call_ids_removed``).

Matching ignores case. An ID shorter than ``MIN_LENGTH`` characters is not looked for (``"1"``
would remove every 1); one is looked for inside other text from ``MIN_CONTAINED`` characters;
a number (from ``MIN_NUMBER`` on) matches when it equals a numeric ID or a run of four or more
digits of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from typing import Any
from uuid import UUID

import orjson

from tenantry.limits import MAX_ID

__all__ = ["CallIds", "GatherIds", "as_id"]

MIN_LENGTH = 3
MIN_CONTAINED = 4
MIN_SECRET = 8  # a configured secret shorter than this is not looked for
MIN_NUMBER = 1000  # a number below this identifies nobody (and equals no bool)
_DIGIT_RUN = re.compile(r"\d{4,}")
_MEMO_SIZE = 1024  # distinct sets of IDs whose CallIds are kept


def as_id(value: Any) -> str | None:
    """An ID as text: ``str`` (cut at ``MAX_ID``), ``int``, ``UUID``, ``bytes`` and enums give
    their text; ``None``, empty strings, bools and other objects are "not given"."""
    if value is None:
        return None
    if type(value) is str:
        return value[:MAX_ID] or None
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int | UUID):
        return str(value)[:MAX_ID] or None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")[:MAX_ID] or None
    if isinstance(value, Enum):
        return as_id(value.value)
    return None


class CallIds:
    """The IDs to look for: lower-cased (``exact``; ``parts``: those looked for inside other
    text), as integers (``numbers``), as given (``originals``, longest first, for masking), and
    as ``needles`` for ``in_event``."""

    __slots__ = ("exact", "parts", "numbers", "originals", "needles", "escaped", "last_clean")

    def __init__(self, ids: Iterable[str], secrets: Iterable[str] = ()) -> None:
        found = [i for i in ids if len(i) >= MIN_LENGTH]
        lowered = {i.lower() for i in found}
        lowered.update(s.lower() for s in secrets)
        self.exact = frozenset(lowered)
        self.parts = tuple(i for i in lowered if len(i) >= MIN_CONTAINED)
        self.numbers = frozenset(
            n
            for i in found
            if any(ch.isdigit() for ch in i)
            for n in map(int, _numbers(i))
            if n >= MIN_NUMBER
        )
        self.originals = tuple(sorted({*found, *secrets}, key=len, reverse=True))
        # In the JSON of an event: a long ID anywhere, a short one as a whole string, a number.
        short = {f'"{i}"' for i in lowered if len(i) < MIN_CONTAINED}
        self.needles = (*self.parts, *short, *(str(n) for n in self.numbers))
        # an ID that JSON writes escaped cannot be looked for in it
        self.escaped = any(ch in '"\\' or ch < " " for i in lowered for ch in i)
        # the last event found to hold none: the same event again (a call's events repeat)
        # is answered by one comparison
        self.last_clean: tuple[str, dict] | None = None

    def __bool__(self) -> bool:
        return bool(self.exact)

    def in_event(self, name: str, props: dict) -> bool:
        """Whether one of the IDs may be in the event: its name or any key, string or number of
        its properties (JSON-safe, as coerced). One serialisation and one search per event, so
        an event costs the same however many texts it has; a yes (seldom: also a longer number
        that holds a numeric ID, or an ID JSON escapes) sends the filters item by item."""
        last = self.last_clean
        if last is not None and last[0] == name and last[1] == props:
            return False
        if self.escaped:
            return True
        try:
            blob = orjson.dumps((name, props)).decode().lower()
        except Exception:
            return True
        for needle in self.needles:  # noqa: SIM110 - a loop: no generator on the hot path
            if needle in blob:
                return True
        self.last_clean = (name, props.copy())
        return False

    def found_in(self, text: str) -> bool:
        """``text`` is, or contains, one of the IDs (any case)."""
        low = text.lower()
        return low in self.exact or any(part in low for part in self.parts)

    def is_number(self, value: int | float) -> bool:
        """``value`` is one of the IDs written as a number (``12345``, ``12345.0``)."""
        if type(value) is float:
            if not value.is_integer():
                return False
            value = int(value)
        return value in self.numbers or -value in self.numbers

    def masked(self, text: str, replacement: str) -> str | None:
        """``text`` with each ID in it replaced by ``replacement``; None when ``text`` is one
        of the IDs, or holds one in a spelling that cannot be cut out exactly."""
        if text.lower() in self.exact:
            return None
        for original in self.originals:
            if original in text:
                text = text.replace(original, replacement)
        return None if self.found_in(text) else text


def _numbers(text: str) -> list[str]:
    """The numbers an ID may be written as: itself when it is all digits, and its runs of four
    or more digits (``usr_12345`` -> ``12345``)."""
    runs = _DIGIT_RUN.findall(text)
    return [text, *runs] if text.isdigit() else runs


class GatherIds:
    """Processor, first in the chain: the call's IDs. ``user_id``/``developer_id`` become
    ``str`` or ``None`` (``as_id``: empty strings, bools and other objects are "not given";
    ints, UUIDs, bytes, enums give their text), are swapped back when ``swap`` (the seed
    guide's rule, ``processors.FixSwappedIds``) says they look swapped, and
    ``draft["call_ids"]`` becomes the ``CallIds`` to look for (None when there are none):
    those two, the raw IDs ``pipeline.shaping`` passed in ``draft["call_ids"]`` (a tuple of any
    values), and ``secrets``. Memoised per distinct set of IDs (calls repeat their IDs)."""

    def __init__(self, secrets: Iterable[Any] = (), *, swap: Any = None) -> None:
        self.secrets = tuple(s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET)
        self.swap = swap
        self._memo: dict[tuple, tuple[CallIds | None, bool]] = {}

    def __call__(self, draft: dict) -> dict:
        uid, did = draft.get("user_id"), draft.get("developer_id")
        if type(uid) is not str or not uid:
            draft["user_id"] = uid = as_id(uid)
        if type(did) is not str or not did:
            draft["developer_id"] = did = as_id(did)
        raw = draft.get("call_ids")
        key = (uid, did) if type(raw) is not tuple else (uid, did, *map(as_id, raw))
        known = self._memo.get(key)
        if known is None:
            ids = CallIds([i for i in key if i is not None], self.secrets) or None
            known = (ids, self.swap is not None and self.swap.swapped(uid, did))
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = known
        draft["call_ids"], swapped = known
        if swapped:
            draft["user_id"], draft["developer_id"] = did, uid
            self.swap.note()
        return draft
