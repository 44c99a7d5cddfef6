"""Transactions: list and read them, propose movements, approve, reject or cancel pending ones.

The services decide everything as they do for the web: a representative's proposal awaits a
second person's approval, transfers to accounts off the trusted list wait after approval, and
nobody approves their own proposal, with whichever token or on whichever screen.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.api import cursors
from registry.api.idempotency import apply_once
from registry.api.problems import ERRORS
from registry.api.schemas import ACCOUNT_NUMBER, ProposalIn, ReasonIn, TransactionOut, TransactionPage
from registry.api.security import account_for, accounts_for_transfer, administered_registries, reachable_accounts, transaction_for, user_of
from registry.peers.services import peer_account
from registry.transactions import services as ledger
from registry.transactions.blocks import requested_units, unit_choice
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.transactions.visibility import refused_on_request, seen_from

router = Router(tags=["transactions"])

TransactionId = Annotated[int, Path(ge=1, le=2**62)]
STATUS_PATTERN = f"^({'|'.join(TransactionStatus.values)})?$"


def transaction_out(tx: Transaction) -> dict[str, Any]:
    return TransactionOut(
        id=tx.pk,
        registry=tx.registry.registry_id,
        type=tx.type,
        status=tx.status,
        from_account=tx.from_account.number if tx.from_account else None,
        to_account=tx.to_account.number if tx.to_account else None,
        quantity=tx.quantity,
        purpose=tx.purpose,
        cancellation_kind=tx.cancellation_kind,
        oimp_purpose=tx.oimp_purpose,
        reason=tx.reason,
        created_at=tx.created_at,
        execute_after=tx.execute_after,
        completed_at=tx.completed_at,
        check_code=tx.check_code,
        check_message=tx.check_message,
        blocks=[b.identifier for b in tx.blocks.all()],
        purpose_code=tx.use_purpose.code if tx.use_purpose else None,
        aim=tx.aim,
        credit_user=tx.credit_user,
        use_country=tx.use_country,
        towards_ndc=tx.towards_ndc,
    ).model_dump(mode="json")


@router.get("/transactions", response={200: TransactionPage, **ERRORS}, operation_id="listTransactions")
def list_transactions(
    request: HttpRequest,
    status: Annotated[str | None, Query(None, pattern=STATUS_PATTERN)] = None,
    account: Annotated[str | None, Query(None, pattern=ACCOUNT_NUMBER)] = None,
    cursor: Annotated[str | None, Query(None, max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    limit: Annotated[int, Query(50, ge=1, le=500)] = 50,
) -> Any:
    """Transactions of the accounts this token reaches, oldest first; ``next_cursor`` continues a list."""
    accounts = reachable_accounts(request)
    seen = seen_from(accounts)
    if account:
        seen = seen_from(accounts.filter(pk=account_for(request, account).pk))
    else:  # authorisations concern no account: their registries' administrators see them
        seen |= Q(type=TransactionType.AUTHORIZATION, registry__in=administered_registries(request))
    found = Transaction.objects.filter(seen).exclude(refused_on_request())  # a refused request answered with its problem
    if status:
        found = found.filter(status=status)
    after = cursors.decode(cursor, (int,))
    if after is not None:
        found = found.filter(pk__gt=after[0])
    page = list(
        found.select_related("registry", "from_account", "to_account", "use_purpose").prefetch_related("blocks").order_by("pk")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return {"items": [transaction_out(tx) for tx in page], "next_cursor": cursors.encode((page[-1].pk,)) if more else None}


@router.get("/transactions/{pk}", response={200: TransactionOut, **ERRORS}, operation_id="getTransaction")
def get_transaction(request: HttpRequest, pk: TransactionId) -> Any:
    """One transaction and its status."""
    return transaction_out(transaction_for(request, pk))


def _logged(request: HttpRequest, action: Operation, tx: Transaction) -> tuple[int, dict[str, Any]]:
    log_operation(user_of(request), action, registry=tx.registry, target=f"T{tx.pk}", outcome=tx.status)
    return (201 if action == Operation.PROPOSE else 200), transaction_out(tx)


@router.post("/transactions", response={201: TransactionOut, **ERRORS}, operation_id="proposeTransaction")
def propose_transaction(request: HttpRequest, proposal: ProposalIn) -> HttpResponse:
    """Propose a transfer, retirement or cancellation. A representative's proposal awaits approval by
    another person; an administrator's completes at once. Send an ``Idempotency-Key`` to retry safely."""

    def write() -> tuple[int, dict[str, Any]]:
        if proposal.kind in ("internal_transfer", "external_transfer") and proposal.to_account:
            # Both accounts in one statement; the service reads the acquiring one again only if
            # this found none (a peer's account used for the first time is entered just below).
            source, target = accounts_for_transfer(request, proposal.from_account, proposal.to_account)
        else:
            source, target = account_for(request, proposal.from_account), None
        if proposal.kind == "external_transfer" and proposal.to_account:
            peer_account(source.registry, proposal.to_account)  # a peer's account: this registry's entry for it
        tx = ledger.propose_movement(
            actor=user_of(request),
            kind=proposal.kind,
            from_account=source,
            to_account_number=proposal.to_account,
            to_account=target,
            quantity=proposal.quantity,
            ranges=[requested_units(text) for text in proposal.ranges] if proposal.ranges else None,
            purpose=proposal.purpose,
            cancellation_kind=proposal.cancellation_kind or "voluntary",
            choice=unit_choice(source.registry, proposal.unit_type, proposal.project, proposal.vintage),
            purpose_code=proposal.purpose_code,
            aim=proposal.aim,
            credit_user=proposal.credit_user,
            use_country=proposal.use_country,
            using_entity=proposal.using_entity,
        )
        return _logged(request, Operation.PROPOSE, tx)

    return apply_once(request, Operation.PROPOSE, write)


@router.post("/transactions/{pk}/approve", response={200: TransactionOut, **ERRORS}, operation_id="approveTransaction")
def approve_transaction(request: HttpRequest, pk: TransactionId) -> HttpResponse:
    """Approve a transaction awaiting approval (never one's own proposal): it completes, or waits
    for the trusted-list delay."""

    def write() -> tuple[int, dict[str, Any]]:
        tx = ledger.approve_transaction(actor=user_of(request), transaction=transaction_for(request, pk, deciding=True))
        return _logged(request, Operation.APPROVE, tx)

    return apply_once(request, Operation.APPROVE, write)


@router.post("/transactions/{pk}/reject", response={200: TransactionOut, **ERRORS}, operation_id="rejectTransaction")
def reject_transaction(request: HttpRequest, pk: TransactionId, body: ReasonIn) -> HttpResponse:
    """Refuse a transaction awaiting approval, with a reason; its units are free again."""

    def write() -> tuple[int, dict[str, Any]]:
        tx = ledger.reject_transaction(actor=user_of(request), transaction=transaction_for(request, pk, deciding=True), reason=body.reason)
        return _logged(request, Operation.REJECT, tx)

    return apply_once(request, Operation.REJECT, write)


@router.post("/transactions/{pk}/cancel", response={200: TransactionOut, **ERRORS}, operation_id="cancelTransaction")
def cancel_transaction(request: HttpRequest, pk: TransactionId) -> HttpResponse:
    """Withdraw a pending transaction (its proposer, or an administrator) before it completes."""

    def write() -> tuple[int, dict[str, Any]]:
        tx = ledger.cancel_transaction(actor=user_of(request), transaction=transaction_for(request, pk, deciding=True))
        return _logged(request, Operation.CANCEL, tx)

    return apply_once(request, Operation.CANCEL, write)
