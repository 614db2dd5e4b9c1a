"""The review's leak corpus (``leak_vectors_unseen``) through a real opensource service: no
vector of its classes reaches a shaped event in any spelling; the documented limits arrive as
events and are counted (README "Privacy", "What it cannot tell")."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.policy.leak_vectors_unseen import CLASSES, LIMIT_CLASSES, corpus, limits
from tests.policy.test_leak_corpus import leaks, track_all

VECTORS = list(corpus())
LIMITS = list(limits())


@pytest.fixture(scope="module")
def shaped(tmp_path_factory) -> dict[int, dict]:
    """Every vector and every limit vector tracked through one opensource service:
    ``{case: event record}`` (limits after the corpus)."""
    return track_all(VECTORS + LIMITS, tmp_path_factory.mktemp("unseen"))[0]


def test_corpus_is_wide():
    """The review's corpus has 300 or more vectors in 15 or more classes, 20 or more each."""
    per_class = Counter(v.kind for v in VECTORS)
    assert len(CLASSES) == len(per_class) >= 15 and len(VECTORS) >= 300
    assert min(per_class.values()) >= 20, per_class


def test_no_vector_leaks(shaped):
    """Every vector arrives as one event, and no part of its personal content is in it."""
    assert sorted(shaped) == list(range(len(VECTORS) + len(LIMITS)))
    found = [(v.kind, hits, shaped[case]["event"], shaped[case]["properties"])
             for case, v in enumerate(VECTORS) if (hits := leaks(v, shaped[case]))]  # fmt: skip
    print(f"\nunseen corpus: {len(VECTORS)} vectors, {len(CLASSES)} classes, {len(found)} leaks")
    assert not found, f"{len(found)} leaks: {found[:15]}"


def test_limits_are_counted(shaped):
    """The documented limits (a single word or handle, short numbers and codes, dotted words
    and seven-character geohashes) arrive as events; how many of them pass is printed, per
    class, for the README's figures."""
    assert len(LIMIT_CLASSES) == len({v.kind for v in LIMITS}) and len(LIMITS) >= 30
    passed = Counter(v.kind for case, v in enumerate(LIMITS, start=len(VECTORS))
                     if leaks(v, shaped[case]))  # fmt: skip
    total = Counter(v.kind for v in LIMITS)
    print("\n" + "\n".join(f"{k}: {passed[k]} of {n} pass" for k, n in total.items()))
    assert set(passed) <= set(total)
