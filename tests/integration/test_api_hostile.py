"""Hostile requests beside the schemathesis run: bodies too large, loose or ambiguous JSON, texts
that show one thing and say another, serials in other digits, years out of range (issue 16
findings 8 and 9). Each is refused with a problem (never a 500), changes nothing, and is on record."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.access.models import OperationLog
from registry.access.services import grant_right
from registry.api.tokens import create_token
from registry.transactions.models import Transaction
from tests.factories import make_user, sign_in, trust
from tests.integration.test_api_rules import bearer, proposal


@pytest.fixture
def people(world):
    world.issue(100)
    trust(world, (world.seller, world.buyer))
    world.initiator = make_user("initiator")
    grant_right(world.admin_mn, world.seller, world.initiator, "initiate")
    world.admin_token = create_token(world.admin_mn, "ops", "write")[1]
    return world


def send(client, body: bytes | str, secret: str, path: str = "/api/v1/transactions"):
    return client.post(path, body, content_type="application/json", **bearer(secret))


def moved() -> bool:
    return Transaction.objects.filter(type="internal_transfer").exists()


def test_a_60_mb_body_is_refused_with_413_and_its_check_code(people, client):
    body = json.dumps({**proposal(people), "purpose": "x" * (60 * 1024 * 1024)})
    response = send(client, body, people.admin_token)
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == 1022 and "1,048,576 bytes" in response.json()["detail"]
    assert not moved()
    assert OperationLog.objects.filter(action="request_refused", outcome__startswith="413", ip="127.0.0.1").exists()


@pytest.mark.parametrize("quantity", ["10", True, 10.0, "1e1", [10]])
def test_a_quantity_must_be_a_json_integer(people, client, quantity):
    response = send(client, json.dumps({**proposal(people), "quantity": quantity}), people.admin_token)
    assert response.status_code == 422 and response.json()["code"] == 1013
    assert not moved()


def test_a_duplicate_key_is_refused_rather_than_the_last_one_winning(people, client):
    body = json.dumps(proposal(people, 1))[:-1] + ', "quantity": 90}'
    response = send(client, body, people.admin_token)
    assert response.status_code == 400 and "'quantity' appears twice" in response.json()["detail"]
    assert not moved()


def test_not_a_number_is_not_json(people, client):
    response = send(client, json.dumps(proposal(people)).replace("10", "NaN"), people.admin_token)
    assert response.status_code == 400 and not moved()


@pytest.mark.parametrize(
    "text",
    ["NDC \u202e0302", "\u2066hidden\u2069", "left\u200fright", "C1 \x85 control", "tab\there", "nul\x00"],
)
def test_free_texts_refuse_control_and_bidirectional_characters(people, client, text):
    body = {"kind": "retirement", "from_account": people.seller.number, "quantity": 1, "purpose": text}
    response = send(client, json.dumps(body), people.admin_token)
    assert response.status_code == 422
    assert not Transaction.objects.filter(type="retirement").exists()


def test_japanese_text_is_welcome(people, client):
    body = {"kind": "retirement", "from_account": people.seller.number, "quantity": 1, "purpose": "2030年度NDC"}
    assert send(client, json.dumps(body), people.admin_token).status_code == 201


@pytest.mark.parametrize("ranges", [["\uff11-\uff15"], ["\u0661-\u0665"], ["1 - 5"], ["MNG01:1-5x"]])
def test_the_web_and_the_api_refuse_the_same_serial_syntax(people, client, ranges):
    api = send(client, json.dumps({**proposal(people), "quantity": None, "ranges": ranges}), people.admin_token)
    assert api.status_code == 422
    sign_in(client, people.admin_mn)
    client.post(
        f"/app/accounts/{people.seller.number}/propose/",
        {"kind": "internal_transfer", "to_account": people.buyer.number, "ranges": ranges[0]},
    )
    assert not moved()
    assert OperationLog.objects.filter(action="propose", channel="web", outcome="refused 1013").exists()


def test_the_web_and_the_api_accept_the_same_serial_syntax(people, client):
    api = send(client, json.dumps({**proposal(people), "quantity": None, "ranges": ["MNG01:1-5"]}), people.admin_token)
    assert api.status_code == 201
    sign_in(client, people.admin_mn)
    client.post(
        f"/app/accounts/{people.seller.number}/propose/",
        {"kind": "internal_transfer", "to_account": people.buyer.number, "ranges": "MNG01:6-10"},
    )
    assert Transaction.objects.filter(type="internal_transfer", status="completed").count() == 2


@pytest.mark.parametrize("year", [0, 99999, 1999, 3000])
def test_the_web_aef_for_a_year_out_of_range_is_not_found(people, client, year):
    sign_in(client, people.admin_mn)
    assert client.get(f"/registries/MNG01/aef/{year}.xlsx").status_code == 404


def test_refusals_before_an_operation_runs_are_on_record_with_address_and_user(people, client):
    send(client, json.dumps(proposal(people)), "crt_not-a-token")
    assert OperationLog.objects.filter(action="request_refused", outcome="401", ip="127.0.0.1", user=None).exists()
    send(client, json.dumps({"kind": "internal_transfer"}), people.admin_token)
    assert OperationLog.objects.filter(action="request_refused", outcome__startswith="422", user=people.admin_mn).exists()
    send(client, b"{not json", people.admin_token)
    assert OperationLog.objects.filter(action="request_refused", outcome__startswith="400", user=people.admin_mn).exists()


def test_a_representative_reading_the_aef_is_refused_with_2001_on_record(people, client):
    reader = create_token(people.initiator, "reader", "read")[1]
    response = client.get("/api/v1/registries/MNG01/aef/2025", **bearer(reader))
    assert response.status_code == 403 and response.json()["code"] == 2001
    assert OperationLog.objects.filter(action="request_refused", user=people.initiator, outcome="refused 2001", channel="api").exists()


JUNK_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Nd", "Lo"]), max_size=20)
JUNK_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), JUNK_TEXT, st.lists(st.integers(), max_size=3)
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    field=st.sampled_from(["quantity", "purpose", "to_account", "ranges", "kind", "from_account"]), value=JUNK_VALUE, twice=st.booleans()
)
def test_hostile_proposals_never_answer_a_server_error_nor_move_units_unasked(people, client, field, value, twice):
    body = json.dumps({**proposal(people, 10), field: value})
    if twice:  # the same key again, with the hostile value last
        body = body[:-1] + f", {json.dumps(field)}: {json.dumps(value)}}}"
    response = send(client, body, people.admin_token)
    assert response.status_code < 500
    assert response["Content-Type"] in ("application/problem+json", "application/json")
    if response.status_code >= 400:
        assert not Transaction.objects.filter(type="internal_transfer", status="completed", quantity__gt=10).exists()
