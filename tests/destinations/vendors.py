"""A destination, or a whole service, that sends to one of the fake vendors of tests/fakes
(each fake names the settings that reach it: ``server.settings()``)."""

from __future__ import annotations

from typing import Any

from tenantry import TelemetryService
from tenantry.config import load_settings
from tenantry.destinations import Destination, build
from tests.fakes.vendors import FakeAmplitude, FakePostHog, FakeRelay, FakeVendor

KINDS = {"amplitude": FakeAmplitude, "posthog": FakePostHog, "relay": FakeRelay}


def kind_of(server: FakeVendor) -> str:
    return next(kind for kind, cls in KINDS.items() if isinstance(server, cls))


def destination(server: FakeVendor, **kw: Any) -> Any:
    """The destination for ``server``'s kind, sending to it (timeout 2 s unless given)."""
    kw.setdefault("timeout", 2.0)
    dest: Destination = build(load_settings(**server.settings()), kind_of(server), **kw)
    return dest


def service(server: FakeVendor, **kw: Any) -> TelemetryService:
    """A ``TelemetryService`` whose one destination sends to ``server``."""
    return TelemetryService(destinations=(kind_of(server),), **server.settings(), **kw)
