"""The app's lifecycle: retention at start, and everything it opened closed at stop."""

from __future__ import annotations

import gc
import sys
import threading
import time

from tenantry.config import load_settings
from tenantry.events import Event
from tenantry.server import ServerThread, create_app
from tenantry.server.app import SWITCH_INTERVAL, YOUNG_GC_THRESHOLD
from tenantry.store import open_store


def _event(age_days: float) -> Event:
    return Event(
        uuid=f"00000000-0000-4000-8000-{int(age_days):012d}",
        event="memory_created",
        distinct_id="dev_old",
        timestamp=time.time() - age_days * 86400,
        edition="cloud",
        properties={"type": "text"},
        developer_id="dev_old",
    )


def test_retention_sweeps_at_start(tmp_path):
    """Events older than TELEMETRY_RETENTION_DAYS are removed when the server starts; newer
    ones stay."""
    settings = load_settings(data_dir=tmp_path, retention_days=30, destinations=("local",))
    store = open_store(settings)
    store.write([_event(100), _event(1)])
    assert store.count() == 2
    store.close()
    with ServerThread(create_app(settings)):
        deadline = time.monotonic() + 10
        store = open_store(settings)
        while store.count() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.count() == 1
        store.close()


def test_stop_leaves_no_threads(tmp_path):
    """Stopping the server stops its telemetry, relay senders and server thread."""
    before = {t.ident for t in threading.enumerate()}
    with ServerThread(create_app(load_settings(data_dir=tmp_path))) as server:
        assert server.thread.is_alive()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not extra:
            break
        time.sleep(0.05)
    assert not extra, [t.name for t in extra]


def test_runtime_settings_while_serving_and_restored(tmp_path):
    """While the server runs, the GIL switch interval is ``SWITCH_INTERVAL`` and the cyclic
    GC's youngest generation is collected every ``YOUNG_GC_THRESHOLD`` allocations; both are
    as they were once it stopped (an app that embeds the server keeps its own settings)."""
    switch, thresholds = sys.getswitchinterval(), gc.get_threshold()
    with ServerThread(create_app(load_settings(data_dir=tmp_path))):
        assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *thresholds[1:])
    assert sys.getswitchinterval() == switch
    assert gc.get_threshold() == thresholds
