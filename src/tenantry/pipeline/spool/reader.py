"""Replay: the segments that earlier processes left, read against the ledgers, give back the
events not acked yet, oldest first. [Vector ``disk_v2/reader.rs``]

A record is left out when ``acks.log`` holds its position (every destination was done with
it) or, with several destinations, when every destination's own ledger holds it. Otherwise it
comes back, with the destinations that still need it. Torn or corrupt records are skipped and
counted; an event whose uuid came back already (from an earlier record) comes back once.
A segment left with nothing to replay is deleted at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tenantry.events import Event
from tenantry.pipeline.spool.acks import Position, Unacked
from tenantry.pipeline.spool.record import read_records
from tenantry.pipeline.spool.writer import Segments


@dataclass(slots=True)
class Replay:
    events: list[Event] = field(default_factory=list)
    # uuid -> the destinations that still need it, for events some destination already acked
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bad: int = 0  # torn or corrupt records skipped


def replay(
    segments: Segments,
    unacked: Unacked,
    acked: set[Position],
    per_destination: Mapping[str, set[Position]],
    destinations: Sequence[str],
) -> Replay:
    """Read ``segments.old`` (then forgotten), place what comes back in ``unacked``."""
    out = Replay()
    for seg in segments.old:
        path = segments.path(seg)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        kept = False
        for offset, payload in read_records(data):
            if payload is None:
                out.bad += 1
                continue
            pos = (seg, offset)
            if pos in acked:
                continue
            needs = tuple(n for n in destinations if pos not in per_destination[n])
            if destinations and not needs:
                continue  # every destination acked it one by one
            try:
                event = Event.loads(payload)
            except Exception:
                out.bad += 1
                continue
            if event.uuid in unacked:
                continue
            if len(needs) < len(destinations):
                out.needs[event.uuid] = needs
            unacked.place(event.uuid, pos)
            out.events.append(event)
            kept = True
        if kept:
            segments.sizes[seg] = len(data)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    segments.old = []
    return out
