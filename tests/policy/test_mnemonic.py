"""Wallet recovery phrases (BIP-39) never leave in cloud: generated phrases of every length,
spelling and setting are masked in the events a real service sends, and the rest of the text
stays; runs shorter than a phrase, and prose, are kept."""

from __future__ import annotations

import hashlib
import random

import pytest

from tenantry import TelemetryService
from tenantry.policy.credentials import mask
from tenantry.policy.mnemonic import MIN_WORDS, WORDS, spans
from tenantry.testing import InMemoryDestination

LIST = sorted(WORDS)


def test_the_list_is_bip39s():
    """2,048 words, unique in their first four letters, the published file's SHA-256."""
    assert len(LIST) == 2048 and len({w[:4] for w in LIST}) == 2048
    digest = hashlib.sha256(("\n".join(LIST) + "\n").encode()).hexdigest()
    assert digest == "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"


def _phrase(rnd: random.Random) -> str:
    words = [rnd.choice(LIST) for _ in range(rnd.choice((12, 15, 18, 21, 24)))]
    case = rnd.choice((str.lower, str.upper, str.capitalize))
    sep = rnd.choice((" ", "  ", ", ", ",", "\n", " \t"))
    return sep.join(case(w) for w in words)


SETTINGS = (
    "{}",
    "invalid mnemonic: {}",
    "wallet import failed for phrase '{}' (checksum)",
    '{{"mnemonic_words": "{}", "path": "m/44/60/0/0/0"}}',
    "restore: {} -> 0x1f9840a85d5af5bf1d1762f925bdaddc4201f984",
)


@pytest.fixture(scope="module")
def phrases() -> list[tuple[str, str]]:
    rnd = random.Random(39)
    return [(p, rnd.choice(SETTINGS).format(p)) for p in (_phrase(rnd) for _ in range(400))]


def test_generated_phrases_never_leave_in_cloud(phrases, tmp_path):
    """400 phrases (12-24 words, three cases, six separators, five settings) tracked through a
    cloud service: no event holds a run of the phrase's words, and the message around stays."""
    memory = InMemoryDestination()
    service = TelemetryService(
        edition="cloud", destinations=[memory], data_dir=tmp_path, profile_lookup=None
    )
    for i, (_, text) in enumerate(phrases):
        props = {"message": text, "i": i}  # noqa: TNT003 - free text is the case under test
        service.track_sync("wallet_error", props, developer_id="dev_abcde")
    assert service.flush(10.0)
    service.shutdown(5.0)
    sent = {e.properties["i"]: e.properties.get("message", "") for e in memory.events}
    assert len(sent) == len(phrases)
    for i, (phrase, text) in enumerate(phrases):
        assert "[REDACTED]" in sent[i], text
        assert spans(sent[i]) == []
        words = phrase.replace(",", " ").split()
        assert (
            " ".join(words[2:5]).lower() not in " ".join(sent[i].replace(",", " ").split()).lower()
        )
        if text.startswith("invalid mnemonic: "):
            assert sent[i].startswith("invalid mnemonic: ")


def test_shorter_runs_and_prose_are_kept():
    """Eleven list words in a row, and prose (which has words off the list: the, to, of), stay
    whole."""
    rnd = random.Random(7)
    for _ in range(200):
        short = " ".join(rnd.choice(LIST) for _ in range(MIN_WORDS - 1))
        assert mask(f"retry: {short}") == f"retry: {short}"
    prose = (
        "The upload of the file failed because the connection to the storage service was reset "
        "before the last chunk arrived; the client will retry it with a longer timeout soon."
    )
    assert mask(prose) == prose
    broken = " ".join(LIST[:6]) + " the " + " ".join(LIST[6:12])  # a word off the list
    assert mask(broken) == broken
