"""One value that JSON cannot encode costs nothing but itself (issue 20 item 2): a lone surrogate
(``"\\ud800"``) or a file name decoded with ``surrogateescape``, in a property, a key, a list, the
event name or an ID. Shaped events are repaired (U+FFFD, counted ``repaired_strings``) before
the spool or any destination sees them, in every destination and in durable mode; and each
destination, the sender and the spool still set aside an event they cannot encode alone
(``unencodable``), never failing or retrying its batch. Real destinations, real fake vendors on
127.0.0.1, a real store and a real ClickHouse."""

from __future__ import annotations

import os
import threading
import time

import orjson
import pytest

from tenantry import TelemetryService
from tenantry.config import load_settings
from tenantry.counters import Counters
from tenantry.destinations import build
from tenantry.destinations.base import Status
from tenantry.events import Event, new_uuids
from tenantry.pipeline.sender import Sender
from tenantry.pipeline.spool import Spool
from tenantry.testing import InMemoryDestination

N = 1000
FILE_NAME = os.fsdecode(b"caf\xe9.txt")  # 'caf\udce9.txt': what os.listdir gives for latin-1


def track_poisoned(svc: TelemetryService) -> int:
    """Track ``N`` events, every 100th of five kinds poisoned; return the strings the shaped
    events hold that UTF-8 cannot encode (cloud: a developer ID is the distinct ID, the
    ``developer_id`` field and a property, so it counts three times)."""
    bad = 0
    for i in range(N):
        props: dict = {"i": i, "type": "text"}
        name, developer = "memory_created", "dev_abc123"
        kind = i % 100
        if kind == 7:
            props["value"] = "x\ud800y"
            bad += 1
        elif kind == 17:
            props[FILE_NAME] = 1
            bad += 1
        elif kind == 27:
            props["names"] = ["ok", FILE_NAME]
            bad += 1
        elif kind == 37:
            name = "memory\udcffcreated"
            bad += 1
        elif kind == 47:
            developer = "dev_\ud800abc"
            bad += 3
        svc.track_sync(name, props, user_id="usr_end1", developer_id=developer)
    return bad


def no_surrogates(value) -> bool:
    return orjson.loads(orjson.dumps(value)) == value


DESTINATIONS = [
    ("jsonl", False),
    ("jsonl", True),
    ("amplitude", False),
    ("posthog", True),
    ("relay", False),
    ("local", False),
    ("memory", True),
]


class TestRepairedAtTheSource:
    @pytest.mark.parametrize(("name", "durable"), DESTINATIONS)
    def test_every_event_arrives_with_its_bad_strings_repaired(
        self, name, durable, tmp_path, fake_amplitude, fake_posthog, fake_relay
    ):
        """1,000 events, 50 of them poisoned: all 1,000 arrive, each bad string as U+FFFD, the
        repairs are counted exactly, nothing is dropped and ``flush`` is True."""
        memory = InMemoryDestination()
        kw = dict(
            edition="cloud",
            destinations=[memory] if name == "memory" else (name,),
            durable=durable,
            jsonl_path=tmp_path / "out.jsonl",
            **fake_amplitude.settings(),
            **fake_posthog.settings(),
            **fake_relay.settings(),
        )
        svc = TelemetryService(**kw)
        bad = track_poisoned(svc)
        assert svc.flush(30.0)
        st = svc.get_status()
        svc.shutdown(5.0)
        if name == "jsonl":
            got = [
                orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()
            ]
        elif name == "local":
            from tenantry.store.base import Scope
            from tenantry.store.local import LocalStore

            store = LocalStore(tmp_path / "tenantry-data" / "events")
            rows = store.select("SELECT event, distinct_id, properties FROM {events}", Scope())
            got = [list(row) for row in rows]
            store.close()
        elif name == "memory":
            got = [e.to_record() for e in memory.events]
        else:
            got = {"amplitude": fake_amplitude, "posthog": fake_posthog, "relay": fake_relay}[
                name
            ].events
        print(f"\n{name} durable={durable}: {len(got)} arrived; {st['counters']}")
        assert len(got) == N and st["dropped"] == 0 and st["delivered"] == N
        assert st["counters"]["repaired_strings"] == bad == 70
        assert "\ufffd" in repr(got) and all(no_surrogates(g) for g in got)


