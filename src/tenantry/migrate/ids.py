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


def decide(site: Site, primary: ast.expr | None, props: ast.expr | None, text: Text) -> Decision:
    aliases = _aliases(site)
    if primary is not None and names.owner(primary, aliases) == names.DEVELOPER:
        return Decision(None, primary, None)
    taken = ast.dump(primary) if primary is not None else None
    return Decision(primary, None, find_developer(site, props, text, taken))


def _aliases(site: Site) -> dict[str, ast.AST]:
    body = site.func.body if site.func is not None else site.block
    return names.plain_aliases(body, site.call.lineno)


def find_developer(site: Site, props: ast.expr | None, text: Text, taken: str | None) -> str | None:
    """The code of the obvious developer ID at ``site``, or None."""
    line = site.call.lineno
    found: list[tuple[tuple[int, int, int], str, str]] = []  # (rank, dump, code)

    def offer(node: ast.AST, source_rank: int, code: str | None = None) -> None:
        words = names.expr_words(node)
        if not names.is_developer_id_name(words) or ast.dump(node) == taken:
            return
        rank = min(RANK.get(w, 9) for w in words)
        found.append(((rank, source_rank, len(words)), ast.dump(node), code or _code(node, text)))

    if isinstance(props, ast.Dict):  # the event's own {"developer_id": dev, ...}
        for key, value in zip(props.keys, props.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and names.is_developer_id_name(key_words(key.value))
                and dotted(value) is not None
            ):
                found.append(((-1, 0, 0), ast.dump(value), _code(value, text)))
    func = site.func
    if func is not None:
        args = func.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            offer(ast.Name(arg.arg), 0, arg.arg)
    body = func.body if func is not None else site.block[: site.index]
    for node in names.walk_function(body):
        if getattr(node, "lineno", line) >= line:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            offer(node, 0, node.id)
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.ctx, ast.Load):
            if _pure(node):
                offer(node, 1)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and dotted(node.func.value) is not None
        ):
            key = node.args[0].value
            if names.is_developer_id_name(key_words(key)):
                found.append(
                    ((RANK.get(key_words(key)[0], 9), 1, 2), ast.dump(node), _code(node, text))
                )
    if site.cls is not None and func is not None and _has_self(func):
        for node in ast.walk(site.cls):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                offer(node, 2, f"self.{node.attr}")
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    best = [item for item in found if item[0] == found[0][0]]
    if len({item[1] for item in best}) > 1:
        return None  # two different, equally obvious candidates: not obvious
    return best[0][2]


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


def _code(node: ast.AST, text: Text) -> str:
    return text.segment(node)
