"""``none``: accepts every event and sends it nowhere."""

from __future__ import annotations

from collections.abc import Sequence

from tenantry.destinations.base import DELIVERED, Destination, Result
from tenantry.events import Event


class NoneDestination(Destination):
    name = "none"

    def __init__(self, settings=None, **_: object) -> None:
        pass

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        return [DELIVERED] * len(batch)
