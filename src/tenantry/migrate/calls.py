"""A call's arguments taken apart with LibCST, and a new call put together from them.

LibCST keeps what ``ast`` throws away: an argument's own parentheses and inner comments, and the
comments between arguments (one after an argument on its line, whole lines above the next). Each
argument becomes a ``Piece``: its exact code and the comments that belong to it. ``render`` lays
out a new call from pieces: on one line when the original was on one line, else one argument
per line with a trailing comma, each piece's comments kept beside it, and the continuation lines
of a multi-line value shifted by as much as the line the value starts on moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

_EMPTY = cst.Module(body=[])


@dataclass(slots=True)
class Piece:
    code: str  # the value, as written
    keyword: str | None = None
    star: str = ""  # "*" or "**"
    leading: list[str] = field(default_factory=list)  # whole-line comments above it
    trailing: str | None = None  # the comment after it on its line
    indent: int | None = None  # the indentation of the line it started on (to shift its lines)


@dataclass(slots=True)
class Parsed:
    args: list[Piece]
    multiline: bool
    opening: str | None = None  # a comment right after "("
    closing: list[str] = field(default_factory=list)  # whole-line comments before ")"


def parse_call(segment: str) -> Parsed:
    """Take apart the call written in ``segment``. (Each piece's ``indent`` is the caller's to
    set: ``ast`` knows the lines.)"""
    node = cst.parse_expression(segment)
    if not isinstance(node, cst.Call):
        raise ValueError("not a call")
    code = _EMPTY.code_for_node
    opening, leading_next = None, []
    multiline = False
    ws = node.whitespace_before_args
    if isinstance(ws, cst.ParenthesizedWhitespace):
        multiline = True
        opening = _comment(ws.first_line.comment)
        leading_next = _lines(ws.empty_lines)
    pieces: list[Piece] = []
    for arg in node.args:
        piece = Piece(
            code=code(arg.value),
            keyword=arg.keyword.value if arg.keyword else None,
            star=arg.star if isinstance(arg.star, str) else "",
            leading=leading_next,
        )
        leading_next = []
        for ws in (arg.whitespace_after_arg, getattr(arg.comma, "whitespace_after", None)):
            if isinstance(ws, cst.ParenthesizedWhitespace):
                multiline = True
                piece.trailing = piece.trailing or _comment(ws.first_line.comment)
                leading_next = leading_next + _lines(ws.empty_lines)
        pieces.append(piece)
    closing = leading_next  # comment lines after the last argument
    return Parsed(pieces, multiline, opening, closing)


def _comment(comment: cst.Comment | None) -> str | None:
    return comment.value if comment is not None else None


def _lines(lines) -> list[str]:
    return [line.comment.value for line in lines if line.comment is not None]


def shift(code: str, delta: int) -> str:
    """Move a multi-line value's continuation lines left by ``delta`` columns (right when
    negative), when every one of them can move and none is inside a triple-quoted string."""
    if "\n" not in code or delta == 0 or '"""' in code or "'''" in code:
        return code
    first, *rest = code.split("\n")
    if delta > 0:
        if any(line.strip() and len(line) - len(line.lstrip(" ")) < delta for line in rest):
            return code
        return "\n".join([first, *(line[delta:] if line.strip() else line for line in rest)])
    pad = " " * -delta
    return "\n".join([first, *(pad + line if line.strip() else line for line in rest)])


@dataclass(slots=True)
class NewArg:
    """An argument of the new call: a piece of the old ones (``keyword`` replacing its own) or
    new ``code``, with an optional comment after it."""

    keyword: str | None
    piece: Piece | None = None
    code: str | None = None
    comment: str | None = None


def render(
    func: str,
    args: list[NewArg],
    *,
    multiline: bool,
    indent: str,
    unit: str = "    ",
    opening: str | None = None,
    closing: list[str] | None = None,
) -> str:
    """The text of ``func(args)``, written on a line indented by ``indent``."""
    out: list[str] = [func, "("]
    if not multiline:
        for i, arg in enumerate(args):
            head = f"{arg.keyword}=" if arg.keyword else (arg.piece.star if arg.piece else "")
            out.append((", " if i else "") + head + _value(arg, len(indent)))
        out.append(")")
        return "".join(out)
    inner = indent + unit
    if opening:
        out.append(f"  {opening}")
    out.append("\n")
    for arg in args:
        for line in arg.piece.leading if arg.piece else ():
            out.append(f"{inner}{line}\n")
        head = f"{arg.keyword}=" if arg.keyword else (arg.piece.star if arg.piece else "")
        out.append(inner + head + _value(arg, len(inner)) + ",")
        comment = arg.comment or (arg.piece.trailing if arg.piece else None)
        out.append(f"  {comment}\n" if comment else "\n")
    for line in closing or ():
        out.append(f"{inner}{line}\n")
    out.append(indent + ")")
    return "".join(out)


def _value(arg: NewArg, indent: int) -> str:
    """The argument's code, its continuation lines moved as far as its first line's indentation
    moved (``indent`` is the new one)."""
    if arg.piece is None:
        return arg.code or ""
    piece = arg.piece
    if piece.indent is None:
        return piece.code
    return shift(piece.code, piece.indent - indent)
