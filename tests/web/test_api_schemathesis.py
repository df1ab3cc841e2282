"""Schemathesis over the staff API's own /openapi.json, with a valid token: no 5xx, and no
response that breaks the schema the API publishes."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.conftest import LOCAL
from tests.web.conftest import World, bearer, build_world
from web.app import create_app


@pytest.fixture
def api_world(pg_url: str) -> World:
    """Two trusts, patients, alerts and tokens on PostgreSQL."""
    return build_world()


# The schema the API publishes at /openapi.json (to signed-in callers) is the app's own; it is
# built here without a database, and requests go to the same app in-process.
APP = create_app()
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP


def test_the_published_schema_is_the_one_tested(api_world: World) -> None:
    with TestClient(APP, base_url=LOCAL) as client:
        published = client.get("/openapi.json", headers=bearer(api_world.a.token)).json()
    assert published == APP.openapi()
    assert any(path.startswith("/api/v1/") for path in published["paths"])


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.timeout(300)
def test_the_api_answers_every_generated_request_without_5xx_and_within_its_schema(
    case: Any, api_world: World
) -> None:
    case.call_and_validate(
        headers=bearer(api_world.a.token),
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
