"""One walk over a module: the calls that may be telemetry, each with the context the rules need.

Only statements that can hold a telemetry call are walked: a line is a candidate when it has one
of the words below (or a local name an import bound to a vendor's or tenantry's module), and a
statement is walked when one of its lines is a candidate. In a 300-line module that is a
handful of statements, so ``tenantry lint`` costs little more than ``ast.parse``. A compound
statement (``def``, ``if``, ``with``, ...) has its header walked and its body filtered again.

Both ``tenantry lint`` and ``tenantry migrate`` read what this walk finds.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field

from tenantry.lint.vendors import TENANTRY_FACTORIES, Bindings, dotted, vendor_of

CANDIDATE = re.compile(
    r"track|identify|capture|group|elemetry|mplitude|osthog|analytics|segment|Client|BaseEvent"
    r"|Identify|EventOptions|\.set|alias|page|screen|flush|shutdown|import"
)
IMPORT = re.compile(r"\bimport\b")

FUNCTION = ast.FunctionDef | ast.AsyncFunctionDef
TESTED, AWAITED = 1, 2


@dataclass(slots=True)
class Site:
    """A call, with where it stands: its statement, that statement's block and index in it, the
    innermost function and class, and whether it is awaited, tested, or the whole statement."""

    call: ast.Call
    stmt: ast.stmt
    block: list[ast.stmt]
    index: int
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    cls: ast.ClassDef | None
    awaited: bool
    tested: bool

    @property
    def is_async(self) -> bool:
        return isinstance(self.func, ast.AsyncFunctionDef)

    @property
    def bare(self) -> bool:
        """The call (or ``await`` of it) is the whole expression statement: its result unused."""
        value = self.stmt.value if isinstance(self.stmt, ast.Expr) else None
        return value is self.call or (isinstance(value, ast.Await) and value.value is self.call)


@dataclass(slots=True)
class Statement:
    """An assignment, with its block, index, function and class (for vendor client
    constructions, module settings and the ``Identify``/``BaseEvent`` objects migrate folds)."""

    stmt: ast.stmt
    block: list[ast.stmt]
    index: int
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    cls: ast.ClassDef | None


@dataclass(slots=True)
class Scan:
    tree: ast.Module
    bindings: Bindings
    sites: list[Site] = field(default_factory=list)
    assignments: list[Statement] = field(default_factory=list)
    outer: dict[int, ast.AST | None] = field(default_factory=dict)  # id(function) -> enclosing one
    imports: list[Statement] = field(default_factory=list)

    def enclosing(self, func: ast.AST | None) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The functions around ``func``, innermost first (their names are visible in it)."""
        chain = []
        while func is not None:
            func = self.outer.get(id(func))
            if func is not None:
                chain.append(func)
        return chain


_NEWLINE = re.compile(r"\r\n?|\n")


def line_starts(source: str) -> list[int]:
    """The offset where each line starts (ast's line ends: \\n, \\r\\n, \\r)."""
    return [0, *(m.end() for m in _NEWLINE.finditer(source))]


def candidate_lines(source: str, starts: list[int], pattern: re.Pattern[str]) -> list[int]:
    """The (1-based, sorted) lines where ``pattern`` matches."""
    out: list[int] = []
    for match in pattern.finditer(source):
        line = bisect.bisect_right(starts, match.start())
        if not out or out[-1] != line:
            out.append(line)
    return out


def scan(source: str, tree: ast.Module | None = None) -> Scan:
    """Parse (unless ``tree`` is given) and walk ``source``. Raises ``SyntaxError``."""
    if tree is None:
        tree = ast.parse(source)
    starts = line_starts(source)
    bindings = Bindings()
    walker = _Walker(candidate_lines(source, starts, IMPORT), bindings, None)
    walker.block(tree.body, None, None)
    imports = walker.imports
    extra = [
        name
        for name, qualified in bindings.imports.items()
        if not CANDIDATE.search(name)
        and (vendor_of(qualified) is not None or qualified in TENANTRY_FACTORIES)
    ]
    pattern = (
        re.compile(CANDIDATE.pattern + "|" + "|".join(rf"\b{re.escape(n)}\b" for n in extra))
        if extra
        else CANDIDATE
    )
    result = Scan(tree, bindings, imports=imports)
    _Walker(candidate_lines(source, starts, pattern), bindings, result).block(tree.body, None, None)
    for st in result.assignments:
        node = st.stmt
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if st.cls is not None and st.func is None:  # a class attribute: also self.x, cls.x, C.x
            targets = [
                ast.Attribute(ast.Name(owner), t.id)
                for t in targets
                if isinstance(t, ast.Name)
                for owner in ("self", "cls", st.cls.name)
            ] + targets
        if node.value is not None:
            bindings.add_assignment(targets, node.value)
        if isinstance(node, ast.AnnAssign):
            for target in targets:
                name = dotted(target)
                if name:
                    bindings.add_annotation(name, node.annotation)
    return result


