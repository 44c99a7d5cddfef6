"""The API's hand-written account reads answer exactly as the ORM queries they replace: which
account a token reaches (``registry.api.reach``) and which account a transfer's number names
(``destination_account``); and the refusals behind them still come through the API."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q

from registry.access import permissions
from registry.access.services import grant_right
from registry.accounts.models import Account, AccountType
from registry.accounts.services import change_account_status, destination_account
from registry.api.models import ApiToken
from registry.api.reach import reached_account
from registry.api.tokens import create_token
from registry.core.checks import Check
from registry.parties.models import Registry
from registry.peers.services import mirror_account
from registry.transactions.models import Transaction
from tests.factories import make_user
from tests.integration.test_api_rules import people, post, proposal  # noqa: F401 (a fixture)

PEER_NUMBER = "THA01-000007"


def _orm_reach(user, token: ApiToken, number: str) -> list[Account]:
    """The accounts ``account_for`` chose among before it was hand-written (``.first()`` of these)."""
    accounts = permissions.visible_accounts(user)
    if token.accounts.exists():
        accounts = accounts.filter(pk__in=token.accounts.values("pk"))
    return list(accounts.filter(number=number))


@pytest.fixture
def everyone(people):  # noqa: F811
    auditor, reader, outsider = make_user("auditor"), make_user("reader"), make_user("outsider")
    people.mongolia.auditors.add(auditor)
    grant_right(people.admin_mn, people.buyer, reader, "read_only")
    root = get_user_model().objects.create_superuser("root", password=None)
    change_account_status(people.admin_mn, people.buyer, "blocked")
    closed = Account.objects.create(
        registry=people.mongolia,
        number="MNG01-900001",
        type=AccountType.ENTITY_HOLDING,
        name="Gone",
        status="closed",
        opened_at="2024-01-01T00:00Z",
    )
    mirror_account(people.mongolia, PEER_NUMBER, "Thai account, in Mongolia's books")
    mirror_account(people.japan, PEER_NUMBER, "Thai account, in Japan's books")
    users = [people.admin_mn, people.admin_jp, people.initiator, people.approver, auditor, reader, outsider, root]
    tokens = [create_token(user, "all", "write")[0] for user in users]
    tokens += [create_token(people.approver, "buyer only", "read", [people.buyer])[0]]
    tokens += [create_token(people.admin_mn, "seller only", "write", [people.seller])[0]]
    tokens += [create_token(root, "japan only", "write", [people.japanese])[0]]
    numbers = [*Account.objects.values_list("number", flat=True).distinct(), "MNG01-999999", closed.number]
    return people, tokens, numbers


def test_the_account_check_reaches_exactly_the_accounts_the_token_may_see(everyone):
    _world, tokens, numbers = everyone
    for token, number in itertools.product(tokens, numbers):
        user = token.user
        candidates = {account.pk: account for account in _orm_reach(user, token, number)}
        found = reached_account(user, token, number, limited=token.accounts.exists())
        # A peer account's number names one entry per registry: one who sees both gets the first by id.
        expected = candidates[min(candidates)] if candidates else None
        assert (found.account.pk if found else None) == (expected.pk if expected else None), (user.username, token.name, number)
        if found is not None:
            account, administers = found.account, found.administers
            assert account.registry.registry_id == expected.registry.registry_id
            assert (account.entity.name if account.entity else None) == (expected.entity.name if expected.entity else None)
            assert (account.status, account.type, account.transaction_limit) == (expected.status, expected.type, expected.transaction_limit)
            assert administers == account.registry.administrators.filter(pk=user.pk).exists()


def test_a_transfer_names_the_same_acquiring_account_as_before(everyone):
    world, _tokens, numbers = everyone
    for registry, number in itertools.product(Registry.objects.all(), [*numbers, f" {world.buyer.number} "]):
        found = (
            Account.objects.filter(number=number.strip()).filter(Q(registry=registry) | ~Q(type=AccountType.PEER)).order_by("pk").first()
        )
        named = destination_account(registry, number)
        assert (named.pk if named else None) == (found.pk if found else None), (registry.registry_id, number)
        if named is not None:
            assert named.registry.registry_id == found.registry.registry_id and named.type == found.type


def _refused(response, status: int, check: Check) -> bool:
    return response.status_code == status and response.json()["code"] == check.code


def test_an_api_transfer_to_a_blocked_account_is_refused_with_7103(everyone, client):
    world, _tokens, _numbers = everyone
    response = post(client, "/api/v1/transactions", proposal(world, 1), world.admin_token)
    assert _refused(response, 422, Check.ACQUIRING_ACCOUNT_BLOCKED)


def test_an_api_transfer_from_a_blocked_account_is_refused_with_7101(everyone, client):
    world, _tokens, _numbers = everyone
    body = {"kind": "internal_transfer", "from_account": world.buyer.number, "to_account": world.seller.number, "quantity": 1}
    assert _refused(post(client, "/api/v1/transactions", body, world.admin_token), 422, Check.TRANSFERRING_ACCOUNT_BLOCKED)


def test_an_api_transfer_to_a_closed_account_is_refused_with_7104(everyone, client):
    world, _tokens, _numbers = everyone
    body = {**proposal(world, 1), "to_account": "MNG01-900001"}
    assert _refused(post(client, "/api/v1/transactions", body, world.admin_token), 422, Check.ACQUIRING_ACCOUNT_CLOSED)


def test_an_api_transfer_to_another_registrys_account_is_refused_with_7105(everyone, client):
    world, _tokens, _numbers = everyone
    body = {**proposal(world, 1), "to_account": world.japanese.number}
    assert _refused(post(client, "/api/v1/transactions", body, world.admin_token), 422, Check.ACCOUNT_OTHER_REGISTRY)


def test_an_internal_transfer_to_another_registrys_peer_entry_names_no_account(everyone, client):
    world, _tokens, _numbers = everyone
    # Japan's entry for the Thai account is not Mongolia's: as an internal transfer, Mongolia's own entry is a peer account (7507).
    body = {**proposal(world, 1), "to_account": PEER_NUMBER}
    response = post(client, "/api/v1/transactions", body, world.admin_token)
    assert response.status_code == 422 and response.json()["code"] == Check.PEER_TRANSFER_NOT_EXTERNAL.code


def test_an_auditors_write_token_cannot_propose_and_is_not_taken_for_an_administrator(everyone, client):
    world, _tokens, _numbers = everyone
    secret = create_token(get_user_model().objects.get(username="auditor"), "audit", "write")[1]
    before = Transaction.objects.count()
    response = post(client, "/api/v1/transactions", proposal(world, 1), secret)
    assert _refused(response, 403, Check.NOT_ALLOWED_ON_ACCOUNT) and Transaction.objects.count() == before


def test_a_read_token_cannot_propose_even_for_an_administrator(everyone, client):
    world, _tokens, _numbers = everyone
    secret = create_token(world.admin_mn, "read", "read")[1]
    assert _refused(post(client, "/api/v1/transactions", proposal(world, 1), secret), 403, Check.NOT_ALLOWED_ON_ACCOUNT)


def test_a_token_limited_to_another_account_does_not_reach_the_sender(everyone, client):
    world, _tokens, _numbers = everyone
    secret = create_token(world.admin_mn, "buyer only", "write", [world.buyer])[1]
    assert post(client, "/api/v1/transactions", proposal(world, 1), secret).status_code == 404


def test_the_acquiring_account_read_with_the_sender_is_the_one_a_transfer_names(everyone):
    world, tokens, _numbers = everyone
    numbers = [world.seller.number, world.buyer.number, world.japanese.number, world.retirement_mn.number]
    numbers += [PEER_NUMBER, "MNG01-900001", "MNG01-999999", f" {world.buyer.number} "]
    for token, number, acquiring in itertools.product(tokens, numbers, numbers):
        limited = token.accounts.exists()
        alone = reached_account(token.user, token, number, limited=limited)
        both = reached_account(token.user, token, number, limited=limited, acquiring=acquiring)
        assert (both.account.pk, both.administers) == (alone.account.pk, alone.administers) if alone else both is None
        if both is not None:
            named = destination_account(both.account.registry, acquiring)
            assert (both.acquiring.pk if both.acquiring else None) == (named.pk if named else None), (token.name, number, acquiring)
            if named is not None:
                assert both.acquiring.registry.registry_id == named.registry.registry_id
                assert (both.acquiring.status, both.acquiring.type) == (named.status, named.type)
