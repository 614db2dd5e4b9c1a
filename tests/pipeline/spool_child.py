"""A process that holds one ``Spool`` and runs what the model test sends it over a pipe, so
that the test can SIGKILL it at any step (tests/pipeline/test_spool_model.py). Each command is
answered once it has returned: an answered ``append`` is one the spool has written."""

from __future__ import annotations

from pathlib import Path

from tenantry.counters import Counters
from tenantry.events import Event
from tenantry.pipeline.spool import Spool

MAX_BYTES = 10_000_000


def serve(conn) -> None:
    spool = None
    counters = Counters()
    while True:
        op, *args = conn.recv()
        if op == "open":
            directory, destinations, segment_bytes = args
            spool = Spool(
                Path(directory),
                MAX_BYTES,
                counters,
                segment_bytes=segment_bytes,
                destinations=destinations,
            )
            replayed = [e.uuid for e in spool.replay()]
            conn.send((replayed, dict(spool.replay_needs)))
        elif op == "append":
            spool.append(
                [
                    Event(u, "memory_created", "dev_abc123", 1.7e9, "cloud", {"i": i})
                    for u, i in args[0]
                ]
            )
            conn.send(None)
        elif op == "ack":
            spool.ack(args[0])
            conn.send(None)
        elif op == "ack_for":
            spool.ack_for(args[0], args[1])
            conn.send(None)
        elif op == "state":
            conn.send((spool.pending(), counters.snapshot()))
        elif op == "close":
            spool.close()
            conn.send(None)
            return
