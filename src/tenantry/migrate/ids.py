"""Which vendor ID becomes ``user_id`` and where ``developer_id`` comes from.

The vendor's ID of the person (Amplitude ``user_id``, PostHog ``distinct_id``, Segment
``user_id``) is read by its words (``tenantry.lint.names``, followed back through plain
assignments): when it names the developer (``tracking_user_id = developer_id``, the seed guide's
Amplitude code, where the developer was the primary ID) it becomes ``developer_id``; otherwise it
becomes ``user_id`` and ``developer_id`` is looked for in the scope, where the code makes it
obvious: a parameter or variable of the function assigned before the call, an attribute chain or
a string-keyed subscript the function reads before the call (``auth.developer_id``,
``user_info["developer_id"]``, ``extra.get("developer_id")``), a ``self.`` attribute the class
assigns, or a ``developer_id`` key of the event's own literal properties; named like a
developer's ID (``developer_id``, ``developer_user_id``, ``dev_id``, ``owner_id``, ``tenant_id``,
``account_id``, ``workspace_id``). The best-ranked word wins; a tie between two different
expressions is not obvious, and the call gets a TODO instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from tenantry.lint import names
from tenantry.lint.scan import Site
from tenantry.lint.vendors import dotted
from tenantry.migrate.text import Text
from tenantry.policy.words import key_words

# rank of the word that makes a name a developer's (lower is more obvious)
RANK = {"developer": 0, "developers": 0, "dev": 1, "owner": 2, "tenant": 3, "account": 4,
        "workspace": 5}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decision:
    user: ast.expr | None  # what becomes user_id (None: no user_id)
    developer: ast.expr | None  # the vendor's own ID, when it names the developer
    found: str | None  # developer_id's code found in the scope; None with neither: a TODO


def decide(
    site: Site,
    primary: ast.expr | None,
    props: ast.expr | None,
    text: Text,
    outer: list[ast.FunctionDef | ast.AsyncFunctionDef] = (),
    cache: dict | None = None,
) -> Decision:
    """``cache``: a dict kept for one module (each function's names are read once)."""
    cache = {} if cache is None else cache
    if primary is not None:
        body = site.func.body if site.func is not None else site.block
        line = site.call.lineno
        aliases = {
            name: value
            for name, (value, at) in _assignments(body, cache).items()
            if value is not None and at < line
        }
        if names.owner(primary, aliases) == names.DEVELOPER:
            return Decision(None, primary, None)
    taken = ast.dump(primary) if primary is not None else None
    return Decision(primary, None, find_developer(site, props, text, taken, outer, cache))


def _assignments(body: list[ast.stmt], cache: dict) -> dict[str, tuple[ast.AST | None, int]]:
    """``name -> (value, line)`` for the names a function assigns; the value is None unless
    it is assigned once, plainly (``names.plain_aliases``' rule)."""
    key = ("assignments", id(body))
    if key not in cache:
        cache[key] = {
            name: (value, getattr(value, "lineno", 0))
            for name, value in names.plain_aliases_of(_nodes(body, cache), 1 << 30).items()
        }
    return cache[key]


def _nodes(body: list[ast.stmt], cache: dict) -> list[ast.AST]:
    """A function body's nodes (``names.walk_function``), walked once per module."""
    key = ("nodes", id(body))
    if key not in cache:
        cache[key] = list(names.walk_function(body))
    return cache[key]


def find_developer(
    site: Site,
    props: ast.expr | None,
    text: Text,
    taken: str | None,
    outer: list[ast.FunctionDef | ast.AsyncFunctionDef] = (),
    cache: dict | None = None,
) -> str | None:
    """The code of the obvious developer ID at ``site``, or None."""
    cache = {} if cache is None else cache
    line = site.call.lineno
    found: list[tuple[tuple[int, int, int], str, str]] = []  # (rank, dump, code)
    if isinstance(props, ast.Dict):  # the event's own {"developer_id": dev, ...}
        for key, value in zip(props.keys, props.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and names.is_developer_id_name(key_words(key.value))
                and dotted(value) is not None
            ):
                found.append(((-1, 0, 0), ast.dump(value), text.segment(value)))
    func = site.func
    for depth, around in enumerate([func, *outer] if func is not None else []):
        args = around.args  # the innermost function's parameters first, then its closures'
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            item = _offer(ast.Name(arg.arg), 3 * depth, arg.arg, text)
            if item:
                found.append(item)
    body = func.body if func is not None else site.block[: site.index]
    found += [item for at, item in _readable(body, text, cache) if at < line]
    if site.cls is not None and func is not None and _has_self(func):
        found += _self_attributes(site.cls, text, cache)
    found = [item for item in found if item[1] != taken]
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    best = [item for item in found if item[0] == found[0][0]]
    if len({item[1] for item in best}) > 1:
        return None  # two different, equally obvious candidates: not obvious
    return best[0][2]


def _offer(node: ast.AST, source_rank: int, code: str | None, text: Text):
    words = names.expr_words(node)
    if not names.is_developer_id_name(words):
        return None
    rank = min(RANK.get(w, 9) for w in words)
    return (rank, source_rank, len(words)), ast.dump(node), code or text.segment(node)


def _readable(body: list[ast.stmt], text: Text, cache: dict) -> list:
    """``(line, candidate)`` for each developer-ID-named thing a function body binds or reads:
    a variable it assigns, an attribute chain or string-keyed subscript, a ``.get("...")``."""
    key = ("readable", id(body))
    if key in cache:
        return cache[key]
    out = []
    for node in _nodes(body, cache):
        item = None
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            item = _offer(node, 0, node.id, text)
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.ctx, ast.Load):
            if _pure(node):
                item = _offer(node, 1, None, text)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and dotted(node.func.value) is not None
        ):
            words = key_words(node.args[0].value)
            if names.is_developer_id_name(words):
                item = ((RANK.get(words[0], 9), 1, 2), ast.dump(node), text.segment(node))
        if item:
            out.append((node.lineno, item))
    cache[key] = out
    return out


def _self_attributes(cls: ast.ClassDef, text: Text, cache: dict) -> list:
    key = ("self", id(cls))
    if key not in cache:
        cache[key] = [
            item
            for node in ast.walk(cls)
            if isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            for item in [_offer(node, 2, f"self.{node.attr}", text)]
            if item
        ]
    return cache[key]


def _pure(node: ast.AST) -> bool:
    """An attribute chain of names, or a subscript of one by a string literal: safe to read
    again."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Subscript) and not (
            isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        ):
            return False
        node = node.value
    return isinstance(node, ast.Name)


def _has_self(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = func.args.posonlyargs + func.args.args
    return bool(args) and args[0].arg == "self"
