"""The local destination: batches into the embedded store, values never exceptions."""

from __future__ import annotations

from tenantry.config import load_settings
from tenantry.destinations import build
from tenantry.destinations.base import Status
from tenantry.destinations.local import LocalDestination
from tenantry.store import open_store
from tenantry.store.queries import run_query
from tests.store.test_local_store import _events


class TestLocalDestination:
    def test_send_stores_and_delivers(self, tmp_path):
        """A batch is delivered and queryable; a resend of the same batch is stored once."""
        settings = load_settings(data_dir=tmp_path)
        dest = build(settings, "local")
        assert isinstance(dest, LocalDestination)
        batch = _events(1, 1200)
        assert {r.status for r in dest.send(batch, 1.0)} == {Status.DELIVERED}
        assert len(dest.send(batch[:10], 1.0)) == 10
        dest.shutdown(1.0)
        rows = run_query(open_store(settings), "event-counts")["rows"]
        assert sum(r["count"] for r in rows) == 1200

    def test_unwritable_store_is_retried(self, tmp_path):
        """When the store cannot be written, every event comes back RETRY with a reason."""
        dest = LocalDestination(load_settings(data_dir=tmp_path))
        (tmp_path / "events" / "tmp").rmdir()  # the writer's staging dir is gone
        results = dest.send(_events(2, 3), 1.0)
        assert [r.status for r in results] == [Status.RETRY] * 3
        assert results[0].reason.startswith("store_error")
