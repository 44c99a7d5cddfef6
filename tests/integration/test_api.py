"""The REST API: tokens, the same rules as the web, idempotency, problem details, cursors, limits,
and a full cycle by a client that knows only the OpenAPI document."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from registry.access.services import grant_right
from registry.api.models import ApiToken
from registry.api.tokens import create_token
from registry.transactions.models import Transaction
from registry.units.models import UnitBlock
from tests.factories import make_user, sign_in, trust


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def api_world(world):
    world.issue(100)
    trust(world, (world.seller, world.buyer))
    initiator, approver = make_user("initiator"), make_user("approver")
    grant_right(world.admin_mn, world.seller, initiator, "initiate")
    grant_right(world.admin_mn, world.seller, approver, "approve")
    world.tokens = {
        "initiator": create_token(initiator, "erp", "write")[1],
        "approver": create_token(approver, "erp", "write")[1],
        "reader": create_token(initiator, "dashboard", "read")[1],
        "admin": create_token(world.admin_mn, "ops", "write")[1],
    }
    return world


def propose(client: Client, secret: str, world, **extra) -> object:
    body = {"kind": "internal_transfer", "from_account": world.seller.number, "to_account": world.buyer.number, "quantity": 10}
    return client.post("/api/v1/transactions", body, content_type="application/json", **bearer(secret), **extra)


def test_the_openapi_document_and_docs_are_served(client, db):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/api/v1/transactions" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


def test_a_token_proposes_and_a_token_of_another_person_approves(api_world, client):
    response = propose(client, api_world.tokens["initiator"], api_world)
    assert response.status_code == 201 and response.json()["status"] == "awaiting_approval"
    number = response.json()["id"]
    own = client.post(f"/api/v1/transactions/{number}/approve", **bearer(api_world.tokens["initiator"]))
    assert own.status_code == 403 and own.json()["code"] == 2003
    assert own["Content-Type"] == "application/problem+json"
    approved = client.post(f"/api/v1/transactions/{number}/approve", **bearer(api_world.tokens["approver"]))
    assert approved.json()["status"] == "completed"


def test_a_read_token_cannot_write(api_world, client):
    response = propose(client, api_world.tokens["reader"], api_world)
    assert response.status_code == 403 and response.json()["code"] == 2002
    assert not Transaction.objects.exclude(type="issuance").exists()


def test_no_token_or_a_revoked_or_expired_one_is_unauthenticated(api_world, client):
    assert client.get("/api/v1/accounts").status_code == 401
    token = ApiToken.objects.get(name="dashboard")
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/v1/accounts", **bearer(api_world.tokens["reader"])).status_code == 401
    ApiToken.objects.filter(name="ops").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/accounts", **bearer(api_world.tokens["admin"])).status_code == 401


def test_tokens_are_stored_hashed(api_world):
    for token in ApiToken.objects.all():
        assert all(token.digest not in secret and token.digest != secret for secret in api_world.tokens.values())
        assert len(token.digest) == 64


def test_a_token_scoped_to_one_account_sees_no_other(api_world, client):
    user = make_user("scoped")
    grant_right(api_world.admin_mn, api_world.seller, user, "read_only")
    grant_right(api_world.admin_mn, api_world.buyer, user, "read_only")
    _token, secret = create_token(user, "one account", "read", [api_world.buyer])
    numbers = [a["number"] for a in client.get("/api/v1/accounts", **bearer(secret)).json()]
    assert numbers == [api_world.buyer.number]
    assert client.get(f"/api/v1/accounts/{api_world.seller.number}/holdings", **bearer(secret)).status_code == 404


def test_nobody_reaches_another_registrys_accounts(api_world, client):
    _token, secret = create_token(api_world.admin_jp, "japan", "write")
    assert client.get(f"/api/v1/accounts/{api_world.seller.number}/holdings", **bearer(secret)).status_code == 404
    assert propose(client, secret, api_world).status_code == 404


def test_a_write_with_the_same_idempotency_key_is_applied_once(api_world, client):
    first = propose(client, api_world.tokens["admin"], api_world, HTTP_IDEMPOTENCY_KEY="order-42")
    second = propose(client, api_world.tokens["admin"], api_world, HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(type="internal_transfer").count() == 1
    assert sum(b.quantity for b in UnitBlock.objects.filter(account=api_world.buyer)) == 10
    other = client.post(
        "/api/v1/transactions",
        {"kind": "retirement", "from_account": api_world.seller.number, "quantity": 1},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-42",
        **bearer(api_world.tokens["admin"]),
    )
    assert other.status_code == 422 and "used for another request" in other.json()["detail"]


def test_refusals_are_problem_details_with_the_check_code(api_world, client):
    body = {"kind": "internal_transfer", "from_account": api_world.seller.number, "to_account": api_world.buyer.number, "quantity": 1000}
    response = client.post("/api/v1/transactions", body, content_type="application/json", **bearer(api_world.tokens["admin"]))
    problem = response.json()
    assert response.status_code == 422 and problem["code"] == 4004 and problem["status"] == 422
    assert "has 100 units available" in problem["detail"]
    invalid = client.post("/api/v1/transactions", {"kind": "gift"}, content_type="application/json", **bearer(api_world.tokens["admin"]))
    assert invalid.status_code == 422 and invalid.json()["code"] == 1013


def test_transactions_page_with_stable_cursors(api_world, client):
    for _ in range(5):
        propose(client, api_world.tokens["admin"], api_world)
    seen, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/transactions", {"limit": 2, **({"cursor": cursor} if cursor else {})}, **bearer(api_world.tokens["admin"])
        ).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == Transaction.objects.count()


def test_the_rate_limit_answers_429_with_retry_after(api_world, client, settings):
    settings.REGISTRY_API_RATE = "3/60"
    from django.core.cache import cache

    cache.clear()
    answers = [client.get("/api/v1/accounts", **bearer(api_world.tokens["reader"])) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) >= 1


def test_users_create_and_revoke_tokens_on_the_web(api_world):
    client = Client()
    user = make_user("web-user")
    grant_right(api_world.admin_mn, api_world.seller, user, "read_only")
    sign_in(client, user)
    page = client.post("/app/tokens/", {"name": "laptop", "scope": "read", "days": 30}).content.decode()
    secret = page.split('id="new-token">')[1].split("<")[0]
    api = Client()
    assert api.get("/api/v1/accounts", **bearer(secret)).status_code == 200
    token = ApiToken.objects.get(user=user)
    client.post(f"/app/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/accounts", **bearer(secret)).status_code == 401


class OpenApiClient:
    """A client written only from the OpenAPI document: it finds each operation's method and path
    there, and holds every answer to the statuses the document declares for that operation."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        schema = http.get("/api/openapi.json").json()
        self.operations = {
            op["operationId"]: (method.upper(), path, set(op["responses"]))
            for path, item in schema["paths"].items()
            for method, op in item.items()
        }

    def call(self, operation_id: str, token: str, body: dict | None = None, **params: object) -> httpx.Response:
        method, path, documented = self.operations[operation_id]
        response = self.http.request(method, path.format(**params), json=body, headers={"Authorization": f"Bearer {token}"})
        assert str(response.status_code) in documented, f"{operation_id} answered {response.status_code}: {response.text}"
        return response


