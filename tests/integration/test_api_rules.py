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


def authorisation_letter(identifier: str) -> dict:
    return {"identifier": identifier, "date": "2025-01-15", "cooperative_approach": "CA0001", "purposes": "NDC",
            "first_transfer_definition": "first_international_transfer", "document_reference": "Letter"}  # fmt: skip


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
    assert OperationLog.objects.filter(
        user=stranger, action="view_transaction", channel="api", target=str(tx.pk), outcome="denied"
    ).exists()


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


def test_the_previous_window_counts_with_the_present_one_read_in_the_same_statement(db, django_assert_num_queries):
    import time

    from django.core.cache import cache

    from registry.api.security import _spend

    if time.time() % 60 > 57:
        time.sleep(3)  # the whole test inside one window
    window = int(time.time() // 60)
    assert _spend("test-rate", "2/60") is None  # the window's first request: its row is added
    cache.set(f"test-rate-{window - 1}", 10**9, timeout=120)  # the previous window was flooded
    with django_assert_num_queries(4):  # savepoint, the two rows read (one locked), the update, release
        assert _spend("test-rate", "2/60") is not None
    assert cache.get(f"test-rate-{window}") == 2


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


# Found in review: each of these once answered wrongly ----------------------------------------------


def test_a_cursor_or_token_with_a_nul_character_is_refused_not_an_error(people, client):
    import base64

    nul_cursor = base64.urlsafe_b64encode(b'["MN\\u0000", 1]').decode()
    assert client.get("/api/v1/search", {"cursor": nul_cursor}).status_code == 422
    holdings = f"/api/v1/accounts/{people.seller.number}/holdings"
    assert client.get(holdings, {"cursor": nul_cursor}, **bearer(people.admin_token)).status_code == 422
    assert client.get("/api/v1/accounts", HTTP_AUTHORIZATION="Bearer crt_ab\x00cd_efg").status_code == 401


def test_a_denied_write_is_logged_although_the_write_is_rolled_back(people, client):
    outsider = make_user("outsider")
    grant_right(people.admin_mn, people.buyer, outsider, "initiate")
    secret = create_token(outsider, "erp", "write")[1]
    body = {"kind": "retirement", "from_account": people.seller.number, "quantity": 1}
    assert post(client, "/api/v1/transactions", body, secret).status_code == 404
    assert OperationLog.objects.filter(
        user=outsider, action="view_account", channel="api", target=people.seller.number, outcome="denied"
    ).exists()


def test_refusals_through_the_api_are_logged_as_on_the_web(people, client):
    initiator = create_token(people.initiator, "erp", "write")[1]
    proposed = post(client, "/api/v1/transactions", proposal(people), initiator).json()
    client.post(f"/api/v1/transactions/{proposed['id']}/approve", **bearer(initiator))
    reader = create_token(people.initiator, "read", "read")[1]
    post(client, "/api/v1/transactions", proposal(people), reader)
    outcomes = set(
        OperationLog.objects.filter(user=people.initiator, action__in=["approve", "propose"], channel="api").values_list(
            "outcome", flat=True
        )
    )
    assert {"refused 2003", "refused 2002", "awaiting_approval"} <= outcomes


def test_somebody_without_a_right_learns_nothing_about_the_acquiring_account_and_leaves_no_history(people, client):
    reader = make_user("reader")
    grant_right(people.admin_mn, people.buyer, reader, "read_only")
    secret = create_token(reader, "probe", "write")[1]
    for target in ("MNG01-999999", people.japanese.number, people.retirement_mn.number, people.seller.number):
        body = {"kind": "internal_transfer", "from_account": people.buyer.number, "to_account": target, "quantity": 1}
        answer = post(client, "/api/v1/transactions", body, secret)
        assert (answer.status_code, answer.json()["code"]) == (403, 2002), target
    assert not Transaction.objects.filter(status="rejected").exists()


def test_the_receiving_side_does_not_see_a_proposal_refused_at_once(people, client):
    post(client, "/api/v1/transactions", proposal(people, 1000), people.admin_token)  # 4004: tells the seller's balance
    refused = Transaction.objects.get(status="rejected", check_code=4004)
    buyer_side = create_token(people.approver, "buyer", "read", [people.buyer])[1]
    assert client.get(f"/api/v1/transactions/{refused.pk}", **bearer(buyer_side)).status_code == 404
    assert refused.pk not in [t["id"] for t in client.get("/api/v1/transactions", **bearer(buyer_side)).json()["items"]]
    assert client.get(f"/api/v1/transactions/{refused.pk}", **bearer(people.admin_token)).json()["check_code"] == 4004


def test_an_authorisation_id_recorded_twice_at_once_is_one_record_and_refusals(committed_db):
    world = make_world()
    secret = create_token(world.admin_mn, "ops", "write")[1]
    letter = authorisation_letter("MN-RACE-1")
    statuses: list[int] = []

    def record(_index: int) -> None:
        statuses.append(post(Client(), "/api/v1/registries/MNG01/authorizations", letter, secret).status_code)

    assert race(record, threads=4) == []
    assert sorted(statuses) == [201, 422, 422, 422]


def test_a_client_cannot_choose_its_address_to_escape_the_public_rate_limit(people, client, settings):
    settings.REGISTRY_API_ANONYMOUS_RATE = "2/60"
    answers = [client.get("/api/v1/registries", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(3)]
    assert answers == [200, 200, 429]


def test_guessing_tokens_is_rate_limited_per_address(people, client, settings):
    settings.REGISTRY_API_ANONYMOUS_RATE = "2/60"
    guess = "crt_0123456789ab_" + "A" * 43
    answers = [client.get("/api/v1/accounts", HTTP_AUTHORIZATION=f"Bearer {guess}").status_code for _ in range(3)]
    assert answers == [401, 401, 429]


def test_a_user_has_at_most_twenty_live_tokens(people):
    from registry.core.checks import CheckFailed

    for index in range(19):
        create_token(people.admin_mn, f"t{index}", "read")
    with pytest.raises(CheckFailed) as refused:
        create_token(people.admin_mn, "one too many", "read")
    assert refused.value.code == 1013


def test_units_released_behind_a_cursor_are_neither_skipped_nor_repeated(people, client):
    from registry.transactions.services import cancel_transaction

    pending = transfer_units(
        actor=people.initiator, from_account=people.seller, to_account=people.buyer, ranges=[("MNG01", SerialRange(51, 60))]
    )
    path = f"/api/v1/accounts/{people.seller.number}/holdings"
    first = client.get(path, {"limit": 1}, **bearer(people.admin_token)).json()
    assert [(b["first"], b["last"]) for b in first["items"]] == [(1, 50)]
    cancel_transaction(actor=people.initiator, transaction=pending)  # 51-60 merge back: the block is 1-100 again
    rest = client.get(path, {"limit": 10, "cursor": first["next_cursor"]}, **bearer(people.admin_token)).json()
    assert [(b["first"], b["last"], b["quantity"]) for b in rest["items"]] == [(51, 100, 50)]


def test_unknown_paths_and_methods_are_problems_too(people, client):
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    wrong = client.put("/api/v1/transactions", **bearer(people.admin_token))
    assert wrong.status_code == 405 and wrong["Content-Type"] == "application/problem+json" and "POST" in wrong["Allow"]


def test_an_authorisation_id_must_be_addressable(people, client):
    letter = authorisation_letter("MN/2024/2")
    assert post(client, "/api/v1/registries/MNG01/authorizations", letter, people.admin_token).status_code == 422


def test_a_mandatory_cancellation_is_for_administrators(people, client):
    initiator = create_token(people.initiator, "erp", "write")[1]
    body = {"kind": "cancellation", "from_account": people.seller.number, "quantity": 1, "cancellation_kind": "mandatory"}
    assert post(client, "/api/v1/transactions", body, initiator).json()["code"] == 2001
    assert post(client, "/api/v1/transactions", body, people.admin_token).json()["status"] == "completed"


def test_administrators_read_back_the_authorisations_they_made(people, client):
    letter = authorisation_letter("MN-READ-1")
    post(client, "/api/v1/registries/MNG01/authorizations", letter, people.admin_token)
    made = post(client, "/api/v1/registries/MNG01/authorizations/MN-READ-1/units", {"ranges": ["1-10"]}, people.admin_token).json()
    assert client.get(f"/api/v1/transactions/{made['id']}", **bearer(people.admin_token)).json()["type"] == "authorization"
    assert made["id"] in [t["id"] for t in client.get("/api/v1/transactions", **bearer(people.admin_token)).json()["items"]]
    initiator = create_token(people.initiator, "erp", "read")[1]
    assert client.get(f"/api/v1/transactions/{made['id']}", **bearer(initiator)).status_code == 404


def test_a_proposal_names_exactly_the_fields_of_its_kind(people, client):
    no_target = {"kind": "internal_transfer", "from_account": people.seller.number, "quantity": 1}
    stray_target = {"kind": "retirement", "from_account": people.seller.number, "to_account": people.buyer.number, "quantity": 1}
    for body in (no_target, stray_target):
        answer = post(client, "/api/v1/transactions", body, people.admin_token)
        assert (answer.status_code, answer.json()["code"]) == (422, 1013), body


def test_naming_both_a_quantity_and_ranges_is_1003_as_on_the_web_and_the_cli(people, client):
    answer = post(client, "/api/v1/transactions", {**proposal(people), "ranges": ["1-10"]}, people.admin_token)
    assert (answer.status_code, answer.json()["code"]) == (422, 1003)


def test_removing_an_account_that_is_not_on_the_trusted_list_is_not_found(people, client):
    answer = client.delete(f"/api/v1/accounts/{people.seller.number}/trusted/{people.government_mn.number}", **bearer(people.admin_token))
    assert answer.status_code == 404


def test_the_token_page_is_never_cached_and_a_password_initialisation_revokes_tokens(people):
    from registry.access.services import initialise_password
    from tests.factories import sign_in

    web = Client()
    sign_in(web, people.initiator)
    page = web.post("/app/tokens/", {"name": "erp", "scope": "read", "days": 30})
    assert "no-store" in page["Cache-Control"]
    secret = page.content.decode().split('id="new-token">')[1].split("<")[0]
    assert Client().get("/api/v1/accounts", **bearer(secret)).status_code == 200
    initialise_password(people.admin_mn, people.mongolia, people.initiator)
    assert Client().get("/api/v1/accounts", **bearer(secret)).status_code == 401


def test_the_approver_reads_the_notification_in_english_or_japanese_and_marks_it_read(people, client):
    initiator = create_token(people.initiator, "erp", "write")[1]
    proposed = post(client, "/api/v1/transactions", proposal(people), initiator).json()
    approver = create_token(people.approver, "inbox", "write")[1]
    english = client.get("/api/v1/notifications", {"unread": True}, HTTP_ACCEPT_LANGUAGE="en", **bearer(approver)).json()["items"]
    assert any(f"Transaction {proposed['id']}" in n["message"] and "awaits your approval" in n["message"] for n in english)
    japanese = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="ja", **bearer(approver)).json()["items"]
    assert any(f"取引 {proposed['id']}" in n["message"] for n in japanese)
    assert client.post("/api/v1/notifications/read", **bearer(approver)).status_code == 204
    assert client.get("/api/v1/notifications", {"unread": True}, **bearer(approver)).json()["items"] == []
    limited = create_token(people.approver, "one account", "read", [people.seller])[1]
    assert client.get("/api/v1/notifications", **bearer(limited)).status_code == 403


def test_a_retry_that_serialises_the_same_values_differently_is_the_same_request(people, client):
    import json

    body = proposal(people)
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(body.items())), indent=2)
    key = {"HTTP_IDEMPOTENCY_KEY": "order-9"}
    first = client.post("/api/v1/transactions", compact, content_type="application/json", **bearer(people.admin_token), **key)
    again = client.post("/api/v1/transactions", spaced, content_type="application/json", **bearer(people.admin_token), **key)
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(type="internal_transfer").count() == 1


