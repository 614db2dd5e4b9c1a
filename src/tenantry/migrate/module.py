"""What ``tenantry migrate`` does to a module as a whole, beside its calls: the tenantry import,
the comment above each vendor client's setup, and the vendor imports the rewrite left unused."""

from __future__ import annotations

import ast
import re
from collections import Counter

from tenantry.lint.scan import Scan, Statement
from tenantry.lint.vendors import SETTINGS, branches, vendor_of
from tenantry.migrate.text import Edit, Text

CLIENT_NOTE = (
    "# tenantry migrate: events go through tenantry now; remove this {vendor} setup once "
    "nothing else uses it"
)
CLIENT_NOTE_MARK = "# tenantry migrate:"


def import_telemetry(text: Text, result: Scan, telemetry: str) -> list[Edit]:
    """The import ``telemetry`` (``get_telemetry()`` or ``tenantry.get_telemetry()``) needs,
    unless the module has it."""
    imports = result.bindings.imports
    if telemetry == "get_telemetry()":
        if imports.get("get_telemetry") == "tenantry.get_telemetry":
            return []
        line = "from tenantry import get_telemetry"
    else:
        if imports.get("tenantry") == "tenantry":
            return []
        line = "import tenantry"
    at = import_point(text, result.tree)
    return [Edit(at, at, line + text.newline())]


def client_notes(text: Text, result: Scan, edits: list[Edit]) -> list[tuple[ast.stmt, str]]:
    """Adds to ``edits`` a comment above each vendor client's construction and above the first
    of a vendor module's settings (``posthog.api_key = ...``), unless it is there already;
    returns the statements commented, with their vendor."""
    seen: set[str] = set()
    done = []
    for st in result.assignments:
        vendor = _constructs(st, result) or _configures(st, result, seen)
        if vendor is None or not text.alone(st.stmt):
            continue
        lineno = st.stmt.lineno
        above = text.lines[lineno - 2].strip() if lineno > 1 else ""
        if above.startswith(CLIENT_NOTE_MARK):
            continue
        at = text.starts[lineno - 1]
        comment = CLIENT_NOTE.format(vendor=vendor)
        edits.append(Edit(at, at, f"{text.indent(lineno)}{comment}{text.newline()}"))
        done.append((st.stmt, vendor))
    return done


def _constructs(st: Statement, result: Scan) -> str | None:
    node = st.stmt
    value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
    if value is None:
        return None
    for candidate in branches(value):
        if isinstance(candidate, ast.Call):
            vendor = result.bindings.client_class(candidate.func)
            if vendor is not None:
                return vendor
    return None


def _configures(st: Statement, result: Scan, seen: set[str]) -> str | None:
    node = st.stmt
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    target = node.targets[0]
    if not isinstance(target, ast.Attribute) or target.attr not in SETTINGS:
        return None
    qualified = result.bindings.qualify(target.value)
    found = vendor_of(qualified) if qualified else None
    if found is None or found[1] or found[0] in seen:
        return None
    seen.add(found[0])
    return found[0]


def import_point(text: Text, tree: ast.Module) -> int:
    """Where a new import goes: after the module's leading imports (its docstring and
    ``from __future__`` first), else before its first statement."""
    body = tree.body
    if not body:
        return len(text.source)
    i = 0
    last: ast.stmt | None = None
    if (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        last = body[0]
        i = 1
    while i < len(body) and _import_like(body[i]):
        last = body[i]
        i += 1
    if last is not None:
        return text.starts[last.end_lineno]
    first = body[0]
    decorators = getattr(first, "decorator_list", None)
    return text.starts[(decorators[0].lineno if decorators else first.lineno) - 1]


def _import_like(st: ast.stmt) -> bool:
    if isinstance(st, ast.Import | ast.ImportFrom):
        return True
    if isinstance(st, ast.Try):
        return all(isinstance(s, ast.Import | ast.ImportFrom) for s in st.body)
    if isinstance(st, ast.If):
        return all(_import_like(s) for s in st.body + st.orelse)
    return False


def unused_imports(text: Text, new: str, result: Scan) -> list[Edit]:
    """Edits (on the original text) that drop the vendor imports the rewrite left unused: names
    used before it and not after. Uses are counted in the text, outside import statements; a
    name that a comment or a string still mentions is kept (harmless)."""
    statements = [st for st in result.imports if st.stmt.lineno == st.stmt.end_lineno]
    vendor_names = {
        local
        for local, qualified in result.bindings.imports.items()
        if vendor_of(qualified) is not None
    }
    if not vendor_names:
        return []
    word = re.compile(r"\b(" + "|".join(map(re.escape, vendor_names)) + r")\b")
    imports_text = "\n".join(text.segment(st.stmt) for st in result.imports)
    declared = Counter(word.findall(imports_text))
    before = Counter(word.findall(text.source))
    after = Counter(word.findall(new))
    edits: list[Edit] = []
    for st in statements:
        node = st.stmt
        keep, drop = [], []
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            unused = before[local] > declared[local] >= after[local]
            (drop if local in vendor_names and unused else keep).append(alias)
        if not drop or not text.alone(node):
            continue
        if not keep:
            if len(st.block) > 1:
                edits.append(Edit(*text.lines_of(node), ""))
            continue
        names_ = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in keep)
        if isinstance(node, ast.ImportFrom):
            head = f"from {'.' * node.level}{node.module or ''} import "
        else:
            head = "import "
        edits.append(Edit(*text.span(node), head + names_))
    return edits
