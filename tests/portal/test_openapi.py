"""Property-based tests of the portal API against its own OpenAPI document (schemathesis): generated
requests to every operation never get a server error, and every status is one the document lists."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from ctdx.portal import create_app

CHECKS = [not_a_server_error, status_code_conformance]


def test_portal_answers_match_the_openapi_document(built) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app([built.path]))
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        check()
    assert len(operations) >= 6