def test_a_j_credit_nullification_through_the_api_declares_its_use_and_names_units_by_identifier(people, client):
    people.issue(50, account=people.japanese, vintage=2022)
    token = create_token(people.admin_jp, "ops", "write")[1]
    body = {
        "kind": "retirement",
        "from_account": people.japanese.number,
        "ranges": ["JC-JPN01-NA-1-20-2022"],
        "purpose_code": "jc-offset",
        "aim": "Offsetting a conference in Singapore",
        "credit_user": "Lion City Offsets Pte. Ltd.",
        "use_country": "SG",
    }
    made = post(client, "/api/v1/transactions", body, token).json()
    assert (made["status"], made["quantity"], made["purpose_code"], made["use_country"], made["towards_ndc"]) == (
        "completed",
        20,
        "jc-offset",
        "SG",
        False,
    )
    refused = post(client, "/api/v1/transactions", {**body, "ranges": ["21-30"], "purpose_code": "jc-ndc"}, token).json()
    assert refused["code"] == 6015
    listed = [t["id"] for t in client.get("/api/v1/transactions", **bearer(token)).json()["items"]]
    assert made["id"] in listed and not Transaction.objects.filter(pk__in=listed, status="rejected").exists()


def test_administrators_record_the_timeframe_and_authorised_entities_through_the_api(people, client):
    letter = {**authorisation_letter("MN-API-TF"), "timeframe_first_vintage": 2023, "timeframe_last_vintage": 2024}
    assert post(client, "/api/v1/registries/MNG01/authorizations", letter, people.admin_token).status_code == 201
    entity = {"name": "Darkhan Solar LLC", "country": "MN", "identification_number": "MN-REG-0042",
              "conditions": "Japanese buyers only", "change_and_revocation_conditions": "90 days' notice"}  # fmt: skip
    response = post(client, "/api/v1/registries/MNG01/authorizations/MN-API-TF/entities", entity, people.admin_token)
    assert response.status_code == 201
    body = response.json()
    assert (body["timeframe_first_vintage"], body["timeframe_last_vintage"]) == (2023, 2024)
    assert body["authorized_entities"] == [{**entity, "explanation": ""}]
    again = post(client, "/api/v1/registries/MNG01/authorizations/MN-API-TF/entities", entity, people.admin_token, HTTP_IDEMPOTENCY_KEY="x")
    assert again.status_code == 422 and again.json()["code"] == 1013  # authorised once
    people.issue(10, vintage=2025)  # 101-110
    outside = post(client, "/api/v1/registries/MNG01/authorizations/MN-API-TF/units", {"ranges": ["95-110"]}, people.admin_token)
    assert outside.json()["code"] == 6022 and outside.json()["blocks"] == ["MNG01:101-110"]
    inside = post(client, "/api/v1/registries/MNG01/authorizations/MN-API-TF/units", {"ranges": ["95-100"]}, people.admin_token)
    assert inside.status_code == 201


def test_a_use_proposed_through_the_api_names_its_using_entity(people, client):
    from registry.parties.services import register_entity

    register_entity(people.admin_mn, people.mongolia, name="MIAT Mongolian Airlines", country="MN", identification_number="ICAO-MGL")
    proposer = create_token(people.initiator, "erp", "write")[1]
    use = {"kind": "retirement", "from_account": people.seller.number, "quantity": 5, "using_entity": "ICAO-MGL"}
    proposed = post(client, "/api/v1/transactions", use, proposer)
    assert proposed.status_code == 201
    assert Transaction.objects.get(pk=proposed.json()["id"]).using_entity.name == "MIAT Mongolian Airlines"
    unknown = post(client, "/api/v1/transactions", {**use, "using_entity": "NOBODY"}, proposer)
    assert unknown.json()["code"] == 1011
    transfer = post(client, "/api/v1/transactions", {**proposal(people), "using_entity": "ICAO-MGL"}, proposer)
    assert transfer.json()["code"] == 1013
