"""Text from events and the environment, made safe for a terminal.

Event names and property values come from other people's code (and, through the relay, from the
internet): a control character could move the cursor, change the title or hide a line, and rich
markup could restyle the output. ``clean`` strips control characters (C0, DEL, C1 and the
bidirectional overrides); ``escape_markup`` makes the result literal for rich.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"(\\*)(\[)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """``str(value)`` without control characters (newlines and tabs become spaces)."""
    text = str(value)
    if "\n" in text or "\t" in text or "\r" in text:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ").replace("\r", " ")
    return _CONTROL.sub("", text)


def escape_markup(value: object) -> str:
    """``clean(value)`` with rich markup made literal (``[`` escaped)."""
    return _MARKUP.sub(lambda m: m.group(1) * 2 + "\\[", clean(value))
