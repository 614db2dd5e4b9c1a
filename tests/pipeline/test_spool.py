"""The durable spool alone: group commit, acks, segment deletion, bound, crash recovery."""

from __future__ import annotations

import contextlib
import os
import time

from tenantry.counters import Counters
from tenantry.events import Event, new_uuids
from tenantry.pipeline.spool import Spool


def events(n: int, start: int = 0) -> list[Event]:
    return [
        Event(u, "memory_created", "dev_abc123", time.time(), "cloud", {"i": start + i})
        for i, u in enumerate(new_uuids(n))
    ]


def segments(directory) -> list:
    return sorted(directory.glob("seg-*.log"))


class TestSpool:
    def test_replay_returns_unacked_events_of_an_earlier_process(self, tmp_path):
        """Events appended and not acked before the process ended come back, in order, intact."""
        evs = events(10)
        spool = Spool(tmp_path, 10_000_000, Counters())
        spool.append(evs[:4])
        spool.append(evs[4:])
        spool.ack([e.uuid for e in evs[:3]])
        # no close(): as if the process was killed
        again = Spool(tmp_path, 10_000_000, Counters())
        replayed = again.replay()
        assert [e.uuid for e in replayed] == [e.uuid for e in evs[3:]]
        assert replayed[0].properties == {"i": 3}
        assert again.pending() == 7

    def test_segment_deleted_only_when_every_record_acked(self, tmp_path):
        """A finished segment stays while one record in it is unacked and goes once it is acked."""
        spool = Spool(tmp_path, 10_000_000, Counters(), segment_bytes=4096)
        first = events(40)  # > 4 KB: the segment is finished after this append
        spool.append(first)
        spool.append(events(1))
        assert len(segments(tmp_path)) == 2
        spool.ack([e.uuid for e in first[:-1]])
        assert len(segments(tmp_path)) == 2
        spool.ack([first[-1].uuid])
        assert len(segments(tmp_path)) == 1

    def test_the_id_of_a_segment_deleted_at_close_is_not_used_again(self, tmp_path):
        """A fully acked last segment is deleted at close while an earlier one stays; its acks
        stay in the ledger. The next process writes after it, never into a segment of the same
        id, where a new record at an acked offset would read as acked and be lost (found by a
        random run of the spool's model test: ``lost 1``)."""
        spool = Spool(tmp_path, 10_000_000, Counters(), segment_bytes=4096)
        kept = events(40)  # > 4 KB: segment 1 is finished, unacked
        spool.append(kept)
        done = events(1, 40)
        spool.append(done)  # segment 2, offset 0
        spool.ack([done[0].uuid])  # the ledger holds (2, 0)
        spool.close()  # segment 2 holds nothing unacked: deleted
        assert [p.name for p in segments(tmp_path)] == ["seg-00000001.log"]
        second = Spool(tmp_path, 10_000_000, Counters(), segment_bytes=4096)
        assert [e.uuid for e in second.replay()] == [e.uuid for e in kept]
        new = events(1, 41)
        second.append(new)
        second.close()
        third = Spool(tmp_path, 10_000_000, Counters(), segment_bytes=4096)
        assert [e.uuid for e in third.replay()] == [e.uuid for e in kept + new]

    def test_fully_acked_spool_replays_nothing_and_leaves_no_segments(self, tmp_path):
        """After every event is acked and the spool closed, a new process replays nothing."""
        evs = events(50)
        spool = Spool(tmp_path, 10_000_000, Counters())
        spool.append(evs)
        spool.ack(e.uuid for e in evs)
        spool.close()
        assert segments(tmp_path) == []
        assert Spool(tmp_path, 10_000_000, Counters()).replay() == []

    def test_bound_drops_oldest_segments_and_counts_them(self, tmp_path):
        """Past max_bytes the oldest segments are deleted and their events counted spool_full."""
        counters = Counters()
        spool = Spool(tmp_path, 16_384, counters, segment_bytes=4096)
        for _ in range(20):
            spool.append(events(20))
        total = sum(p.stat().st_size for p in segments(tmp_path))
        assert total <= 16_384 + 4096 + 4096
        dropped = counters.snapshot()["drops"]["spool_full"]
        assert dropped > 0
        assert spool.pending() + dropped == 400

    def test_torn_tail_is_skipped(self, tmp_path):
        """A record cut short by a crash mid-write is skipped; every whole record is replayed."""
        evs = events(5)
        spool = Spool(tmp_path, 10_000_000, Counters())
        spool.append(evs)
        path = segments(tmp_path)[0]
        data = path.read_bytes()
        path.write_bytes(data[:-7])
        counters = Counters()
        replayed = Spool(tmp_path, 10_000_000, counters).replay()
        assert [e.uuid for e in replayed] == [e.uuid for e in evs[:4]]
        assert counters.get("spool_corrupt") == 1

    def test_corrupt_byte_costs_one_record(self, tmp_path):
        """A flipped byte inside one record loses that record only; the records after it survive."""
        evs = events(5)
        spool = Spool(tmp_path, 10_000_000, Counters())
        spool.append(evs)
        path = segments(tmp_path)[0]
        data = bytearray(path.read_bytes())
        pos = data.find(evs[2].uuid.encode())
        data[pos + 3] ^= 0x55
        path.write_bytes(bytes(data))
        counters = Counters()
        replayed = Spool(tmp_path, 10_000_000, counters).replay()
        assert [e.uuid for e in replayed] == [e.uuid for i, e in enumerate(evs) if i != 2]
        assert counters.get("spool_corrupt") == 1

    def test_replayed_events_acked_later_are_not_replayed_again(self, tmp_path):
        """Acks of replayed events reach the ledger, so a third process replays nothing."""
        evs = events(8)
        Spool(tmp_path, 10_000_000, Counters()).append(evs)
        second = Spool(tmp_path, 10_000_000, Counters())
        replayed = second.replay()
        second.ack(e.uuid for e in replayed[:5])
        third = Spool(tmp_path, 10_000_000, Counters())
        assert [e.uuid for e in third.replay()] == [e.uuid for e in evs[5:]]

    def test_disk_full_does_not_raise_and_is_counted(self, tmp_path):
        """A write that fails with ENOSPC (the segment's descriptor pointed at /dev/full) is
        counted as spool_errors, does not raise, and the next append goes to a fresh segment."""
        counters = Counters()
        spool = Spool(tmp_path, 10_000_000, counters)
        spool.append(events(1))
        # the writer's descriptor, and the sync thread's dup of it when an fsync is under way
        assert full_disk_for(segments(tmp_path)[0]) >= 1
        spool.append(events(3))
        assert counters.get("spool_errors") == 3
        later = events(2)
        spool.append(later)
        replayed = Spool(tmp_path, 10_000_000, Counters()).replay()
        assert [e.uuid for e in replayed][-2:] == [e.uuid for e in later]

    def test_a_failed_ack_write_is_counted_and_never_raises(self, tmp_path):
        """With the ledger on a full disk, ack() does not raise: the events are acked in memory
        (pending drops to 0), counted spool_ack_errors, and a crash then replays them (a
        duplicate, never a loss)."""
        counters = Counters()
        spool = Spool(tmp_path, 10_000_000, counters)
        evs = events(4)
        spool.append(evs)
        assert full_disk_for(tmp_path / "acks.log") == 1
        spool.ack([e.uuid for e in evs])
        assert spool.pending() == 0 and counters.get("spool_ack_errors") == 4
        # no close(): as if the process was killed
        assert [e.uuid for e in Spool(tmp_path, 10_000_000, Counters()).replay()] == [
            e.uuid for e in evs
        ]


