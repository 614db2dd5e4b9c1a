"""The privacy filters of the edition policy: what is removed from an event's properties.

``StripSecrets`` (both editions) removes keys that name secrets and, in cloud, masks the
credentials inside string values; ``FilterPersonalData`` (opensource) keeps only values that
identify nobody. Both walk the fresh copy that ``CoerceProperties`` made, at any depth, and ask
``pii`` and ``credentials`` for each key's and value's verdict.
"""

from __future__ import annotations

import math

from tenantry.counters import Counters
from tenantry.policy import credentials, pii
from tenantry.policy.processors import Draft


class StripSecrets:
    """Removes, at any depth (dicts inside dicts and lists), every key whose words name a secret:
    ``api_key``, ``sessionToken``, ``Authorization``, ``auth``, ``creds``, ``x-api-key``,
    ``private_key``... (``token_count=3``, ``has_password=True``: a measure or a flag under such
    a key stays when it is a number or a bool). Counted ``secrets_removed``.

    With ``mask_values`` (cloud), every string value and list item is also checked for
    credentials (``credentials.mask``): each credential in it becomes ``"[REDACTED]"`` and the
    rest of the text stays (``"invalid key tnt_..."`` -> ``"invalid key [REDACTED]"``). Counted
    ``credentials_masked``. Works on the fresh copy made by ``CoerceProperties``."""

    def __init__(self, counters: Counters, *, mask_values: bool = False) -> None:
        self.counters = counters
        self.mask_values = mask_values

    def __call__(self, draft: Draft) -> Draft:
        tally = [0, 0]
        _strip(draft["properties"], tally, self.mask_values)
        if tally[0]:
            self.counters.incr("secrets_removed", tally[0])
        if tally[1]:
            self.counters.incr("credentials_masked", tally[1])
        return draft


def _strip(obj: dict | list, tally: list[int], mask: bool) -> None:
    """``tally``: [secret keys removed, string values masked]."""
    secret_key_verdict = pii.secret_key_verdict
    masked_text = credentials.masked
    is_dict = type(obj) is dict
    secret = None
    for k, v in obj.items() if is_dict else enumerate(obj):
        tv = type(v)
        if is_dict:
            verdict = secret_key_verdict(k)
            if verdict and (verdict == 1 or not (tv is int or tv is float or tv is bool)):
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


class FilterPersonalData:
    """Opensource: keeps only values that identify nobody, at any depth.

    Keys whose words name personal data or identifiers are dropped (``user_email``, ``filePath``,
    ``ip_address``, ``id``...; ``keyboard_layout`` and ``monkey_count`` survive); flag/count keys
    (``has_email``, ``url_count``) survive with a number or bool. String values that look like
    emails, phones, IPs, cards, IBANs, SSNs, JWTs, tokens, high-entropy strings, paths, URLs,
    UUIDs/IDs or free text are dropped, and so are URIs by what they carry (``tel:``, ``sms:``,
    ``mailto:``, ``sip:``, ``geo:``... always; ``urn:uuid:...`` by its UUID) and percent-encoded
    forms (``alice%40example.com``). Lists, tuples and sets become their lengths (as coerced,
    so at most ``max_items``). Numbers, booleans and nulls pass, except ints of 15 or more
    digits (card numbers, snowflake IDs) and integral numbers of phone length (7-14 digits:
    ``{"c_int": 4155550100}``) under a key that names no count, size, duration or time
    (``bytes``, ``count``, ``duration_ms``, ``created_at`` keep theirs). Counted ``pii_removed``.
    """

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def __call__(self, draft: Draft) -> Draft:
        removed = [0]
        draft["properties"] = _filter_dict(draft["properties"], removed)
        if removed[0]:
            self.counters.incr("pii_removed", removed[0])
        return draft


_BIG_INT = 10**14  # ints of 15+ digits are card numbers or IDs, not measurements
_PHONE_INT = 10**6  # 7 to 14 digits: a phone number, unless the key names a measure


def _identifying_number(key: str, v: float) -> bool:
    """A card number or snowflake ID (15+ digits, any key), a phone number written as a number
    (7-14 digits, integral, under a key that names no count, size, duration or time), or NaN."""
    if type(v) is float:
        if not math.isfinite(v):
            return True
        if not v.is_integer():  # 1234567.5 is a measurement
            return False
    if not -_BIG_INT < v < _BIG_INT:
        return True
    return not pii.is_measure_key(key)


def _filter_dict(d: dict, removed: list[int]) -> dict:
    out = {}
    pii_key_verdict = pii.pii_key_verdict
    is_sensitive = pii.is_sensitive
    for k, v in d.items():
        verdict = pii_key_verdict(k)
        tv = type(v)
        if verdict:
            if verdict == 2 and (tv is bool or tv is int or tv is float):
                out[k] = v
            else:
                removed[0] += 1
            continue
        if tv is str:
            if is_sensitive(v):
                removed[0] += 1
            else:
                out[k] = v
        elif tv is dict:
            out[k] = _filter_dict(v, removed)
        elif tv is list:
            out[k] = len(v)
        elif (tv is int or tv is float) and not -_PHONE_INT < v < _PHONE_INT:
            if _identifying_number(k, v):
                removed[0] += 1
            else:
                out[k] = v
        else:  # bool, small int, float, None (all that coercion leaves)
            out[k] = v
    return out
