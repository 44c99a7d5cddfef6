"""Schemathesis against the live OpenAPI schema: a bounded number of generated requests per
operation, as an administrator and as a representative, each answered without a server error and
as the document says (status and body)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from registry.access.services import grant_right
from registry.api.tokens import create_token
from registry.transactions.services import transfer_units
from tests.factories import make_user, make_world, trust

TOKENS: dict[str, str] = {}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def api_schema(db, settings):
    settings.REGISTRY_API_RATE = settings.REGISTRY_API_ANONYMOUS_RATE = "100000/60"
    world = make_world()
    world.issue(500)
    trust(world, (world.seller, world.buyer))
    representative = make_user("fuzzing-representative")
    grant_right(world.admin_mn, world.seller, representative, "initiate_and_approve")
    transfer_units(actor=representative, from_account=world.seller, to_account=world.buyer, quantity=50)  # pending, to decide on
    TOKENS["administrator"] = create_token(world.admin_mn, "fuzz", "write")[1]
    TOKENS["representative"] = create_token(representative, "fuzz", "write")[1]
    # As Django's test client does: requests must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_an_administrator_as_documented(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['administrator']}"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_a_representative_as_documented(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['representative']}"}, checks=CHECKS)
