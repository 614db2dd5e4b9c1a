"""Whose ID an expression holds, judged by its words: the developer's, an end user's, or unknown.

``tenantry lint`` (TNT002, swapped IDs) and ``tenantry migrate`` (which vendor ID becomes
``user_id`` and which ``developer_id``) read the same rule. Words come from the privacy rules'
splitter (``policy.words.key_words``), so ``developerUserId``, ``developer_user_id`` and
``request.state.developer_id`` all read ``developer``. A developer word wins over an end-user word
(``developer_user_id`` is the developer's: the seed guide's own name for it).

A name is followed back through plain assignments in its function (``tracking_user_id =
developer_id`` makes ``tracking_user_id`` the developer's, as in the seed guide's Amplitude code).
"""

from __future__ import annotations

import ast
from functools import lru_cache

from tenantry.policy import words as _words


@lru_cache(maxsize=8192)
def _split(name: str) -> tuple[str, ...]:
    return tuple(_words.key_words(name))


def key_words(name: str) -> list[str]:
    """The privacy rules' words of a name (``policy.words.key_words``), memoised: code repeats
    its names."""
    return list(_split(name))


DEVELOPER = "developer"
END_USER = "end_user"

# The developer: "the person/company who owns the API key, owns the workspace, pays" (seed guide).
DEVELOPER_WORDS = frozenset({"developer", "developers", "dev", "owner", "tenant", "account",
                             "workspace"})  # fmt: skip
END_USER_WORDS = frozenset({"user", "users", "enduser", "customer", "member", "visitor", "person",
                            "distinct"})  # fmt: skip
ID_WORDS = frozenset({"id", "uid", "pk"})
DEVELOPER_PREFIX = "dev_"  # the identity store's prefixes (tenantry.identity)
END_USER_PREFIX = "usr_"

MAX_ALIAS_HOPS = 3


def expr_words(node: ast.AST) -> list[str]:
    """The words of an ID-carrying expression: a name, an attribute chain, a subscript by a
    string key, or the one argument of a conversion (``str(user.id)``); else none."""
    words: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            return key_words(node.id) + words
        if isinstance(node, ast.Attribute):
            words = key_words(node.attr) + words
            node = node.value
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                words = key_words(key.value) + words
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.func, ast.Name)
            and node.func.id in ("str", "int", "UUID", "uuid.UUID")
        ):
            node = node.args[0]
        else:
            return words


def words_owner(words: list[str]) -> str | None:
    """``DEVELOPER``, ``END_USER`` or None for a list of words."""
    if any(w in DEVELOPER_WORDS for w in words):
        return DEVELOPER
    if any(w in END_USER_WORDS for w in words):
        return END_USER
    # "enduser", "endUser" -> ["end", "user"] is covered above; "end_user_id" too
    return None


def literal_owner(node: ast.AST) -> str | None:
    """A string literal with the identity store's prefix: ``"dev_..."`` or ``"usr_..."``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if node.value.startswith(DEVELOPER_PREFIX):
            return DEVELOPER
        if node.value.startswith(END_USER_PREFIX):
            return END_USER
    return None


def owner(node: ast.AST, aliases: dict[str, ast.AST] | None = None) -> str | None:
    """Whose ID ``node`` holds, after following up to three plain assignments in ``aliases``."""
    for _ in range(MAX_ALIAS_HOPS):
        # a name bound from another says more than its own words (tracking_user_id = developer_id)
        source = aliases.get(node.id) if aliases and isinstance(node, ast.Name) else None
        if source is None:
            break
        node = source
    return literal_owner(node) or words_owner(expr_words(node))


def is_developer_id_name(words: list[str]) -> bool:
    """``developer_id``, ``dev_id``, ``owner_id``, ``tenant_id``, ``account_id``,
    ``developer_user_id``, ``auth.developer_id``: a developer word, and an ID word last."""
    return len(words) > 1 and words[-1] in ID_WORDS and words_owner(words) == DEVELOPER


def plain_aliases(body: list[ast.stmt], before_line: int) -> dict[str, ast.AST]:
    """``name -> value`` for names assigned exactly once, before ``before_line``, from a name,
    an attribute or a subscript, in ``body`` (a function's statements, nested blocks included,
    nested functions and classes left out)."""
    return plain_aliases_of(walk_function(body), before_line)


def plain_aliases_of(nodes, before_line: int) -> dict[str, ast.AST]:
    """``plain_aliases`` over nodes already walked (``walk_function``)."""
    seen: dict[str, ast.AST | None] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and node.lineno < before_line:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    plain = isinstance(node.value, ast.Name | ast.Attribute | ast.Subscript)
                    seen[target.id] = node.value if plain and target.id not in seen else None
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and isinstance(
            node.target, ast.Name
        ):
            seen[node.target.id] = None
    return {name: value for name, value in seen.items() if value is not None}


def walk_function(body: list[ast.stmt]):
    """Every node of a function's body, without descending into nested functions, lambdas and
    classes (their names are their own)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
            ):
                stack.append(child)
