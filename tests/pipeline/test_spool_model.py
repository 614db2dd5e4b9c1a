"""The spool against a model (hypothesis stateful): random appends, acks, per-destination acks,
SIGKILLs of the process that holds the spool, clean restarts and replays. After every restart
the replay gives back exactly the events that were appended and not acked, in order, each once,
with the destinations that still need them: no event is lost, and a duplicate can only be an
event that was delivered and not yet acked (the rule in ``tenantry.pipeline.spool``).
[Vector's disk buffer model tests]"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tenantry.events import new_uuids
from tests.pipeline import spool_child

# Children are forked from a fork server that has imported the spool and nothing else: a
# SIGKILL is real, a start costs milliseconds, and no thread of the test process is inherited.
_ctx = multiprocessing.get_context("forkserver")
_ctx.set_forkserver_preload(["tests.pipeline.spool_child"])

SEGMENT_BYTES = 4096  # ~25 events a segment: rolls and deletions happen within a few steps
ANSWER_TIMEOUT = 30.0


class Holder:
    """The process that holds the spool; ``call`` sends one command and waits for its answer."""

    def __init__(self, directory: Path, destinations: tuple[str, ...]) -> None:
        self.conn, child = _ctx.Pipe()
        self.proc = _ctx.Process(target=spool_child.serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.replayed, self.needs = self.call("open", str(directory), destinations, SEGMENT_BYTES)

    def call(self, *command):
        self.conn.send(command)
        if not self.conn.poll(ANSWER_TIMEOUT):
            raise AssertionError(f"the spool's process did not answer {command[0]!r}")
        return self.conn.recv()

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no close, no flush, no atexit
        self.proc.join(10.0)
        self.conn.close()

    def close(self) -> None:
        self.call("close")
        self.proc.join(10.0)
        self.conn.close()


class SpoolModel(RuleBasedStateMachine):
    """The model: ``live`` maps each appended, not-acked uuid (in append order) to the
    destinations that have not acked it yet (empty with one destination: only ``ack`` counts)."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="spool-model-"))
        self.destinations: tuple[str, ...] = ()
        self.live: dict[str, set[str]] = {}
        self.gone: list[str] = []  # acked uuids: acking them again must change nothing
        self.counter = 0
        self.holder: Holder | None = None

    @initialize(destinations=st.sampled_from([(), ("amplitude", "posthog")]))
    def start(self, destinations):
        self.destinations = destinations
        self.holder = Holder(self.directory, destinations)
        assert self.holder.replayed == []

    # -- the steps ----------------------------------------------------------------------------
    @rule(n=st.integers(1, 40))
    def append(self, n):
        """The worker spools a shaped group."""
        uuids = new_uuids(n)
        self.holder.call("append", [(u, self.counter + i) for i, u in enumerate(uuids)])
        self.counter += n
        for u in uuids:
            self.live[u] = set(self.destinations)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def ack(self, data):
        """Every destination has a final result for some events (in any order), maybe with
        uuids already acked among them."""
        uuids = data.draw(st.lists(st.sampled_from(list(self.live)), min_size=1, unique=True))
        stale = data.draw(st.lists(st.sampled_from(self.gone), max_size=2)) if self.gone else []
        self.holder.call("ack", uuids + stale)
        for u in uuids:
            del self.live[u]
        self.gone.extend(uuids)

    @precondition(lambda self: self.live and self.destinations)
    @rule(data=st.data())
    def ack_for(self, data):
        """One destination has a final result for some events."""
        name = data.draw(st.sampled_from(self.destinations))
        uuids = data.draw(st.lists(st.sampled_from(list(self.live)), min_size=1, unique=True))
        self.holder.call("ack_for", name, uuids)
        for u in uuids:
            self.live[u].discard(name)

    @rule()
    def crash(self):
        """SIGKILL the process that holds the spool, start another: it replays."""
        self.holder.kill()
        self._reopen()

    @rule()
    def restart(self):
        """Close the spool cleanly, start another: it replays."""
        self.holder.close()
        self._reopen()

    def _reopen(self) -> None:
        self.holder = Holder(self.directory, self.destinations)
        # events every destination acked one by one are done: never replayed
        expected = [u for u, left in self.live.items() if left or not self.destinations]
        replayed = self.holder.replayed
        assert len(replayed) == len(set(replayed)), "an event came back twice"
        assert replayed == expected, (
            f"lost {len(set(expected) - set(replayed))}, "
            f"came back though acked {len(set(replayed) - set(expected))}"
        )
        partial = {
            u: tuple(n for n in self.destinations if n in left)
            for u, left in self.live.items()
            if left and len(left) < len(self.destinations)
        }
        assert self.holder.needs == partial
        self.live = {u: self.live[u] for u in expected}

    # -- after every step ---------------------------------------------------------------------
    @invariant()
    def pending_is_what_is_not_acked(self):
        if self.holder is None:
            return
        pending, counters = self.holder.call("state")
        assert pending == len(self.live)
        assert not counters.get("drops"), counters  # nothing dropped: the bound is far away
        for name in ("spool_errors", "spool_ack_errors", "spool_corrupt"):
            assert counters.get(name, 0) == 0, (name, counters)

    def teardown(self) -> None:
        if self.holder is not None:
            self.holder.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.mark.slow
def test_spool_matches_its_model():
    """Random appends, acks, per-destination acks, SIGKILLs and restarts: every replay is the
    appended-and-not-acked events, in order, once each, with the destinations still missing."""
    run = SpoolModel.TestCase
    run.settings = settings(
        max_examples=12,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    run().runTest()
