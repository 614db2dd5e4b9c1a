"""The public API is exactly what the docs promise."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import tenantry


def documented_names() -> list[str]:
    """The names the README's "The library" section lists as tenantry's public API."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    [paragraph] = [
        p for p in readme.split("\n\n") if p.startswith("The public names of `tenantry`")
    ]
    return re.findall(r"`(\w+)`", paragraph.split("):", 1)[1])


def test_all_is_exactly_the_documented_api():
    """tenantry.__all__ is the README's list of public names, and each of them resolves."""
    assert sorted(tenantry.__all__) == sorted(documented_names())
    for name in tenantry.__all__:
        assert hasattr(tenantry, name)


def test_track_signatures_match_the_contract():
    """track/track_sync take (event, props, user_id, developer_id) plus keyword identity and timestamp."""
    for method in (tenantry.TelemetryService.track, tenantry.TelemetryService.track_sync):
        params = list(inspect.signature(method).parameters)
        assert params[:5] == ["self", "event_name", "properties", "user_id", "developer_id"]
        assert "timestamp" in params and "identity" in params
    assert inspect.iscoroutinefunction(tenantry.TelemetryService.track)
    assert inspect.iscoroutinefunction(tenantry.TelemetryService.track_error)
    assert inspect.iscoroutinefunction(tenantry.TelemetryService.track_performance)


def test_import_is_lazy():
    """`import tenantry` loads neither the pipeline nor the policy until a name is used."""
    import subprocess
    import sys

    code = (
        "import sys, tenantry\n"
        "assert not any(m.startswith(('tenantry.service', 'tenantry.pipeline', 'tenantry.policy'))"
        " for m in sys.modules), sorted(sys.modules)\n"
        "tenantry.TelemetryService\n"
        "assert 'tenantry.service' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
