"""The third probe's leak corpus (``leak_vectors_relations``) through a real opensource
service: no vector leaks, and keys of the same words that name no one keep their values."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.policy.leak_vectors import Vector
from tests.policy.leak_vectors_relations import CLASSES, EVENT_NAMES, KEPT, corpus
from tests.policy.test_leak_corpus import leaks, track_all

VECTORS = list(corpus())


@pytest.fixture(scope="module")
def shaped(tmp_path_factory) -> dict[int, dict]:
    """Every vector, then one event holding every ``KEPT`` key, then each of ``EVENT_NAMES``,
    through one service."""
    kept = Vector("kept", dict(KEPT), ())
    names = [Vector("name", {"type": "text"}, (), event=name) for name in EVENT_NAMES]
    return track_all([*VECTORS, kept, *names], tmp_path_factory.mktemp("relations"))[0]


def test_corpus_is_wide():
    """Five classes of 24 or more vectors each."""
    per_class = Counter(v.kind for v in VECTORS)
    assert len(per_class) == len(CLASSES) == 5, per_class
    assert min(per_class.values()) >= 24, per_class


def test_no_vector_leaks(shaped):
    """Every vector arrives as one event, and its name, category value or code is not in it."""
    assert sorted(shaped) == list(range(len(VECTORS) + 1 + len(EVENT_NAMES)))
    found = [(v.kind, v.properties, shaped[case]["properties"])
             for case, v in enumerate(VECTORS) if leaks(v, shaped[case])]  # fmt: skip
    print(f"\nrelations corpus: {len(VECTORS)} vectors, {len(CLASSES)} classes, {len(found)} leaks")
    assert not found, f"{len(found)} leaks: {found[:10]}"


def test_keys_that_name_no_one_are_kept(shaped):
    """``sort_by``, ``caused_by``, ``race_condition``, ``screen_orientation``... keep their
    values: the rules name people and special categories, not the words' every use."""
    props = shaped[len(VECTORS)]["properties"]
    assert {k: props.get(k) for k in KEPT} == KEPT


def test_event_names_of_several_words_are_kept(shaped):
    """Realistic event names of two to five words, one of them perhaps outside the rule's
    vocabulary (``Slack``, ``Stripe``), arrive as they were sent."""
    start = len(VECTORS) + 1
    sent = [shaped[start + i]["event"] for i in range(len(EVENT_NAMES))]
    assert len(EVENT_NAMES) >= 50
    assert sent == EVENT_NAMES
