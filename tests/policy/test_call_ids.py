"""The call's own IDs (issue 19 item 4): never in an opensource event; in a cloud event only
where the seed guide puts them (``end_user_id``, ``developer_id``, the primary ID); the same
for an identity's external user ID and API key, and for this installation's secrets."""

from __future__ import annotations

from types import SimpleNamespace

import orjson

from tenantry import TelemetryService
from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.policy import build_chain, shape
from tenantry.testing import InMemoryDestination
from tests.policy.conftest import ANON, SECRET, chain, make_draft

UID, DID = "user_1234", "dev_abc123"  # make_draft's IDs
ECHOES = {
    "owner": UID,
    "upper": UID.upper(),
    "nested": {"deeper": {"ref": DID}},
    f"by_{UID}": 3,
    "label": f"signup_{UID}",
    "note": f"retry for {UID} failed",
    "keep": "text",
    "n": 1234,  # a run of four digits of user_1234: a number equal to it goes
    "m": 123456,  # a longer number that merely holds it stays
}


def _wire(event) -> str:
    return orjson.dumps(event.to_record()).decode()


class TestOpensource:
    def test_echoed_ids_never_leave(self):
        """Values, keys, texts and numbers that are or hold the call's IDs are removed, counted
        ``pii_removed:call_id``; the rest stays."""
        counters = Counters()
        event = shape(chain("opensource", counters), make_draft(properties=dict(ECHOES)))
        wire = _wire(event).lower()
        assert UID not in wire and DID not in wire and '"n":1234' not in wire
        assert event.properties["keep"] == "text" and event.properties["m"] == 123456
        # the key, the label and the number go as the call's IDs; the other echoes already
        # for their own shape (an ID, free text) or key (owner)
        assert counters.get("pii_removed:call_id") == 3

    def test_event_name_holding_an_id_becomes_unknown(self):
        """An event name that holds the call's ID is not sent."""
        counters = Counters()
        event = shape(chain("opensource", counters), make_draft(event=f"signup_{UID}"))
        assert event.event == "unknown" and counters.get("redacted_event_name") == 1

    def test_relayed_route_loses_the_segment_with_the_id(self):
        """A relayed ``api_request`` route keeps its template, less a segment holding the ID."""
        event = shape(
            chain("opensource", Counters(), relayed=True),
            make_draft(event="api_request", properties={"route": f"/v1/users/{UID}/notes"}),
        )
        assert event.properties["route"] == "/v1/users/{redacted}/notes"


class TestCloud:
    def test_ids_only_where_the_seed_guide_puts_them(self):
        """The IDs stay out of caller properties (texts keep their words, the ID becomes
        ``[REDACTED]``); ``end_user_id`` and ``developer_id`` are the seed guide's."""
        counters = Counters()
        event = shape(chain("cloud", counters), make_draft(properties=dict(ECHOES)))
        props = event.properties
        assert props["end_user_id"] == UID and props["developer_id"] == DID
        assert event.distinct_id == DID
        rest = {k: v for k, v in props.items() if k not in ("end_user_id", "developer_id")}
        assert UID not in orjson.dumps(rest).decode().lower() and DID not in str(rest)
        assert props["note"] == "retry for [REDACTED] failed"
        assert props["label"] == "signup_[REDACTED]"
        assert props["keep"] == "text" and props["m"] == 123456 and "n" not in props
        assert counters.get("call_ids_removed") == 7

    def test_event_name_is_masked(self):
        """A cloud event name keeps its words, the ID in it becomes ``[REDACTED]``."""
        event = shape(chain("cloud", Counters()), make_draft(event=f"export for {UID}"))
        assert event.event == "export for [REDACTED]"


def _service(edition: str, tmp_path, **settings) -> tuple[TelemetryService, InMemoryDestination]:
    memory = InMemoryDestination()
    service = TelemetryService(
        edition=edition,
        destinations=[memory],
        data_dir=tmp_path,
        profile_lookup=None,
        **settings,
    )
    return service, memory


def test_identity_ids_and_the_raw_ids_never_leave(tmp_path):
    """Through a real service: the external user ID and API key an identity carries, and the
    raw user ID the caller passed beside it, appear in neither edition's events, while cloud
    still names the identity's end user and developer."""
    identity = SimpleNamespace(
        developer_id="dev_identity01",
        end_user_id="usr_identity01",
        external_user_id="alice_from_dev_system",
        api_key="tnt_5L2jAbCdEfGhIjKlMnOpQrStUvWxYz01",
    )
    props = {
        "ext": "alice_from_dev_system",
        "key_echo": identity.api_key,
        "raw": "raw-caller-id",
        "kind": "text",
    }
    for edition in ("opensource", "cloud"):
        service, memory = _service(edition, tmp_path / edition)
        try:
            service.track_sync("memory_created", props, user_id="raw-caller-id", identity=identity)
            assert service.flush(timeout=10.0)
        finally:
            service.shutdown(timeout=5.0)
        (event,) = memory.events
        wire = _wire(event).lower()
        for secret in ("alice_from_dev_system", identity.api_key.lower(), "raw-caller-id"):
            assert secret not in wire, (edition, secret)
        assert event.properties["kind"] == "text"
        if edition == "cloud":
            assert event.properties["end_user_id"] == "usr_identity01"
            assert event.distinct_id == "dev_identity01"


def test_configured_secrets_never_leave():
    """A destination API key from the settings, echoed into a property, leaves neither
    edition."""
    key = "phc_0123456789abcdefghijABCDEFGHIJ"
    for edition in ("opensource", "cloud"):
        ids = build_chain(
            Settings(edition=edition, posthog_api_key=key),
            secret=SECRET,
            anonymous_id=ANON,
            profile_lookup=None,
            counters=Counters(),
        )
        event = shape(ids, make_draft(properties={"cfg": f"posthog={key}", "kind": "text"}))
        assert key.lower() not in _wire(event).lower(), edition
        assert event.properties["kind"] == "text"


def test_vouched_values_leave_as_planned():
    """A top-level value the operator's plan vouched for leaves as it is (str, number or
    bool), even where the positive model would drop it; unvouched ones and containers do not."""
    draft = make_draft(
        properties={
            "tier": "Enterprise Plus",
            "seats": 4155550100,
            "other": "Enterprise Plus",
            "blob": {"a": "x y"},
        },  # fmt: skip
        vouched={"tier", "seats", "blob"},
    )
    event = shape(chain("opensource", Counters()), draft)
    assert event.properties["tier"] == "Enterprise Plus" and event.properties["seats"] == 4155550100
    assert "other" not in event.properties and event.properties["blob"] == {}
