"""Property-based tests of the API against its own OpenAPI document (schemathesis): for generated requests
to every operation, no answer is a server error and every answer matches the documented status codes,
content types and schemas. A bounded number of examples per operation keeps it fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import BaseSchema

from ctdx.store import open_store
from ctdx.web import create_app
from tests.api.conftest import bearer
from tests.api.world import World

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(world: World, tmp_path: Path) -> Iterator[BaseSchema]:
    configured = world.settings(tmp_path)
    with open_store(configured) as store:
        yield schemathesis.openapi.from_asgi("/api/openapi.json", create_app(store, configured.data_dir))


def _check_every_operation(schema: BaseSchema, headers: dict[str, str], examples: int) -> int:
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
    return len(operations)


def test_api_answers_match_the_openapi_document(api_schema: BaseSchema, world: World) -> None:
    assert _check_every_operation(api_schema, bearer(world, "a-orgadmin"), 4) >= 15


def test_unauthenticated_answers_match_the_openapi_document(api_schema: BaseSchema) -> None:
    assert _check_every_operation(api_schema, {}, 1) >= 15
