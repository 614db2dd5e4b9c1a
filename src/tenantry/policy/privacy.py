"""The privacy filters of the edition policy: what is removed from an event's properties.

``StripSecrets`` (cloud) removes keys that name secrets, masks the credentials inside string
values, and keeps the call's own IDs out of the event; ``FilterPersonalData`` (opensource)
keeps only what is known to be harmless (``harmless``: booleans, numbers that are no
identifier, short tokens, the operator's planned values) and counts everything else by reason.
Both walk the fresh copy that ``CoerceProperties`` made, at any depth, then ask ``CallIds``
once whether the event may hold one of the call's IDs, and only then walk it item by item.
"""

from __future__ import annotations

from tenantry.counters import Counters
from tenantry.policy import credentials, harmless, pii, words
from tenantry.policy.call_ids import MIN_PART, CallIds
from tenantry.policy.context import UNKNOWN
from tenantry.policy.processors import REDACTED, Draft, safe_route, safe_task

_NOTHING: frozenset[str] = frozenset()


class StripSecrets:
    """Removes, at any depth (dicts inside dicts and lists), every key whose words name a secret:
    ``api_key``, ``sessionToken``, ``Authorization``, ``auth``, ``creds``, ``x-api-key``,
    ``private_key``... (``token_count=3``, ``has_password=True``: a measure or a flag under such
    a key stays when it is a number or a bool: ``words.keeps``). Counted ``secrets_removed``.

    With ``mask_values`` (cloud), every string value and list item is also checked for
    credentials (``credentials.mask``): each credential in it becomes ``"[REDACTED]"`` and the
    rest of the text stays (``"invalid key tnt_..."`` -> ``"invalid key [REDACTED]"``). Counted
    ``credentials_masked``. And the call's IDs (``draft["call_ids"]``) stay out of the event
    name and the properties: a key holding one, and a value or a number equal to one, are
    removed (in a list, the item becomes ``"[REDACTED]"``); inside a longer text each becomes
    ``"[REDACTED]"`` (counted ``call_ids_removed``). ``CloudIdentity`` then adds
    ``developer_id`` and ``end_user_id`` where the seed guide puts them. Works on the fresh
    copy made by ``CoerceProperties``."""

    def __init__(self, counters: Counters, *, mask_values: bool = False) -> None:
        self.counters = counters
        self.mask_values = mask_values

    def __call__(self, draft: Draft) -> Draft:
        tally = [0, 0, 0]
        props = draft["properties"]
        _strip(props, tally, self.mask_values)
        ids = draft.get("call_ids") if self.mask_values else None
        if ids is not None and ids.in_event(draft["event"], props):  # seldom: item by item
            _cut_ids(props, ids, tally)
            name = draft["event"]
            if ids.found_in(name):
                draft["event"] = ids.masked(name, REDACTED) or REDACTED
                tally[2] += 1
        if tally[0]:
            self.counters.incr("secrets_removed", tally[0])
        if tally[1]:
            self.counters.incr("credentials_masked", tally[1])
        if tally[2]:
            self.counters.incr("call_ids_removed", tally[2])
        return draft


def _strip(obj: dict | list, tally: list[int], mask: bool) -> None:
    """``tally``: [secret keys removed, string values masked, ...]."""
    secret_key_verdict = pii.secret_key_verdict
    keeps = words.keeps
    masked_text = credentials.masked
    is_dict = type(obj) is dict
    secret = None
    for k, v in obj.items() if is_dict else enumerate(obj):
        tv = type(v)
        if is_dict:
            verdict = secret_key_verdict(k)
            if verdict and not keeps(verdict, v):
                if secret is None:
                    secret = []
                secret.append(k)
                continue
        if tv is str:
            if mask:
                masked = masked_text(v)
                if masked:
                    obj[k] = masked  # an existing key or index: safe while iterating
                    tally[1] += 1
        elif tv is dict or tv is list:
            _strip(v, tally, mask)
    if secret:
        for k in secret:
            del obj[k]
        tally[0] += len(secret)


def _cut_ids(obj: dict | list, ids: CallIds, tally: list[int]) -> None:
    """Cloud, when the event may hold one of the call's IDs (``CallIds.in_event``): keys that
    hold one, and values and numbers equal to one, go (in a list, the item becomes
    ``[REDACTED]``); inside a longer text each becomes ``[REDACTED]``."""
    is_dict = type(obj) is dict
    gone = []
    for k, v in obj.items() if is_dict else enumerate(obj):
        tv = type(v)
        if is_dict and ids.found_in(k):
            gone.append(k)
        elif tv is str and ids.found_in(v):
            v = ids.masked(v, REDACTED)
            if v is not None:
                obj[k] = v
            elif is_dict:
                gone.append(k)
            else:
                obj[k] = REDACTED
        elif (tv is int or tv is float) and ids.is_number(v):
            if is_dict:
                gone.append(k)
            else:
                obj[k] = REDACTED
        else:
            if tv is dict or tv is list:
                _cut_ids(v, ids, tally)
            continue
        tally[2] += 1
    for k in gone:
        del obj[k]


