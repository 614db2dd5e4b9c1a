"""The review's credential corpus (``credential_corpus_unseen``) through a real cloud
``TelemetryService``: no secret part of any credential leaves, in any view of the shaped event;
the words around a credential in a message stay."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.policy.credential_corpus_unseen import CONTAINERS, VENDOR, vectors
from tests.policy.test_credentials_corpus import _wire, every_view, leaked, run_corpus


@pytest.fixture(scope="module")
def corpus_run():
    return run_corpus(vectors())


def test_corpus_size(corpus_run):
    """150 or more vectors across 40 or more formats and containers, three of each."""
    corpus, _ = corpus_run
    per_format = Counter(v.format for v in corpus)
    assert len(corpus) >= 150 and len(per_format) == len(VENDOR) + len(CONTAINERS) >= 40
    assert min(per_format.values()) == 3


def test_no_credential_leaves_cloud(corpus_run):
    """No secret part of any credential appears in any view (canonical, unescaped, base64/hex
    decoded, three levels) of the cloud event it was tracked in, and every event arrives."""
    corpus, by_n = corpus_run
    leaks = []
    for n, vector in enumerate(corpus):
        event = by_n.get(n)
        assert event is not None, (vector.format, vector.placement)
        views = every_view(_wire(event))
        leaks += [(vector.format, vector.placement, s[:16]) for s in vector.secrets
                  if leaked(s, views)]  # fmt: skip
    print(f"\nunseen credentials: {len(corpus)} vectors, leaks: {len(leaks)}")
    assert leaks == []


def test_the_rest_of_the_message_stays(corpus_run):
    """In an error message the credential is masked and the words around it arrive."""
    corpus, by_n = corpus_run
    messages = [n for n, v in enumerate(corpus) if v.placement == "message"]
    assert len(messages) >= 10
    for n in messages:
        error = by_n[n].properties["error"]
        assert error.startswith("request failed: ") and error.endswith("(attempt 2 of 5)")
        assert "[REDACTED]" in error