class _Walker:
    """Walks the candidate statements. Without ``out`` it only collects imports."""

    __slots__ = ("bindings", "imports", "lines", "out")

    def __init__(self, lines: list[int], bindings: Bindings, out: Scan | None) -> None:
        self.lines = lines
        self.bindings = bindings
        self.out = out
        self.imports: list[Statement] = []

    def _hit(self, first: int, last: int) -> bool:
        i = bisect.bisect_left(self.lines, first)
        return i < len(self.lines) and self.lines[i] <= last

    def block(self, body: list[ast.stmt], func, cls) -> None:
        for index, st in enumerate(body):
            first = st.lineno
            decorators = getattr(st, "decorator_list", None)
            if decorators:
                first = min(first, decorators[0].lineno)
            if self._hit(first, st.end_lineno or st.lineno):
                self.statement(st, body, index, func, cls)

    def statement(self, st: ast.stmt, body, index, func, cls) -> None:
        out = self.out
        if isinstance(st, ast.Import | ast.ImportFrom):
            if out is None:
                self.bindings.add_import(st)
                self.imports.append(Statement(st, body, index, func, cls))
            return
        if isinstance(st, FUNCTION):
            if out is not None:
                out.outer[id(st)] = func
                args = st.args
                for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                    if arg.annotation is not None:
                        self.bindings.add_annotation(arg.arg, arg.annotation)
                self.exprs(
                    [*st.decorator_list, *args.defaults, *filter(None, args.kw_defaults)],
                    st, body, index, func, cls,
                )  # fmt: skip
            self.block(st.body, st, cls)
            return
        if isinstance(st, ast.ClassDef):
            if out is not None:
                self.exprs([*st.decorator_list, *st.bases], st, body, index, func, cls)
            self.block(st.body, None, st)
            return
        if out is None:
            for child in _bodies(st):
                self.block(child, func, cls)
            return
        headers = _headers(st)
        if headers is None:  # a simple statement: all of it
            if isinstance(st, ast.Assign | ast.AnnAssign):
                out.assignments.append(Statement(st, body, index, func, cls))
            self.exprs([st], st, body, index, func, cls)
            return
        tested, plain = headers
        self.exprs(tested, st, body, index, func, cls, TESTED)
        self.exprs(plain, st, body, index, func, cls)
        for child in _bodies(st):
            self.block(child, func, cls)

    def exprs(self, nodes, st, body, index, func, cls, flags: int = 0) -> None:
        sites = self.out.sites
        stack = [(n, flags) for n in nodes]
        while stack:
            node, f = stack.pop()
            t = type(node)
            if t is ast.Call:
                sites.append(Site(node, st, body, index, func, cls, bool(f & AWAITED),
                                  bool(f & TESTED)))  # fmt: skip
                stack.append((node.func, 0))
                stack.extend((a, 0) for a in node.args)
                stack.extend((k.value, 0) for k in node.keywords)
                continue
            if t is ast.Await:
                stack.append((node.value, AWAITED | (f & TESTED)))
                continue
            if t is ast.IfExp:
                stack.append((node.test, TESTED))
                stack.append((node.body, 0))
                stack.append((node.orelse, 0))
                continue
            if (
                t is ast.BoolOp
                or t is ast.Compare
                or (t is ast.UnaryOp and type(node.op) is ast.Not)
            ):
                stack.extend((c, TESTED) for c in ast.iter_child_nodes(node))
                continue
            if t is ast.Assert:
                stack.append((node.test, TESTED))
                if node.msg is not None:
                    stack.append((node.msg, 0))
                continue
            if t is ast.comprehension:
                stack.append((node.target, 0))
                stack.append((node.iter, 0))
                stack.extend((c, TESTED) for c in node.ifs)
                continue
            stack.extend((c, 0) for c in ast.iter_child_nodes(node))


def _headers(st: ast.stmt) -> tuple[list[ast.AST], list[ast.AST]] | None:
    """A compound statement's header expressions: (tested, plain); None for a simple one."""
    if isinstance(st, ast.If | ast.While):
        return [st.test], []
    if isinstance(st, ast.For | ast.AsyncFor):
        return [], [st.target, st.iter]
    if isinstance(st, ast.With | ast.AsyncWith):
        return [], [item for w in st.items for item in (w.context_expr, w.optional_vars) if item]
    if isinstance(st, ast.Try | ast.TryStar):
        return [], [h.type for h in st.handlers if h.type is not None]
    if isinstance(st, ast.Match):
        return [c.guard for c in st.cases if c.guard is not None], [st.subject]
    return None


def _bodies(st: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(st, ast.Try | ast.TryStar):
        return [st.body, *(h.body for h in st.handlers), st.orelse, st.finalbody]
    if isinstance(st, ast.Match):
        return [c.body for c in st.cases]
    return [b for b in (getattr(st, "body", None), getattr(st, "orelse", None)) if b]
