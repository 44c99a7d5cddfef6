"""Schemathesis against the live OpenAPI schema: a bounded number of generated requests per
operation, each answered without a server error and with a body that matches its schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from registry.api.tokens import create_token
from tests.factories import make_world

TOKEN: dict[str, str] = {}


@pytest.fixture
def api_schema(db, settings):
    settings.REGISTRY_API_RATE = "100000/60"
    cache.clear()
    world = make_world()
    world.issue(500)
    TOKEN["admin"] = create_token(world.admin_mn, "fuzz", "write")[1]
    # As Django's test client does: requests must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_without_server_errors_and_as_documented(case):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN['admin']}"},
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