@pytest.mark.usefixtures("committed_db")
def test_a_full_cycle_by_a_client_that_knows_only_the_openapi_document(live_server):
    from tests.factories import make_world

    world = make_world()
    trust(world, (world.seller, world.buyer))
    initiator, approver = make_user("initiator"), make_user("approver")
    grant_right(world.admin_mn, world.seller, initiator, "initiate")
    grant_right(world.admin_mn, world.seller, approver, "approve")
    admin = create_token(world.admin_mn, "ops", "write")[1]
    proposer, second = create_token(initiator, "erp", "write")[1], create_token(approver, "erp", "write")[1]
    year = timezone.now().year
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        client = OpenApiClient(http)
        issuance = {"account": world.seller.number, "project": "MN001", "unit_type": "JCM", "vintage": year - 1, "quantity": 300}
        issued = client.call("issueUnits", admin, {**issuance, "first_transferring_party": "MN"}, registry_id="MNG01")
        assert issued.status_code == 201 and issued.json()["blocks"] == [f"CA0001-MNG01-MNG-1-300-{year - 1}"]

        letter = {
            "identifier": "MN-API-1",
            "date": f"{year}-01-15",
            "cooperative_approach": "CA0001",
            "purposes": "NDC",
            "first_transfer_definition": "first_international_transfer",
            "document_reference": "Letter of authorisation",
            "authorized_quantity": 100,
        }
        assert client.call("createAuthorization", admin, letter, registry_id="MNG01").status_code == 201
        authorized = client.call("authorizeUnits", admin, {"ranges": ["201-300"]}, registry_id="MNG01", identifier="MN-API-1")
        assert authorized.json()["quantity"] == 100 and authorized.json()["type"] == "authorization"
        listed = client.call("listAuthorizations", admin, registry_id="MNG01").json()
        assert [(a["identifier"], a["authorized_units"]) for a in listed] == [("MN-API-1", 100)]

        transfer = {"kind": "internal_transfer", "from_account": world.seller.number, "to_account": world.buyer.number, "quantity": 100}
        proposed = client.call("proposeTransaction", proposer, transfer)
        assert proposed.status_code == 201 and proposed.json()["status"] == "awaiting_approval"
        assert client.call("approveTransaction", proposer, pk=proposed.json()["id"]).json()["code"] == 2003  # never one's own
        approved = client.call("approveTransaction", second, pk=proposed.json()["id"])
        assert approved.json()["status"] == "completed"
        assert client.call("getTransaction", proposer, pk=proposed.json()["id"]).json()["status"] == "completed"

        retirement = {"kind": "retirement", "from_account": world.buyer.number, "quantity": 40, "purpose": "NDC 2030"}
        assert client.call("proposeTransaction", admin, retirement).json()["status"] == "completed"

        aef = client.call("getAnnualInformation", admin, registry_id="MNG01", year=year).json()
        assert [(row["Action type"], row["Quantity (t CO2 eq)"]) for row in aef["actions"]] == [("Authorization", 100)]
        assert aef["reconciliation"]["authorized"] == aef["reconciliation"]["closing"] == 100 and aef["balanced"]
        holdings = client.call("listHoldings", proposer, number=world.seller.number).json()
        assert [(b["first"], b["last"], b["authorization"]) for b in holdings["items"]] == [(101, 200, ""), (201, 300, "MN-API-1")]


def test_the_token_page_speaks_japanese_and_shows_a_secret_only_once(api_world):
    client = Client()
    user = make_user("japanese-user")
    grant_right(api_world.admin_mn, api_world.seller, user, "read_only")
    sign_in(client, user)
    created = client.post("/app/tokens/", {"name": "erp", "scope": "read", "days": 30}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "APIトークン" in created and "表示は一度だけです" in created
    secret = created.split('id="new-token">')[1].split("<")[0]
    again = client.get("/app/tokens/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert secret not in again and ApiToken.objects.get(user=user).prefix in again
