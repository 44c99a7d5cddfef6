"""The API keeps the registry's rules: token scopes, who decides, administrators only, public reads
without holders, stable cursors, problem details for every refusal, at-most-once writes under races."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from registry.access.models import OperationLog
from registry.access.services import grant_right
from registry.api.tokens import create_token
from registry.core.serials import SerialRange
from registry.transactions.models import Transaction
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock
from tests.factories import make_user, make_world, trust
from tests.integration.test_concurrency import race


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client: Client, path: str, body: dict, secret: str, **headers: str):
    return client.post(path, body, content_type="application/json", **bearer(secret), **headers)


@pytest.fixture
def people(world):
    world.issue(100)
    trust(world, (world.seller, world.buyer))
    world.initiator, world.approver = make_user("initiator"), make_user("approver")
    grant_right(world.admin_mn, world.seller, world.initiator, "initiate")
    grant_right(world.admin_mn, world.seller, world.approver, "approve")
    grant_right(world.admin_mn, world.buyer, world.approver, "approve")
    world.admin_token = create_token(world.admin_mn, "ops", "write")[1]
    cache.clear()
    return world


def proposal(world, quantity: int = 10) -> dict:
    return {"kind": "internal_transfer", "from_account": world.seller.number, "to_account": world.buyer.number, "quantity": quantity}


def test_a_token_limited_to_the_receiving_account_cannot_approve_a_transfer(people, client):
    initiator = create_token(people.initiator, "erp", "write")[1]
    proposed = post(client, "/api/v1/transactions", proposal(people), initiator).json()
    buyer_side = create_token(people.approver, "buyer only", "write", [people.buyer])[1]
    assert client.get(f"/api/v1/transactions/{proposed['id']}", **bearer(buyer_side)).status_code == 200  # it may read it
    refused = client.post(f"/api/v1/transactions/{proposed['id']}/approve", **bearer(buyer_side))
    assert refused.status_code == 403 and refused.json()["code"] == 2006
    assert Transaction.objects.get(pk=proposed["id"]).status == "awaiting_approval"
    seller_side = create_token(people.approver, "seller", "write", [people.seller])[1]
    assert client.post(f"/api/v1/transactions/{proposed['id']}/approve", **bearer(seller_side)).json()["status"] == "completed"


def test_deciding_on_an_issuance_is_a_conflict_with_5501(people, client):
    issuance = Transaction.objects.get(type="issuance")
    response = client.post(f"/api/v1/transactions/{issuance.pk}/approve", **bearer(people.admin_token))
    assert response.status_code == 409 and response.json()["code"] == 5501


def test_another_persons_transaction_does_not_exist_for_a_token_and_the_attempt_is_logged(people, client):
    stranger = make_user("stranger")
    grant_right(people.admin_mn, people.buyer, stranger, "read_only")
    tx = transfer_units(actor=people.admin_mn, from_account=people.seller, to_account=people.government_mn, quantity=5)
    secret = create_token(stranger, "mine", "read")[1]
    response = client.get(f"/api/v1/transactions/{tx.pk}", **bearer(secret))
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert OperationLog.objects.filter(user=stranger, action="api_view_transaction", target=str(tx.pk), outcome="denied").exists()


def test_administration_needs_an_administrator_with_an_unlimited_token(people, client):
    body = {"account": people.seller.number, "project": "MN001", "unit_type": "JCM", "vintage": 2024, "quantity": 5}
    representative = create_token(people.initiator, "erp", "write")[1]
    assert post(client, "/api/v1/registries/MNG01/issuances", body, representative).json()["code"] == 2001
    limited = create_token(people.admin_mn, "one account", "write", [people.seller])[1]
    assert post(client, "/api/v1/registries/MNG01/issuances", body, limited).json()["code"] == 2002
    assert client.get("/api/v1/registries/MNG01/aef/2025", **bearer(limited)).status_code == 403
    assert post(client, "/api/v1/registries/MNG01/issuances", body, people.admin_token).status_code == 201
    assert post(client, "/api/v1/registries/XXX01/issuances", body, people.admin_token).json()["code"] == 1005


def test_a_read_token_cannot_change_the_trusted_list(people, client):
    reader = create_token(people.initiator, "read", "read")[1]
    response = post(client, f"/api/v1/accounts/{people.seller.number}/trusted", {"account": people.government_mn.number}, reader)
    assert response.status_code == 403 and response.json()["code"] == 2002


def test_the_trusted_list_is_read_added_to_and_removed_from(people, client):
    writer = create_token(people.initiator, "erp", "write")[1]
    path = f"/api/v1/accounts/{people.seller.number}/trusted"
    added = post(client, path, {"account": people.government_mn.number}, writer)
    assert added.status_code == 201 and added.json()["effective_at"] > added.json()["added_at"]
    listed = [entry["account"] for entry in client.get(path, **bearer(writer)).json()]
    assert listed == sorted([people.buyer.number, people.government_mn.number])
    assert client.delete(f"{path}/{people.buyer.number}", **bearer(writer)).status_code == 204
    assert [entry["account"] for entry in client.get(path, **bearer(writer)).json()] == [people.government_mn.number]


def test_holdings_page_through_every_block_once_in_order(people, client):
    for start in range(1, 100, 10):  # fragment serials 1-100 into alternating holders
        transfer_units(
            actor=people.admin_mn, from_account=people.seller, to_account=people.buyer, ranges=[("MNG01", SerialRange(start, start + 4))]
        )
    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/accounts/{people.seller.number}/holdings", query, **bearer(people.admin_token)).json()
        seen += [(b["first"], b["last"]) for b in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    expected = [(b.start, b.end) for b in UnitBlock.objects.filter(account=people.seller).order_by("vintage", "start")]
    assert seen == expected and len(seen) == 10
    assert all(item["identifier"].startswith("CA0001-MNG01-MNG-") for item in page["items"])


def test_a_cursor_that_this_api_did_not_give_is_refused_with_1013(people, client):
    response = client.get("/api/v1/transactions", {"cursor": "bm90LWEtY3Vyc29y"}, **bearer(people.admin_token))
    assert response.status_code == 422 and response.json()["code"] == 1013


def test_the_public_reads_figures_and_searches_credits_without_a_token_and_never_sees_holders(people, client):
    transfer_units(actor=people.admin_mn, from_account=people.seller, to_account=people.buyer, ranges=[("MNG01", SerialRange(41, 60))])
    amounts = client.get("/api/v1/registries/MNG01/amounts").json()
    assert {"account_type": "entity_holding", "label": "Entity holding account", "unit_type": "JCM", "units": 100} in amounts
    names = [e["name"] for e in client.get("/api/v1/registries/MNG01/entity-holding-accounts").json()]
    assert names == ["Darkhan Solar LLC", "Ulaanbaatar Energy LLC"]
    summary = client.get("/api/v1/registries/MNG01/annual-transactions").json()
    assert {(row["type"], row["count"], row["units"]) for row in summary} == {("issuance", 1, 100), ("internal_transfer", 1, 20)}
    first = client.get("/api/v1/search", {"project": "MN001", "limit": 2}).json()
    rest = client.get("/api/v1/search", {"project": "MN001", "cursor": first["next_cursor"]}).json()
    found = first["items"] + rest["items"]
    assert [(b["first"], b["last"]) for b in found] == [(1, 40), (41, 60), (61, 100)] and rest["next_cursor"] is None
    numbers = {people.seller.number, people.buyer.number}
    assert not any(key in ("account", "holder", "entity") or value in numbers for b in found for key, value in b.items())
    by_serial = client.get("/api/v1/search", {"serial": 50}).json()["items"]
    assert [b["identifier"] for b in by_serial] == ["CA0001-MNG01-MNG-41-60-2023"]
    assert client.get("/api/v1/registries/ABC99/amounts").status_code == 404


def test_a_problem_type_leads_to_its_check_code(people, client):
    refused = post(client, "/api/v1/transactions", proposal(people, 1000), people.admin_token).json()
    assert refused["type"] == "/api/v1/check-codes/4004"
    check = client.get(refused["type"]).json()
    assert check["code"] == 4004 and check["name"] == "QUANTITY_EXCEEDS_AVAILABLE"
    assert len(client.get("/api/v1/check-codes").json()) > 50


def test_a_body_that_is_not_json_is_a_problem_too(people, client):
    response = client.post("/api/v1/transactions", b"\x00{", content_type="application/json", **bearer(people.admin_token))
    assert response.status_code == 400 and response.json()["status"] == 400
    assert response["Content-Type"] == "application/problem+json"


def test_public_operations_are_rate_limited_per_address(people, client, settings):
    settings.REGISTRY_API_ANONYMOUS_RATE = "2/60"
    answers = [client.get("/api/v1/registries").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_a_refusal_replayed_with_its_key_is_the_same_refusal_and_recorded_once(people, client):
    key = {"HTTP_IDEMPOTENCY_KEY": "too-many"}
    first = post(client, "/api/v1/transactions", proposal(people, 1000), people.admin_token, **key)
    again = post(client, "/api/v1/transactions", proposal(people, 1000), people.admin_token, **key)
    assert first.status_code == again.status_code == 422 and first.json() == again.json()
    assert Transaction.objects.filter(status="rejected", check_code=4004).count() == 1


def test_an_over_long_idempotency_key_is_refused(people, client):
    response = post(client, "/api/v1/transactions", proposal(people), people.admin_token, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400 and not Transaction.objects.filter(type="internal_transfer").exists()


@pytest.mark.usefixtures("committed_db")
def test_racing_retries_with_one_idempotency_key_apply_the_write_once():
    world = make_world()
    world.issue(100)
    secret = create_token(world.admin_mn, "ops", "write")[1]
    answers: list[tuple[int, dict]] = []

    def retry(_index: int) -> None:
        response = post(Client(), "/api/v1/transactions", proposal(world, 7), secret, HTTP_IDEMPOTENCY_KEY="order-7")
        answers.append((response.status_code, response.json()))

    assert race(retry, threads=4) == []
    assert Transaction.objects.filter(type="internal_transfer").count() == 1
    assert UnitBlock.objects.filter(account=world.buyer).get().quantity == 7
    assert len({(status, body["id"]) for status, body in answers}) == 1 and answers[0][0] == 201
