"""Text that is safe to print on a terminal: no control characters, no rich markup.

Event names and property values come from clients. Printed raw they could move the cursor,
recolour or clear the screen (ANSI escapes), hide text behind bidirectional overrides, or, through
rich, be read as markup (``[link=...]``, ``[/]``). ``printable`` removes the first two; with
``markup=True`` it also escapes ``[`` so that rich prints the text as written.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline too: one value is one line), DEL, C1 controls, the
# bidirectional embeddings, overrides and isolates, and the zero-width joiners' neighbours
# used to hide text (U+200B-U+200F, U+2028/U+2029, U+FEFF).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

_BRACKET = re.compile(r"(\\*)\[")  # backslashes before a bracket are doubled, then it is escaped


def printable(value: object, *, markup: bool = False) -> str:
    """``str(value)`` without control or bidi characters; with ``markup``, also escaped for rich:
    a ``[`` becomes ``\\[`` (backslashes before it doubled), a trailing backslash is doubled."""
    text = _UNPRINTABLE.sub("", str(value))
    if markup:
        text = _BRACKET.sub(lambda m: m.group(1) * 2 + "\\[", text)
        if text.endswith("\\"):
            text += "\\"
    return text
