"""A retry with the same ``Idempotency-Key`` gets the first answer and leaves nothing behind, now that
the key is not looked up before the write (the unique record decides, and the retry's write rolls back)."""

from __future__ import annotations

from registry.access.models import OperationLog
from registry.access.services import revoke_right
from registry.api.tokens import create_token
from registry.transactions.models import Transaction
from registry.units.models import UnitBlock
from tests.integration.test_api_rules import people, post, proposal  # noqa: F401 (a fixture)

KEY = {"HTTP_IDEMPOTENCY_KEY": "order-1"}


def _traces() -> tuple[int, int, int]:
    return Transaction.objects.count(), OperationLog.objects.count(), UnitBlock.objects.count()


def test_a_retry_of_a_refusal_gets_the_refusal_although_the_write_would_now_succeed(people, client):  # noqa: F811
    first = post(client, "/api/v1/transactions", proposal(people, 150), people.admin_token, **KEY)
    assert first.status_code == 422
    people.issue(100)  # enough units now
    before = _traces()
    again = post(client, "/api/v1/transactions", proposal(people, 150), people.admin_token, **KEY)
    assert again.status_code == 422 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert _traces() == before


def test_a_retry_after_the_token_lost_the_account_gets_the_first_answer_not_404(people, client):  # noqa: F811
    secret = create_token(people.initiator, "erp", "write")[1]
    first = post(client, "/api/v1/transactions", proposal(people, 5), secret, **KEY)
    assert first.status_code == 201 and first.json()["status"] == "awaiting_approval"
    revoke_right(people.admin_mn, people.seller, people.initiator)
    before = _traces()
    again = post(client, "/api/v1/transactions", proposal(people, 5), secret, **KEY)
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert _traces() == before  # not even the denial of the retry's write is kept: it was rolled back with it


def test_a_key_reused_for_another_request_is_refused_even_where_that_request_would_be_denied(people, client):  # noqa: F811
    assert post(client, "/api/v1/transactions", proposal(people, 5), people.admin_token, **KEY).status_code == 201
    before = _traces()
    elsewhere = {**proposal(people, 5), "from_account": "MNG01-999999"}
    reused = post(client, "/api/v1/transactions", elsewhere, people.admin_token, **KEY)
    assert reused.status_code == 422 and "used for another request" in reused.json()["detail"]
    assert _traces() == before
