"""The intake (tenantry.pipeline.intake) that the library and the relay share: a call's fields
by name, one draft layout the policy shapes, and the suppression check on raw and re-keyed
IDs that never raises."""

from __future__ import annotations

import time

from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.pipeline.backlog import Backlog, Budget, call_bytes
from tenantry.pipeline.intake import ACCEPTED_AT, PROPERTIES, Call, forgotten, make_draft
from tenantry.pipeline.suppression import SuppressionList
from tenantry.policy import build_chain, pseudonymizer, shape

SECRET = b"intake-test-secret"


def chain(edition: str, *, relayed: bool = False):
    return build_chain(
        Settings(edition=edition),
        secret=SECRET,
        anonymous_id="anon_intake",
        profile_lookup=None,
        counters=Counters(),
        relayed=relayed,
    )


class Unreadable:
    """A suppression list whose file cannot be read any more."""

    def __contains__(self, person_id: object) -> bool:
        raise OSError("gone")


class TestCall:
    def test_positions_come_from_the_field_names(self):
        """The backlog's positions are the NamedTuple's: a plain tuple in Call's order (what
        track() appends) reads the same as the Call itself."""
        now = time.time()
        named = Call("track", "e", {"a": 1, "b": 2}, None, "dev_1", None, None, now, None)
        plain = tuple(named)
        assert plain[ACCEPTED_AT] == named.accepted_at == now
        assert plain[PROPERTIES] is named.properties
        assert call_bytes(plain) == call_bytes(named) > call_bytes(named._replace(properties={}))

    def test_packed_calls_come_back_in_field_order(self):
        """Calls packed by the backlog (marshal) come back as tuples Call reads field by field."""
        backlog = Backlog(Budget(), compact_at=0, chunk=4)
        calls = [
            tuple(Call("track", f"e{i}", {"i": i}, "u", "d", None, None, float(i), None))
            for i in range(4)
        ]
        backlog.queue.extend(calls)
        assert backlog.compact() == 4
        back = [Call._make(c) for c in backlog.take(10)]
        assert [c.event for c in back] == ["e0", "e1", "e2", "e3"]
        assert [c.accepted_at for c in back] == [0.0, 1.0, 2.0, 3.0]


class TestDraft:
    def test_the_same_draft_shapes_in_either_chain(self):
        """One draft layout serves the library's chain and the relay's: both shape it, and the
        relayed one takes the sender's context from ``client_context``."""
        context = {"os": "Linux"}
        for c, ctx in ((chain("opensource"), None), (chain("cloud", relayed=True), context)):
            draft = make_draft(
                "track", "memory_created", {"type": "text"}, "usr_1", None, 1.7e9, "u-1",
                client_context=ctx,
            )  # fmt: skip
            event = shape(c, draft)
            assert event is not None and event.uuid == "u-1" and event.timestamp == 1.7e9
            assert event.distinct_id.startswith("anon_") and event.distinct_id != "anon_intake"
            assert event.properties["type"] == "text"
        assert event.properties.get("os") == "Linux"


class TestForgotten:
    def test_raw_and_rekeyed_ids(self, tmp_path):
        """A raw ID on the list is forgotten; with the chain's pseudonymizer, so is an ID whose
        pseudonym is on the list (the relay's re-keyed ID), and that pseudonym is the event's
        distinct_id; other IDs and non-strings pass."""
        relay_chain = chain("cloud", relayed=True)
        rekey = pseudonymizer(relay_chain)
        assert rekey is not None and pseudonymizer(chain("cloud")) is None
        pseudonym = rekey("usr_known_by_pseudonym")
        event = shape(
            relay_chain,
            make_draft("track", "e", {}, "usr_known_by_pseudonym", None, 1.7e9, "u-2"),
        )
        assert event is not None and event.distinct_id == pseudonym
        suppression = SuppressionList(tmp_path)
        suppression.add("usr_gone")
        suppression.add(pseudonym)
        assert forgotten(suppression, ("usr_gone",))
        assert forgotten(suppression, (None, "usr_gone"))
        assert forgotten(suppression, ("usr_known_by_pseudonym",), rekey)
        assert not forgotten(suppression, ("usr_known_by_pseudonym",))
        assert not forgotten(suppression, ("usr_stays", 42, None, ""), rekey)
        assert not forgotten(None, ("usr_gone",))

    def test_an_unreadable_list_suppresses_nothing(self):
        """A list that raises is treated as empty: the check never raises into the pipeline."""
        assert forgotten(Unreadable(), ("usr_gone",)) is False
