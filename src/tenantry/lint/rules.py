"""The rules: the seed guide's DO/DON'T list, checked on the calls ``scan`` finds.

TNT001  a track call without ``developer_id`` (or with ``developer_id=None``)
TNT002  the IDs look swapped: a developer's ID as ``user_id`` and an end user's as
        ``developer_id``, or an identity-store literal with the wrong prefix (``"dev_..."`` as
        ``user_id``, ``"usr_..."`` as ``developer_id``)
TNT003  a property key in a literal dict that names personal data or a secret, by the words of
        the privacy rules (``tenantry.policy.words``: the same verdicts that strip them)
TNT004  a direct vendor call left (Amplitude, PostHog, Segment)
TNT005  ``track()`` not awaited: the coroutine never runs and the event is lost
TNT006  telemetry's result tested: telemetry is fire-and-forget, never a check (auth, ...)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tenantry.lint import names
from tenantry.lint.scan import Scan, Site
from tenantry.lint.vendors import EVENT_METHODS
from tenantry.policy import words

RULES = {
    "TNT001": "a track call without developer_id",
    "TNT002": "user_id and developer_id look swapped",
    "TNT003": "a property names personal data or a secret",
    "TNT004": "a direct vendor call (Amplitude, PostHog, Segment)",
    "TNT005": "track() not awaited: the event is lost",
    "TNT006": "telemetry's result used for control flow",
}

# method -> (index of developer_id when passed by position, index of properties, a coroutine?)
TRACK = {
    "track": (3, 1, True),
    "track_sync": (3, 1, False),
    "track_error": (3, 1, True),
    "track_error_sync": (3, 1, False),
    "track_performance": (4, 2, True),
    "track_performance_sync": (4, 2, False),
}
OTHER = frozenset({"identify", "group", "register"})
MAX_DEPTH = 8  # nested literal dicts checked for TNT003

Finding = tuple[int, int, str, str]  # line, column (0-based), code, message


def check(result: Scan) -> Iterator[Finding]:
    """Every finding in a scanned module, in the order of the calls."""
    bindings = result.bindings
    aliases: dict[int, dict[str, ast.AST]] = {}

    def aliases_of(site: Site) -> dict[str, ast.AST]:
        key = id(site.func)
        if key not in aliases:
            body = site.func.body if site.func is not None else result.tree.body
            aliases[key] = names.plain_aliases(body, 1 << 30)
        return aliases[key]

    for site in result.sites:
        call = site.call
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if (method in TRACK or method in OTHER) and bindings.is_telemetry(func.value):
            yield from _telemetry_call(site, method, aliases_of)
            continue
        found = bindings.vendor_call(call)
        if (
            found is not None
            and found.kind != "class"
            and found.method in EVENT_METHODS[found.vendor]
        ):
            yield (
                call.lineno,
                call.col_offset,
                "TNT004",
                f"direct {found.vendor} call {found.method}(): send it through tenantry "
                "(tenantry migrate rewrites it)",
            )


def _telemetry_call(site: Site, method: str, aliases_of) -> Iterator[Finding]:
    call = site.call
    where = (call.lineno, call.col_offset)
    if site.tested:
        yield (
            *where,
            "TNT006",
            f"{method}()'s result is tested: telemetry is fire-and-forget and returns nothing; "
            "never use it for control flow (auth, checks)",
        )
    if method == "register" and call.args:  # super properties: on every later event
        yield from _properties(call.args[0], site, 0)
    if method not in TRACK:
        return
    dev_index, props_index, coroutine = TRACK[method]
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    spread = any(k.arg is None for k in call.keywords) or any(
        isinstance(a, ast.Starred) for a in call.args
    )
    dev = kw.get("developer_id", _positional(call, dev_index))
    user = kw.get("user_id", _positional(call, dev_index - 1))
    props = kw.get("properties", _positional(call, props_index))

    if coroutine and not site.awaited and site.bare:
        advice = "await it" if site.is_async else f"outside async def call {method}_sync()"
        yield *where, "TNT005", f"{method}() is never awaited, so the event is lost: {advice}"
    if "identity" not in kw and not spread:
        if dev is None:
            yield (
                *where,
                "TNT001",
                f"{method}() without developer_id: pass the developer's ID (the API key's "
                "owner) as well as user_id",
            )
        elif isinstance(dev, ast.Constant) and dev.value is None:
            yield *where, "TNT001", f"{method}() with developer_id=None: pass the developer's ID"
    swapped = _swapped(user, dev, lambda: aliases_of(site))
    if swapped:
        yield *where, "TNT002", swapped
    if props is not None:
        yield from _properties(props, site, 0)


def _positional(call: ast.Call, index: int) -> ast.expr | None:
    args = call.args
    return args[index] if index < len(args) and not isinstance(args[index], ast.Starred) else None


def _swapped(user: ast.expr | None, dev: ast.expr | None, aliases) -> str | None:
    if user is not None and dev is not None and ast.dump(user) == ast.dump(dev):
        return None  # a session token: the user is the developer (the seed guide's table)
    if user is not None and names.literal_owner(user) == names.DEVELOPER:
        return "user_id is a developer's ID (dev_...): the IDs look swapped"
    if dev is not None and names.literal_owner(dev) == names.END_USER:
        return "developer_id is an end user's ID (usr_...): the IDs look swapped"
    if user is None or dev is None:
        return None
    user_owner = names.owner(user)
    dev_owner = names.owner(dev)
    if user_owner is None or dev_owner is None:
        table = aliases()
        user_owner = user_owner or names.owner(user, table)
        dev_owner = dev_owner or names.owner(dev, table)
    if user_owner == names.DEVELOPER and dev_owner == names.END_USER:
        return (
            f"user_id={ast.unparse(user)} names the developer and "
            f"developer_id={ast.unparse(dev)} an end user: the IDs look swapped"
        )
    return None


def key_verdict(key: str, value: ast.expr) -> str | None:
    """Why a property key is refused (None when it is not), by the privacy rules' verdicts."""
    kw = words.key_words(key)
    secret = words.secret_words_verdict(kw)
    personal = words.pii_words_verdict(kw)
    literal = value.value if isinstance(value, ast.Constant) else _UNKNOWN
    if secret == words.NAMED or (
        secret == words.MEASURE and literal is not _UNKNOWN and not words.keeps(secret, literal)
    ):
        return f"property {key!r} names a secret: every edition strips it; leave it out"
    if personal == words.NAMED or (
        personal == words.MEASURE and literal is not _UNKNOWN and not words.keeps(personal, literal)
    ):
        return (
            f"property {key!r} names personal data or an identifier: the opensource edition "
            "drops it; leave it out, or send a flag or a count (has_email, email_count)"
        )
    return None


_UNKNOWN = object()


def _properties(node: ast.expr, site: Site, depth: int) -> Iterator[Finding]:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, ast.Name) and depth == 0:
        node = _dict_assigned(node.id, site) or node
    if isinstance(node, ast.Dict):
        pairs = [
            (k.value, k, v)
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        ]
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and not node.args
    ):
        pairs = [(k.arg, k, k.value) for k in node.keywords if k.arg]
    else:
        return
    for key, where, value in pairs:
        why = key_verdict(key, value)
        if why:
            yield where.lineno, where.col_offset, "TNT003", why
        else:
            yield from _properties(value, site, depth + 1)


def _dict_assigned(name: str, site: Site) -> ast.expr | None:
    """The literal dict a name was bound to, when it was bound once, before the call, in the
    same function (``props = {...}; track("e", props, ...)``)."""
    body = site.func.body if site.func is not None else site.block
    found = None
    for node in names.walk_function(body):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if found is not None or isinstance(node, ast.AugAssign | ast.NamedExpr):
                    return None
                found = node
    if found is None or found.lineno >= site.call.lineno:
        return None
    value = found.value
    return value if isinstance(value, ast.Dict | ast.Call) else None
