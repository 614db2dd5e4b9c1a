"""A migrated module behaves as before, and its events reach tenantry instead of the vendors.

tests/migrate/cases/shop.before uses all three SDKs (posthog-python, amplitude-analytics,
segment-analytics-python: the ``bench`` extra). It runs once as it is, the SDKs sending to fake
vendor servers on 127.0.0.1, and once migrated, under ``tenantry.testing.capture_events``.
"""

from __future__ import annotations

import asyncio
import time
import types

import pytest

from tenantry.migrate import migrate_source
from tenantry.testing import capture_events
from tests.fakes.vendors import FakeSegment
from tests.migrate.test_cases import CASES

DEVELOPER = "dev_shop_owner"


def _load(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)  # noqa: S102 - the fixture
    return module


def _scenario(shop: types.ModuleType) -> list:
    """Two customers shop; one order is refunded. Returns everything the functions returned,
    and the shop's own state."""
    out = []
    for user in ("usr_alice", "usr_bob"):
        cart: list[dict] = []
        out.append(shop.add_to_cart(cart, {"sku": "tea", "price": 4}, user, DEVELOPER))
        out.append(shop.add_to_cart(cart, {"sku": "mug", "price": 9}, user, DEVELOPER))
        out.append(shop.checkout(cart, user, DEVELOPER))
        out.append(list(cart))
    out.append(asyncio.run(shop.refund(shop.ORDERS[0], "usr_alice", DEVELOPER)))
    shop.close()
    out.append([dict(o) for o in shop.ORDERS])
    return out


def _wait_for(server, count: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(server.events) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(server.events)


@pytest.fixture
def vendors(monkeypatch, fake_posthog, fake_amplitude):
    import posthog
    import segment.analytics as analytics

    with FakeSegment() as segment:
        monkeypatch.setenv("SHOP_POSTHOG_KEY", "phc_shop")
        monkeypatch.setenv("SHOP_POSTHOG_HOST", fake_posthog.base_url)
        monkeypatch.setenv("SHOP_SEGMENT_KEY", "seg_shop")
        monkeypatch.setenv("SHOP_SEGMENT_HOST", segment.base_url)
        monkeypatch.setenv("SHOP_AMPLITUDE_KEY", "amp_shop")
        monkeypatch.setenv("SHOP_AMPLITUDE_URL", fake_amplitude.url)
        for module in (posthog, analytics):  # the SDKs' module-level clients start fresh
            monkeypatch.setattr(module, "default_client", None)
        yield fake_posthog, fake_amplitude, segment


def test_the_migrated_shop_returns_the_same_and_tenantry_gets_the_same_events(vendors):
    """Every function returns the same values and leaves the same state before and after
    migration; each event the vendors received (name, the end user's ID, custom properties)
    arrives in tenantry once, with user_id as the end user and developer_id found in scope; and
    after migration the vendors receive nothing."""
    fake_posthog, fake_amplitude, segment = vendors
    before = (CASES / "shop.before").read_text()
    shop_before = _load(before, "shop_before")
    returned_before = _scenario(shop_before)
    shop_before.amplitude.shutdown()  # its worker threads
    sent = [
        (e["event"], e["distinct_id"], {k: v for k, v in e["properties"].items() if k[0] != "$"})
        for e in _wait_for(fake_posthog, 5)
    ]
    sent += [
        (e["event_type"], e["user_id"], e.get("event_properties", {}))
        for e in _wait_for(fake_amplitude, 2)
    ]
    sent += [(e["event"], e["userId"], e["properties"]) for e in _wait_for(segment, 3)]
    assert len(sent) == 10

    outcome = migrate_source(before)
    counts = (len(fake_posthog.events), len(fake_amplitude.events), len(segment.events))
    with capture_events(edition="cloud") as events:
        shop_after = _load(outcome.source, "shop_after")
        returned_after = _scenario(shop_after)
        received = list(events)
    shop_after.amplitude.shutdown()  # constructed still (left with a comment), never used
    time.sleep(0.2)  # an SDK thread would have sent by now
    assert (len(fake_posthog.events), len(fake_amplitude.events), len(segment.events)) == counts
    assert returned_after == returned_before
    assert len(received) == len(sent)
    unmatched = list(received)
    for event, user, props in sent:  # each vendor event matches one tenantry event, once
        match = next(
            e
            for e in unmatched
            if (e["event"], e["end_user_id"], e["developer_id"]) == (event, user, DEVELOPER)
            and {k: e["properties"].get(k) for k in props} == props
        )
        unmatched.remove(match)
