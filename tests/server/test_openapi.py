"""Property-based tests of every operation against the server's own OpenAPI document: no 5xx,
documented status codes, responses matching their schemas. [schemathesis]"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tenantry.config import load_settings
from tenantry.server import create_app

schema = schemathesis.openapi.from_dict(create_app(load_settings(destinations=("none",))).openapi())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms(case, running):
    """Whatever schemathesis generates for this operation, the answer is no 5xx and matches the
    document (status code, content type, body schema)."""
    case.call_and_validate(
        base_url=running.url,
        headers={"X-API-Key": running.devs["A"].key},
        checks=CHECKS,
        timeout=30,
    )
