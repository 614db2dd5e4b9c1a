"""A module's text with ``ast``'s coordinates: line numbers and UTF-8 byte columns to offsets,
source segments, and edits applied from the end so earlier offsets stay valid."""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")  # the line ends ast knows (not \f, \v, ...)


@dataclass(frozen=True, slots=True)
class Edit:
    start: int
    end: int
    text: str


class Text:
    __slots__ = ("lines", "source", "starts")

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = [m.group() for m in _LINE.finditer(source)]
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        """The string offset of ``ast``'s (1-based line, UTF-8 byte column)."""
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        if not line.isascii():
            col = len(line.encode("utf-8")[:col].decode("utf-8", "replace"))
        return self.starts[lineno - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def column(self, offset: int) -> int:
        return offset - self.starts[self.line_at(offset) - 1]

    def line_at(self, offset: int) -> int:
        """The 1-based line holding ``offset``."""
        return max(1, min(bisect.bisect_right(self.starts, offset), len(self.lines)))

    def indent(self, lineno: int) -> str:
        line = self.lines[lineno - 1]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def newline(self) -> str:
        first = self.lines[0] if self.lines else "\n"
        return "\r\n" if first.endswith("\r\n") else "\n"

    def alone(self, node: ast.stmt) -> bool:
        """The statement is alone on its lines: only blanks before it, only blanks or a comment
        after it (so its lines can be removed, or a line put above it)."""
        start, end = self.span(node)
        head = self.source[self.starts[node.lineno - 1] : start]
        tail = self.source[end : self.starts[node.end_lineno]].strip()
        return not head.strip() and (not tail or tail.startswith("#"))

    def lines_of(self, node: ast.stmt) -> tuple[int, int]:
        """The offsets of a statement's whole lines (newline included)."""
        return self.starts[node.lineno - 1], self.starts[node.end_lineno]


def apply(source: str, edits: list[Edit]) -> str:
    """``source`` with ``edits`` (non-overlapping) applied."""
    out = source
    # from the end; of two insertions at one place, the one listed first stays first
    order = sorted(range(len(edits)), key=lambda i: (edits[i].start, edits[i].end, i))
    for i in reversed(order):
        edit = edits[i]
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out


def overlaps(edit: Edit, taken: list[Edit]) -> bool:
    return any(edit.start < other.end and other.start < edit.end for other in taken)


def moved(offset: int, edits: list[Edit]) -> int:
    """Where ``offset`` of the source is once ``edits`` are applied."""
    return offset + sum(len(e.text) - (e.end - e.start) for e in edits if e.end <= offset)
