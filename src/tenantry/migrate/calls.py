"""A call's arguments taken apart with LibCST, and a new call put together from them.

LibCST keeps what ``ast`` throws away: an argument's own parentheses and inner comments, and the
comments between arguments (one after an argument on its line, whole lines above the next). Each
argument becomes a ``Piece``: its exact code and the comments that belong to it. ``render`` lays
out a new call from pieces: on one line when the original was on one line, else one argument
per line with a trailing comma, each piece's comments kept beside it, and the continuation lines
of a multi-line value shifted by as much as the value itself moved.
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
    column: int | None = None  # where the value started in the source (to shift its lines)


@dataclass(slots=True)
class Parsed:
    args: list[Piece]
    multiline: bool
    opening: str | None = None  # a comment right after "("
    closing: list[str] = field(default_factory=list)  # whole-line comments before ")"


def parse_call(segment: str, column: int) -> Parsed:
    """Take apart the call written in ``segment`` (that starts at ``column`` of its line)."""
    node = cst.parse_expression(segment)
    if not isinstance(node, cst.Call):
        raise ValueError("not a call")
    code = _EMPTY.code_for_node
    before = code(node.func) + code(node.whitespace_after_func) + "("
    opening, leading_next = None, []
    multiline = False
    ws = node.whitespace_before_args
    if isinstance(ws, cst.ParenthesizedWhitespace):
        multiline = True
        opening = _comment(ws.first_line.comment)
        leading_next = _lines(ws.empty_lines)
    position = _advance(column, before + code(ws))
    pieces: list[Piece] = []
    closing: list[str] = []
    for arg in node.args:
        value = code(arg.value)
        bare = arg.with_changes(
            comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace("")
        )
        head = code(bare)[: -len(value)] if value else code(bare)
        piece = Piece(
            code=value,
            keyword=arg.keyword.value if arg.keyword else None,
            star=arg.star if isinstance(arg.star, str) else "",
            leading=leading_next,
            column=_advance(position, head),
        )
        position = _advance(position, code(arg))
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


def _advance(column: int, text: str) -> int:
    """The column after writing ``text`` starting at ``column``."""
    newline = text.rfind("\n")
    return column + len(text) if newline < 0 else len(text) - newline - 1


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
    column: int,
    indent: str,
    unit: str = "    ",
    opening: str | None = None,
    closing: list[str] | None = None,
) -> str:
    """The text of ``func(args)``, written from ``column`` of a line indented by ``indent``."""
    out: list[str] = [func, "("]
    if not multiline:
        col = column + len(func) + 1
        for i, arg in enumerate(args):
            if i:
                out.append(", ")
                col += 2
            head = f"{arg.keyword}=" if arg.keyword else (arg.piece.star if arg.piece else "")
            text = _value(arg, col + len(head))
            out.append(head + text)
            col = _advance(col, head + text)
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
        out.append(inner + head + _value(arg, len(inner) + len(head)) + ",")
        comment = arg.comment or (arg.piece.trailing if arg.piece else None)
        out.append(f"  {comment}\n" if comment else "\n")
    for line in closing or ():
        out.append(f"{inner}{line}\n")
    out.append(indent + ")")
    return "".join(out)


def _value(arg: NewArg, column: int) -> str:
    if arg.piece is None:
        return arg.code or ""
    piece = arg.piece
    if piece.column is None:
        return piece.code
    return shift(piece.code, piece.column - column)
