"""Objects that Amplitude code builds before the call: folded into the tenantry call.

- ``event = BaseEvent(...)`` then ``client.track(event)``: the ``BaseEvent`` moves into the call
  when nothing between the two rebinds a name its arguments read and the variable is used
  nowhere else.
- ``identify_obj = Identify()``, ``identify_obj.set(k, v)``..., ``client.identify(identify_obj,
  ...)`` (or ``Identify().set(k, v)...`` in the call): the ``set``/``set_once`` operations become
  the ``properties`` and ``set_once`` dicts, when the statements are the ones right before the
  call and the object is used nowhere else. Amplitude keeps the first value of a key set twice;
  so do the dicts. Other operations (``add``, ``append``, ``unset``, ...) have no tenantry
  equivalent: the call is left as it was.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from tenantry.lint import names
from tenantry.lint.scan import Site
from tenantry.migrate.signatures import Unsupported
from tenantry.migrate.text import Text


@dataclass(slots=True)
class Ops:
    set: list[tuple[str, str]] = field(default_factory=list)
    set_once: list[tuple[str, str]] = field(default_factory=list)


def event_variable(site: Site, name: str, text: Text) -> tuple[ast.stmt, ast.expr]:
    """The statement that built the event in ``name`` and the value it built."""
    block, index = site.block, site.index
    for j in range(index - 1, -1, -1):
        st = block[j]
        if (
            isinstance(st, ast.Assign)
            and len(st.targets) == 1
            and isinstance(st.targets[0], ast.Name)
            and st.targets[0].id == name
        ):
            break
        if _mentions(st, {name}):
            raise Unsupported(f"{name} is changed between its BaseEvent and track()")
    else:
        raise Unsupported("the event is built elsewhere")
    read = {n.id for n in ast.walk(st.value) if isinstance(n, ast.Name)}
    for between in block[j + 1 : index]:
        if _stores(between) & read:
            raise Unsupported("a name the event reads changes before track()")
    if _uses(site, name) != 2 or not text.alone(st):
        raise Unsupported(f"{name} is used elsewhere")
    return st, st.value


def identify_ops(
    site: Site, node: ast.expr, text: Text, is_identify: Callable[[ast.AST], bool]
) -> tuple[Ops, list[ast.stmt]]:
    """The operations of the ``Identify`` that ``node`` is (or names), and the statements that
    built it (to remove)."""
    ops: list[tuple[str, ast.Call]] = []
    if not isinstance(node, ast.Name):
        root = _chain(node, ops)
        if not is_identify(root):
            raise Unsupported("the Identify object is built elsewhere")
        return _collect(ops, text), []
    name = node.id
    removed: list[ast.stmt] = []
    block, index = site.block, site.index
    for j in range(index - 1, -1, -1):
        st = block[j]
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            chained: list[tuple[str, ast.Call]] = []
            root = _chain(st.value, chained)
            if isinstance(root, ast.Name) and root.id == name:
                ops[:0] = chained
                removed.insert(0, st)
                continue
        if (
            isinstance(st, ast.Assign)
            and len(st.targets) == 1
            and isinstance(st.targets[0], ast.Name)
            and st.targets[0].id == name
        ):
            chained = []
            root = _chain(st.value, chained)
            if not is_identify(root):
                raise Unsupported("the Identify object is built elsewhere")
            ops[:0] = chained
            removed.insert(0, st)
            break
        raise Unsupported("the Identify object is built apart from the call")
    else:
        raise Unsupported("the Identify object is built elsewhere")
    if _uses(site, name) != len(removed) + 1 or not all(text.alone(st) for st in removed):
        raise Unsupported(f"{name} is used elsewhere")
    return _collect(ops, text), removed


def _chain(node: ast.expr, ops: list[tuple[str, ast.Call]]) -> ast.expr:
    """``Identify().set(a, 1).set_once(b, 2)`` -> ops [(set, ...), (set_once, ...)], returns the
    root (``Identify()`` or the variable)."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr not in ("Identify",)
    ):
        ops.insert(0, (node.func.attr, node))
        node = node.func.value
    return node


def _collect(ops: list[tuple[str, ast.Call]], text: Text) -> Ops:
    out = Ops()
    seen: dict[str, set[str]] = {"set": set(), "set_once": set()}
    for op, call in ops:
        if op not in ("set", "set_once"):
            raise Unsupported(f"Identify.{op}() has no tenantry equivalent")
        if len(call.args) != 2 or call.keywords:
            raise Unsupported(f"Identify.{op}() with unusual arguments")
        key, value = call.args
        key_code = text.segment(key)
        if isinstance(key, ast.Constant):
            if key_code in seen[op]:
                continue  # Amplitude keeps the first value of a key
            seen[op].add(key_code)
        getattr(out, op).append((key_code, text.segment(value)))
    return out


def dict_code(entries: list[tuple[str, str]]) -> str | None:
    if not entries:
        return None
    return "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"


def _uses(site: Site, name: str) -> int:
    body = site.func.body if site.func is not None else site.block
    return sum(1 for n in names.walk_function(body) if isinstance(n, ast.Name) and n.id == name)


def _mentions(st: ast.stmt, wanted: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in wanted for n in ast.walk(st))


def _stores(st: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
