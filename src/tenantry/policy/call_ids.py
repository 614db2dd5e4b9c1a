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

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable
from enum import Enum
from typing import Any
from uuid import UUID

import orjson

from tenantry.limits import MAX_ID

__all__ = ["CallIds", "GatherIds", "Secrets", "as_id"]

MIN_LENGTH = 3
MIN_CONTAINED = 4
MIN_SECRET = 8  # a configured secret shorter than this is not looked for
MIN_NUMBER = 1000  # a number below this identifies nobody (and equals no bool)
MIN_PART = 5  # a text this long that is part of an ID (or of its digest) is refused
MIN_PART_NUMBER = 10_000  # ... and a number with this many digits
# The longest part of a digest that can reach a filter's part check: ``harmless`` refuses hex of
# eight or more characters that mixes letters and digits (``pii``: "hex") before it is asked.
DIGEST_PART = 7
_DIGIT_RUN = re.compile(r"\d{4,}")
_HEXISH = re.compile(r"[0-9a-fA-F]+")
_NONE: frozenset[int] = frozenset()
_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what JSON writes escaped
_MEMO_SIZE = 4096  # distinct sets of IDs whose CallIds are kept
# verdicts of ``holds_part`` kept per CallIds: with up to ``_MEMO_SIZE`` of them alive, 4096 each
# came to 1.3 GiB at worst (bench/memo_bytes.py); 64 each is at most ~25 MiB in all
_PARTS_SIZE = 64


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


class Secrets:
    """This installation's secrets as ``CallIds`` looks for them, made once per chain."""

    __slots__ = ("values", "needles", "escaped")

    def __init__(self, values: Iterable[Any] = ()) -> None:
        self.values = tuple(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET)
        self.needles = tuple(v.lower() for v in self.values)
        self.escaped = any(_ESCAPED.search(v) for v in self.values)


NO_SECRETS = Secrets()


class _Parts(dict):
    """The verdicts of ``CallIds.holds_part`` for one set of IDs, at most ``_PARTS_SIZE`` of
    them (a dict: a known text is looked up in C), and the haystacks they are searched in, made
    on first use. Holds the IDs, never the ``CallIds`` (no reference cycle to collect). Its own
    ``__missing__``, not a ``_memo.Memo`` over a search object: one object per ``CallIds``
    instead of two, which a new user's first event pays for in the GC (+3 us, measured)."""

    __slots__ = ("ids", "limit", "_hay", "_digest_hay")

    def __init__(self, ids: tuple[str, ...]) -> None:
        super().__init__()
        self.ids = ids
        self.limit = max(DIGEST_PART, *map(len, ids)) if ids else DIGEST_PART
        self._hay: tuple[str, str] | None = None
        self._digest_hay: str | None = None

    def __missing__(self, text: str) -> bool:
        n = len(text)
        if n < MIN_PART or (n > self.limit and _HEXISH.fullmatch(text) is None):
            known = False  # too short, or longer than every ID and no digest's part
        else:
            low = text.lower()
            known = low in self.haystack()[0] or (
                _HEXISH.fullmatch(low) is not None and low in self._digests()
            )
        if len(self) < _PARTS_SIZE:
            self[text] = known
        return known

    def haystack(self) -> tuple[str, str]:
        """``(texts, digits)``: the call's IDs in lower case and each written backwards; their
        runs of digits. Made on first use (opensource only asks)."""
        if self._hay is None:
            low = [i.lower() for i in self.ids]
            texts = "\x00".join(low + [i[::-1] for i in low])
            self._hay = (texts, "\x00".join(_DIGIT_RUN.findall("\x00".join(self.ids))))
        return self._hay

    def _digests(self) -> str:
        """The hex digests (MD5, SHA-1, SHA-256) of each ID as given, in lower and in upper
        case. Made when a hex text is first asked about (hashing costs; most texts are not)."""
        if self._digest_hay is None:
            parts: list[str] = []
            for given in self.ids:
                for variant in dict.fromkeys((given, given.lower(), given.upper())):
                    raw = variant.encode()
                    parts += (
                        hashlib.md5(raw, usedforsecurity=False).hexdigest(),
                        hashlib.sha1(raw, usedforsecurity=False).hexdigest(),
                        hashlib.sha256(raw).hexdigest(),
                    )
            self._digest_hay = "\x00".join(parts)
        return self._digest_hay