def full_disk_for(path) -> int:
    """Point this process's descriptors open on ``path`` at /dev/full (writes fail with ENOSPC),
    in place (``dup2``), as a disk that filled up would; how many there were."""
    full = os.open("/dev/full", os.O_WRONLY)
    n = 0
    try:
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/self/fd/{name}") == str(path):
                    os.dup2(full, int(name))
                    n += 1
    finally:
        os.close(full)
    return n


class TestPerDestinationAcks:
    def test_replay_sends_each_event_only_to_the_destinations_that_had_not_acked_it(self, tmp_path):
        """With two destinations, events that one of them acked before a crash come back needing
        only the other; events both acked do not come back; events neither acked need both."""
        evs = events(10)
        spool = Spool(tmp_path, 10_000_000, Counters(), destinations=("amplitude", "posthog"))
        spool.append(evs)
        spool.ack_for("amplitude", [e.uuid for e in evs[:8]])  # amplitude is ahead
        spool.ack_for("posthog", [e.uuid for e in evs[:3]])
        spool.ack([e.uuid for e in evs[:3]])  # both done with the first 3
        # no close(): as if the process was killed
        again = Spool(tmp_path, 10_000_000, Counters(), destinations=("amplitude", "posthog"))
        replayed = again.replay()
        assert [e.uuid for e in replayed] == [e.uuid for e in evs[3:]]
        assert again.replay_needs == {e.uuid: ("posthog",) for e in evs[3:8]}

    def test_events_acked_one_destination_at_a_time_by_both_are_not_replayed(self, tmp_path):
        """An event that each destination acked separately (the process died before the
        combined ack) is not sent again."""
        evs = events(4)
        spool = Spool(tmp_path, 10_000_000, Counters(), destinations=("a", "b"))
        spool.append(evs)
        spool.ack_for("a", [e.uuid for e in evs])
        spool.ack_for("b", [e.uuid for e in evs[:2]])
        again = Spool(tmp_path, 10_000_000, Counters(), destinations=("a", "b"))
        assert [e.uuid for e in again.replay()] == [e.uuid for e in evs[2:]]

    def test_a_failed_per_destination_ack_write_never_raises(self, tmp_path):
        """With one destination's ledger on a full disk, ack_for() does not raise and is counted
        spool_ack_errors; after a crash those events need that destination again."""
        counters = Counters()
        evs = events(3)
        spool = Spool(tmp_path, 10_000_000, counters, destinations=("a", "b"))
        spool.append(evs)
        assert full_disk_for(tmp_path / "acks-a.log") == 1
        spool.ack_for("a", [e.uuid for e in evs])
        spool.ack_for("b", [e.uuid for e in evs])
        assert counters.get("spool_ack_errors") == 3
        again = Spool(tmp_path, 10_000_000, Counters(), destinations=("a", "b"))
        assert [e.uuid for e in again.replay()] == [e.uuid for e in evs]
        assert again.replay_needs == {e.uuid: ("a",) for e in evs}