class FilterPersonalData:
    """Opensource: keeps only what is known to be harmless, at any depth (``harmless``).

    - a key leaves when it is a harmless name whose words name no personal data, identifier or
      secret (``keyboard_layout``, ``monkey_count`` stay; ``user_email``, ``filePath``, ``id``,
      ``api_key``, ``alice@example.com`` go), and holds none of the call's IDs; flag and count
      keys (``has_email``, ``url_count``, ``token_count``) keep a number or a bool;
    - a string leaves when it is a harmless token holding none of the call's IDs
      (``harmless.token_reason``); a number when it is not shaped like an identifier
      (``harmless.number_reason``) and is none of the call's IDs; booleans and nulls leave;
    - dicts are walked; lists, tuples and sets become their lengths (as coerced, so at most
      ``max_items``); anything else is dropped;
    - a top-level property the operator's tracking plan vouched for (``draft["vouched"]``, the
      keys whose value the plan enumerates) leaves as it is when it is a str, number or bool.

    Each removal is counted ``pii_removed`` and ``pii_removed:<reason>`` (``email``,
    ``digits``, ``script``, ``text``, ``call_id``, ``personal_key``, ``secret_key``...): the
    reasons, never the values. An event name that holds one of the call's IDs becomes
    ``"unknown"`` (counted ``redacted_event_name``). An ``api_request``'s ``route`` (relayed
    from another installation's middleware) is kept as a template (``processors.safe_route``):
    its literal segments stay only when they are harmless tokens and hold none of the call's
    IDs; a ``task_run``'s ``task`` (relayed from another installation's Celery integration)
    likewise through ``processors.safe_task``."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def __call__(self, draft: Draft) -> Draft:
        removed: dict[str, int] = {}
        name = draft.get("event")
        props = draft["properties"]
        route = props.pop("route", None) if name == "api_request" else None
        task = props.pop("task", None) if name == "task_run" else None
        ids = draft.get("call_ids")
        props = _filter(props, removed, draft.get("vouched") or _NOTHING, ids)
        if ids is not None and ids.in_event(name, props):  # seldom: item by item
            props = _without_ids(props, ids, removed)
            if type(name) is str and ids.found_in(name):
                draft["event"] = UNKNOWN
                self.counters.incr("redacted_event_name")
        if type(route) is str:
            props["route"] = _safe_route(route, ids)
        if type(task) is str:
            props["task"] = safe_task(task if ids is None or not ids.found_in(task) else "")
        draft["properties"] = props
        if removed:
            counts = {"pii_removed:" + reason: n for reason, n in removed.items()}
            counts["pii_removed"] = sum(removed.values())
            self.counters.incr_many(counts)
        return draft


def _safe_route(route: str, ids: CallIds | None) -> str:
    """An ``api_request``'s route (relayed from another installation's middleware, which the
    token model would drop as a path) through ``safe_route``, less any of the call's IDs."""
    if ids is not None and ids.found_in(route):
        route = "/".join("{redacted}" if ids.found_in(seg) else seg for seg in route.split("/"))
    return safe_route(route)


def _filter(d: dict, removed: dict[str, int], vouched: frozenset, ids: CallIds | None) -> dict:
    """``d`` less what is not known to be harmless; with ``ids``, less what is a part of one
    of the call's IDs (``CallIds.holds_part``, ``holds_number``), counted ``call_id``."""
    out = {}
    key_reason = harmless.key_reason
    token_reason = harmless.token_reason
    keeps = words.keeps
    # A text may be a part of an ID (or of a digest of one) only when it is ``MIN_PART`` to
    # ``part_limit`` long: most keys and values are not, and cost no call.
    part = ids.parts.__getitem__ if ids is not None else None  # = ids.holds_part, without a frame
    min_part = MIN_PART
    limit = ids.part_limit if ids is not None else 0
    for k, v in d.items():
        tv = type(v)
        if vouched and k in vouched and (tv is str or tv is int or tv is float or tv is bool):
            out[k] = v
            continue
        judged = key_reason(k)
        if judged is not None and not keeps(judged[0], v):
            removed[judged[1]] = removed.get(judged[1], 0) + 1
            continue
        if min_part <= len(k) <= limit and part(k):
            removed["call_id"] = removed.get("call_id", 0) + 1
            continue
        if tv is str:
            reason = token_reason(v)
        elif tv is bool or v is None:
            out[k] = v
            continue
        elif tv is int or tv is float:
            reason = harmless.number_reason(k, v)
            if reason is None and ids is not None and ids.holds_number(v):
                reason = "call_id"
        elif tv is dict:
            out[k] = _filter(v, removed, _NOTHING, ids)
            continue
        elif tv is list:
            out[k] = len(v)
            continue
        else:  # nothing else is left by coercion; should it be, it does not leave
            reason = "object"
        if reason is None and tv is str and min_part <= len(v) <= limit and part(v):
            reason = "call_id"
        if reason is None:
            out[k] = v
        else:
            removed[reason] = removed.get(reason, 0) + 1
    return out


def _without_ids(d: dict, ids: CallIds, removed: dict[str, int]) -> dict:
    """``d`` (already filtered) less the keys and strings that hold one of the call's IDs and
    the numbers equal to one (``pii_removed:call_id``)."""
    out = {}
    for k, v in d.items():
        tv = type(v)
        if (
            ids.found_in(k)
            or (tv is str and ids.found_in(v))
            or ((tv is int or tv is float) and ids.is_number(v))
        ):
            removed["call_id"] = removed.get("call_id", 0) + 1
            continue
        out[k] = _without_ids(v, ids, removed) if tv is dict else v
    return out