class CallIds:
    """The IDs of one call to look for (``ids``: the call's own, ``MIN_LENGTH`` characters or
    more; ``secrets``: the installation's), as ``needles`` for ``in_event`` and as integers
    (``numbers``). Built per distinct set of IDs, so cheaply: what only the item-by-item search
    needs (``exact``, ``parts``, ``originals``) is made on its first use."""

    __slots__ = (
        "ids",
        "secrets",
        "needles",
        "numbers",
        "escaped",
        "last_clean",
        "_lists",
        "parts",
        "part_limit",
    )

    def __init__(self, ids: tuple[str, ...], secrets: Secrets | None = None) -> None:
        # Built once per distinct set of IDs (a new end user's first event): C-level steps only.
        secrets = secrets or NO_SECRETS
        self.ids = ids
        self.secrets = secrets.values
        # In the JSON of an event: a long ID anywhere, a short one as a whole string, a number.
        needles = list(map(str.lower, ids))
        if min(map(len, needles), default=MIN_CONTAINED) < MIN_CONTAINED:
            needles = [low if len(low) >= MIN_CONTAINED else f'"{low}"' for low in needles]
        needles += secrets.needles
        runs = _DIGIT_RUN.findall("\x00".join(ids))  # no run of digits across two IDs
        numbers = frozenset(map(int, runs)) if runs else _NONE
        if numbers and min(numbers) < MIN_NUMBER:
            numbers = frozenset([n for n in numbers if n >= MIN_NUMBER])
        if numbers:
            needles += map(str, numbers)
        self.needles = tuple(needles)
        self.numbers = numbers
        # an ID that JSON writes escaped cannot be looked for in it
        self.escaped = secrets.escaped or any(map(_ESCAPED.search, ids))
        # the last event found to hold none: the same event again (a call's events repeat)
        # is answered by one comparison
        self.last_clean: tuple[str, dict] | None = None
        self._lists: tuple[frozenset[str], tuple[str, ...], tuple[str, ...]] | None = None
        # ``parts[text]``: ``holds_part(text)``, from the memo (a filter takes its
        # ``__getitem__`` once per event: a known text then runs no Python code)
        self.parts = _Parts(ids)
        # a text longer than every ID and than a digest part that can still pass is no part
        self.part_limit = self.parts.limit

    def __bool__(self) -> bool:
        return bool(self.ids or self.secrets)

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

    def _search_lists(self) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
        """``(exact, parts, originals)``: every ID lower-cased; those looked for inside other
        text; every ID as given, longest first."""
        if self._lists is None:
            every = (*self.ids, *self.secrets)
            lowered = frozenset(i.lower() for i in every)
            self._lists = (
                lowered,
                tuple(i for i in lowered if len(i) >= MIN_CONTAINED),
                tuple(sorted(set(every), key=len, reverse=True)),
            )
        return self._lists

    def found_in(self, text: str) -> bool:
        """``text`` is, or contains, one of the IDs (any case)."""
        exact, parts, _ = self._search_lists()
        low = text.lower()
        return low in exact or any(part in low for part in parts)

    def is_number(self, value: int | float) -> bool:
        """``value`` is one of the IDs written as a number (``12345``, ``12345.0``)."""
        if type(value) is float:
            if not value.is_integer():
                return False
            value = int(value)
        return value in self.numbers or -value in self.numbers

    def holds_number(self, value: int | float) -> bool:
        """``value`` (``MIN_PART_NUMBER`` or more, integral) is a run of the digits of one of
        the call's IDs."""
        magnitude = -value if value < 0 else value
        if magnitude < MIN_PART_NUMBER or (type(value) is float and not value.is_integer()):
            return False
        return str(int(magnitude)) in self.parts.haystack()[1]

    def holds_part(self, text: str) -> bool:
        """``text`` (``MIN_PART`` characters or more) is a part of one of the call's IDs, of one
        written backwards, or of the hex digest of one: a prefix, a suffix, a half of an ID
        split over two keys, ``md5(user_id)[:8]`` (any case). Memoised (``parts``)."""
        return self.parts[text]

    def masked(self, text: str, replacement: str) -> str | None:
        """``text`` with each ID in it replaced by ``replacement``; None when ``text`` is one
        of the IDs, or holds one in a spelling that cannot be cut out exactly."""
        exact, _, originals = self._search_lists()
        if text.lower() in exact:
            return None
        for original in originals:
            if original in text:
                text = text.replace(original, replacement)
        return None if self.found_in(text) else text


class GatherIds:
    """Processor, first in the chain: the call's IDs. ``user_id``/``developer_id`` become
    ``str`` or ``None`` (``as_id``: empty strings, bools and other objects are "not given";
    ints, UUIDs, bytes, enums give their text), are swapped back when ``swap`` (the seed
    guide's rule, ``processors.FixSwappedIds``) says they look swapped, and
    ``draft["call_ids"]`` becomes the ``CallIds`` to look for (None when there are none):
    those two, the raw IDs ``pipeline.shaping`` passed in ``draft["call_ids"]`` (a tuple of any
    values), and ``secrets``. Memoised per distinct set of IDs (calls repeat their IDs)."""

    def __init__(self, secrets: Iterable[Any] = (), *, swap: Any = None) -> None:
        self.secrets = Secrets(secrets)
        self.swap = swap
        self._memo: OrderedDict[tuple, tuple[CallIds | None, bool]] = OrderedDict()

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
            found = tuple({i: 0 for i in key if i is not None and len(i) >= MIN_LENGTH})
            ids = CallIds(found, self.secrets) if found or self.secrets.values else None
            known = (ids, self.swap is not None and self.swap.swapped(uid, did))
            memo = self._memo
            if len(memo) >= _MEMO_SIZE:  # the oldest goes (one at a time: no pause to free all)
                memo.popitem(last=False)
            memo[key] = known
        draft["call_ids"], swapped = known
        if swapped:
            draft["user_id"], draft["developer_id"] = did, uid
            self.swap.note()
        return draft
