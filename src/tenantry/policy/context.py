"""What opensource events say about the installation that sent them, and duration buckets.

``AddContext`` stamps this installation's platform on its own events; ``ClientContext`` keeps
what another installation says about itself on the events it relays, field by field through
``context_value`` (a known name or a release number that carries no personal data).
"""

from __future__ import annotations

import platform
import re
import sys
from typing import Any

from tenantry import __version__
from tenantry.policy import pii
from tenantry.policy._memo import memoised

CONTEXT_KEYS = ("os", "arch", "version", "python_version")
UNKNOWN = "unknown"
# What ``platform.system()`` and ``platform.machine()`` answer, on the platforms Python runs on.
OS_NAMES = frozenset(
    (  # noqa: SIM905
        "Linux Darwin Windows FreeBSD OpenBSD NetBSD DragonFly SunOS AIX Java Emscripten WASI iOS "
        "iPadOS Android Haiku"
    ).split()
)
ARCHES = frozenset(
    (  # noqa: SIM905
        "x86_64 AMD64 amd64 i386 i486 i586 i686 x86 aarch64 arm64 ARM64 armv6l armv7l armv8l arm "
        "ppc64 ppc64le s390x riscv64 mips mips64 loongarch64 wasm32 sparc64"
    ).split()
)
_SHAPES = {
    "os": re.compile(r"(?:CYGWIN|MINGW64|MINGW32|MSYS)_NT-\d{1,2}\.\d{1,2}"),
    "arch": re.compile(r"(?!)"),  # the set above only
    # a release: major.minor[.micro] with an optional PEP 440 pre/post/dev part, no local part
    # no leading zeros (PEP 440 normal form), so "555.0100" is not a version
    "version": re.compile(
        r"(?:0|[1-9]\d{0,3})\.(?:0|[1-9]\d{0,3})(?:\.(?:0|[1-9]\d{0,3}))?"
        r"(?:(?:a|b|rc)(?:0|[1-9]\d{0,3}))?(?:\.post\d{1,4})?(?:\.dev\d{1,6})?"
    ),
    "python_version": re.compile(r"[23]\.\d{1,2}"),  # major.minor
}
_KNOWN = {"os": OS_NAMES, "arch": ARCHES}
VERSION_DIGITS = 8

BUCKETS: tuple[tuple[float, str], ...] = (
    (10.0, "<10ms"),
    (50.0, "10-50ms"),
    (100.0, "50-100ms"),
    (500.0, "100-500ms"),
    (1000.0, "500ms-1s"),
    (5000.0, "1-5s"),
)
SLOWEST = ">5s"


def runtime_context(edition: str) -> dict[str, str]:
    """``edition``, ``os``, ``arch``, ``version`` (tenantry), ``python_version`` (major.minor)."""
    return {
        "edition": edition,
        "os": platform.system() or "unknown",
        "arch": platform.machine() or "unknown",
        "version": __version__,
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def duration_bucket(ms: float) -> str:
    """``150.5`` -> ``"100-500ms"``; a bucket's lower bound belongs to it (10.0 -> "10-50ms")."""
    for upper, label in BUCKETS:
        if ms < upper:
            return label
    return SLOWEST


class AddContext:
    """Opensource: ``edition``, ``os``, ``arch``, ``version``, ``python_version`` of this
    installation (precomputed); they win over caller properties of the same names."""

    def __init__(self, edition: str) -> None:
        self.context = runtime_context(edition)

    def __call__(self, draft: dict) -> dict:
        draft["properties"].update(self.context)
        return draft


def context_value(key: str, value: Any) -> str:
    """A client's ``os``/``arch``/``version``/``python_version`` when it has that field's shape
    (a known OS or architecture name, a release number, ``major.minor``) and passes the value
    filter that every property passes (``pii.detect``); else ``"unknown"``. Memoised (a relay
    sees the same few platforms in every batch).

    One allowance: the phone detector matches any run of 7+ digits and dots, so a release like
    ``0.10.12`` passes it when it has at most ``VERSION_DIGITS`` digits (a phone number has
    more, or a segment with a leading zero, which the shape refuses)."""
    if type(value) is not str:
        if not isinstance(value, str):
            return UNKNOWN
        value = str.__str__(value)  # the text a str subclass holds, never its own __str__
    if not value or len(value) > 32:
        return UNKNOWN
    return _judged((key, value))


@memoised(size=1024)
def _judged(field: tuple[str, str]) -> str:
    """``context_value`` of a ``(key, value)`` pair, ``value`` a str of 1 to 32 characters."""
    key, value = field
    if value not in _KNOWN.get(key, ()) and not _SHAPES[key].fullmatch(value):
        return UNKNOWN
    verdict = pii.detect(value)
    if verdict is None:
        return value
    if (
        verdict == "phone"
        and key == "version"
        and sum(c.isdigit() for c in value) <= VERSION_DIGITS
    ):
        return value
    return UNKNOWN


_SENDERS = 1024  # distinct platforms whose fields ``ClientContext`` keeps judged


class ClientContext:
    """Relayed events (``build_chain(..., relayed=True)``): the sending installation's context
    fields, from the draft's ``client_context``, each kept when it passes ``context_value``
    (else ``"unknown"``), instead of this installation's own platform; ``edition`` is
    ``"opensource"``. They win over the event's properties of the same names."""

    def __init__(self) -> None:
        # the sender's fields as sent -> the fields they set: one look-up per event (a relay
        # sees a few platforms, each in every batch); at most ``_SENDERS`` of them
        self._known: dict[tuple, dict[str, str]] = {}

    def __call__(self, draft: dict) -> dict:
        sent = draft.get("client_context") or {}
        given = tuple(map(sent.get, CONTEXT_KEYS))
        try:
            fields = self._known.get(given)
            keep = True
        except TypeError:  # a field that is a list or an object: judged, never kept
            fields, keep = None, False
        if fields is None:
            fields = {
                key: context_value(key, v) for key, v in zip(CONTEXT_KEYS, given, strict=True)
            }
            fields["edition"] = "opensource"
            if keep and len(self._known) < _SENDERS:
                self._known[given] = fields
        draft["properties"].update(fields)
        return draft
