"""Accounts the token reaches: details, holdings by block, the trusted list."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from registry.access import permissions
from registry.access.models import Operation, TrustedAccount
from registry.access.services import add_trusted_account, remove_trusted_account
from registry.accounts.models import Account
from registry.accounts.services import destination_account
from registry.api import cursors
from registry.api.idempotency import apply_once
from registry.api.problems import ERRORS
from registry.api.schemas import ACCOUNT_NUMBER, AccountDetailOut, AccountOut, HoldingPage, TrustedIn, TrustedOut
from registry.api.security import account_for, reachable_accounts, user_of
from registry.core.checks import Check, CheckFailed
from registry.peers.services import peer_account
from registry.units.holdings import blocks_of, holdings_of

router = Router(tags=["accounts"])

Number = Annotated[str, Path(pattern=ACCOUNT_NUMBER, examples=["MNG01-000007"])]
Cursor = Annotated[str | None, Query(None, max_length=200, pattern=r"^[A-Za-z0-9_-]*$")]
Limit = Annotated[int, Query(100, ge=1, le=1000)]


def _account_out(account: Account) -> dict[str, Any]:
    return {
        "number": account.number,
        "name": account.name,
        "type": account.type,
        "status": account.status,
        "registry": account.registry.registry_id,
        "entity": account.entity.name if account.entity else None,
    }


@router.get("/accounts", response={200: list[AccountOut], **ERRORS}, operation_id="listAccounts")
def list_accounts(request: HttpRequest) -> Any:
    """The accounts this token reaches."""
    return [_account_out(account) for account in reachable_accounts(request).order_by("number")]


@router.get("/accounts/{number}", response={200: AccountDetailOut, **ERRORS}, operation_id="getAccount")
def get_account(request: HttpRequest, number: Number) -> Any:
    account = account_for(request, number)
    units = account.blocks.aggregate(units=Sum(F("end") - F("start") + 1))["units"] or 0
    right = permissions.right_on(user_of(request), account)
    return {
        **_account_out(account),
        "units": units,
        "right": right.value if right else None,
        "transaction_limit": account.transaction_limit,
    }


@router.get("/accounts/{number}/holdings", response={200: HoldingPage, **ERRORS}, operation_id="listHoldings")
def list_holdings(request: HttpRequest, number: Number, cursor: Cursor = None, limit: Limit = 100) -> Any:
    """The account's blocks, oldest vintage first, each with its unique identifier."""
    account = account_for(request, number)
    page, next_cursor = cursors.page_of_blocks(blocks_of(account.registry, account), ("vintage", "originating_registry"), cursor, limit)
    return {"items": list(holdings_of(page)), "next_cursor": next_cursor}


@router.get("/accounts/{number}/trusted", response={200: list[TrustedOut], **ERRORS}, operation_id="listTrustedAccounts")
def list_trusted_accounts(request: HttpRequest, number: Number) -> Any:
    """The account's trusted list: transfers to these accounts complete without delay once effective."""
    account = account_for(request, number)
    entries = TrustedAccount.objects.filter(account=account, removed_at__isnull=True).select_related("trusted").order_by("trusted__number")
    return [{"account": e.trusted.number, "added_at": e.added_at, "effective_at": e.effective_at} for e in entries]


def _other(account: Account, number: str) -> Account:
    other = peer_account(account.registry, number) or destination_account(account.registry, number)
    if other is None:
        raise CheckFailed(Check.ACCOUNT_UNKNOWN, account=number, registry=account.registry.registry_id)
    return other


@router.post(
    "/accounts/{number}/trusted", response={201: TrustedOut, **ERRORS}, operation_id="addTrustedAccount", summary="Add Trusted Account"
)
def add_trusted(request: HttpRequest, number: Number, body: TrustedIn) -> HttpResponse:
    """Add an account to the trusted list; the addition takes effect after the registry's delay."""

    def write() -> tuple[int, dict[str, Any]]:
        account = account_for(request, number)
        entry = add_trusted_account(user_of(request), account, _other(account, body.account))
        return 201, TrustedOut(account=body.account, added_at=entry.added_at, effective_at=entry.effective_at).model_dump(mode="json")

    return apply_once(request, Operation.TRUSTED_ACCOUNT_ADDED, write)


@router.delete(
    "/accounts/{number}/trusted/{other}",
    response={204: None, **ERRORS},
    operation_id="removeTrustedAccount",
    summary="Remove Trusted Account",
)
def remove_trusted(request: HttpRequest, number: Number, other: Number) -> HttpResponse:
    """Remove an account from the trusted list, at once."""

    def write() -> tuple[int, dict[str, Any]]:
        account = account_for(request, number)
        listed = TrustedAccount.objects.filter(account=account, trusted__number=other, removed_at__isnull=True).select_related("trusted")
        if (entry := listed.first()) is None:
            raise CheckFailed(
                Check.ACCOUNT_UNKNOWN, account=f"{other} on the trusted list of {number}", registry=account.registry.registry_id
            )
        remove_trusted_account(user_of(request), account, entry.trusted)
        return 204, {}

    return apply_once(request, Operation.TRUSTED_ACCOUNT_REMOVED, write)