class TestEachDestinationAlone:
    """Handed an event it cannot encode (past the fan-out's repair), each destination rejects
    that event alone and delivers the rest in the same call."""

    def batch(self) -> list[Event]:
        evs = [
            Event(u, "memory_created", "dev_abc123", time.time(), "cloud", {"i": i})
            for i, u in enumerate(new_uuids(20))
        ]
        evs[5].properties = {"value": "\ud800"}
        evs[11].event = FILE_NAME
        return evs

    def check(self, results, arrived: int) -> None:
        assert [i for i, r in enumerate(results) if r.status is not Status.DELIVERED] == [5, 11]
        assert {results[5].reason, results[11].reason} == {"unencodable"}
        assert arrived == 18

    @pytest.mark.parametrize("name", ["amplitude", "posthog", "relay"])
    def test_http_destinations(self, name, fake_amplitude, fake_posthog, fake_relay):
        """Amplitude, PostHog and the relay: 18 of 20 sent, the 2 bad ones rejected."""
        server = {"amplitude": fake_amplitude, "posthog": fake_posthog, "relay": fake_relay}[name]
        dest = build(load_settings(**server.settings()), name)
        results = dest.send(self.batch(), 10.0)
        dest.shutdown(1.0)
        self.check(results, len(server.events))

    def test_local_store(self, tmp_path):
        """The embedded store: 18 of 20 stored, the 2 bad ones rejected, nothing retried."""
        dest = build(load_settings(data_dir=tmp_path), "local")
        results = dest.send(self.batch(), 10.0)
        arrived = dest.store.count()
        dest.shutdown(1.0)
        self.check(results, arrived)

    def test_clickhouse(self, clickhouse_db):
        """ClickHouse: 18 of 20 inserted, the 2 bad ones rejected before the dedup window saw
        any uuid (so none of the 18 is mistaken for a duplicate later)."""
        from tenantry.store.clickhouse import TABLE

        dest = build(load_settings(clickhouse_url=clickhouse_db), "clickhouse")
        results = dest.send(self.batch(), 10.0)
        arrived = dest.store._run(f"SELECT count() FROM {TABLE}")[0][0]
        dest.shutdown(1.0)
        self.check(results, arrived)


class Strict(InMemoryDestination):
    """Encodes each batch as a whole, as a careless third-party destination might: one bad
    event makes ``send`` raise."""

    def send(self, batch, timeout):
        orjson.dumps([e.to_record() for e in batch])
        return super().send(batch, timeout)


class TestSenderAndSpool:
    def test_a_destination_that_raises_is_never_retried_for_an_encoding_error(self):
        """The sender turns a ``send`` that raised into results: the events JSON cannot encode
        are rejected (``unencodable``), the others retried and delivered on the next try; the
        batch is not retried forever."""
        dest = Strict(name="strict")
        finals: list = []
        done = threading.Event()

        def on_final(name, events, results):
            finals.extend(zip(events, results, strict=True))
            if len(finals) == 20:
                done.set()

        sender = Sender(dest, counters=Counters(), on_final=on_final)
        batch = TestEachDestinationAlone().batch()
        sender.submit(batch)
        sender.request_flush(True)
        assert done.wait(10.0)
        sender.stop(1.0)
        rejected = {e.uuid for e, r in finals if r.status is Status.REJECTED}
        assert rejected == {batch[5].uuid, batch[11].uuid}
        assert {r.reason for _, r in finals if r.status is Status.REJECTED} == {"unencodable"}
        assert [e.uuid for e in dest.events] == [e.uuid for e in batch if e.uuid not in rejected]
        assert sender.stats["retried"] == 18 and sender.rejected == {"unencodable": 2}

    def test_the_spool_keeps_the_rest_of_a_group(self, tmp_path):
        """A group with one event the spool cannot encode: the other events are written (a
        later process replays them), the bad one counted ``spool_unencodable``."""
        counters = Counters()
        spool = Spool(tmp_path / "spool", 64 * 1024 * 1024, counters)
        batch = TestEachDestinationAlone().batch()
        spool.append(batch)
        spool.close()
        again = Spool(tmp_path / "spool", 64 * 1024 * 1024, Counters())
        replayed = again.replay()
        again.close()
        assert [e.uuid for e in replayed] == [
            e.uuid for i, e in enumerate(batch) if i not in (5, 11)
        ]
        assert counters.get("spool_unencodable") == 2 and counters.get("spool_errors") == 0


def test_status_counts_a_destination_that_rejects_everything_with_its_own_reasons():
    """Item 10: a destination that rejects each of 1,000 events with a reason of its own grows
    at most 32 reasons and ``other``, in ``drops`` and per destination; all 1,000 counted."""

    class Chatty(InMemoryDestination):
        def send(self, batch, timeout):
            from tenantry.destinations.base import Result

            return [Result.rejected(f"bad value {e.uuid}") for e in batch]

    svc = TelemetryService(edition="cloud", destinations=[Chatty(name="chatty")])
    for i in range(N):
        svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
    assert not svc.flush(30.0)
    st = svc.get_status()
    svc.shutdown(5.0)
    drops = st["drops"]
    mine = st["per_destination"]["chatty"]["rejected"]
    print(f"\n{len(drops)} drop reasons, {len(mine)} per destination")
    assert len(drops) == 33 and drops["rejected:other"] == N - 32
    assert sum(drops.values()) == st["dropped"] == N
    assert len(mine) == 33 and mine["other"] == N - 32 and sum(mine.values()) == N
    assert st["failed"] == N and st["delivered"] == 0
