"""The movement engine behind the transaction services: locking, cutting, completing, journaling.

``move`` is the one path by which units change hands; ``complete`` finishes a movement (first
transfers and adjustments due, hand-over, journal entries in one or two registries). The public
use cases in ``services.py`` check their own preconditions and call these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.models import User
from django.db import transaction as db
from django.db.models import Q
from django.utils import timezone

from registry import rows
from registry.access import permissions
from registry.accounts.models import FINAL_TYPES, Account, AccountStatus, AccountType
from registry.accounts.services import lock_accounts
from registry.core import entries
from registry.core.checks import Check, CheckFailed
from registry.core.serials import Piece, SerialRange, validate_requested_ranges
from registry.core.status import PENDING, Status
from registry.journal.services import append_entry, lock_registries
from registry.parties.hours import check_open_for_movements
from registry.parties.models import Registry
from registry.parties.services import Actor, is_administrator
from registry.refusals import kept_params
from registry.transactions import article6_services, blocks, events, handoff
from registry.transactions.blocks import RequestedRange
from registry.transactions.models import CancellationKind, Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.units.models import UnitBlock

P = ParamSpec("P")
R = TypeVar("R")


def records_refusals(kind: TransactionType) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the use case atomically; on a failed check, keep a ``rejected`` transaction saying why."""

    def decorate(use_case: Callable[P, R]) -> Callable[P, R]:
        @wraps(use_case)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with db.atomic():
                    return use_case(*args, **kwargs)
            except CheckFailed as failure:
                _record_refusal(kind, failure, kwargs)
                raise

        return run

    return decorate


#: Refusals of somebody who may not act at all: kept in the operation log, never in an account's
#: history (its holders would otherwise read strangers' attempts, and what they were told).
NOT_RECORDED = {Check.NOT_ADMINISTRATOR, Check.NOT_ALLOWED_ON_ACCOUNT}


def _record_refusal(kind: TransactionType, failure: CheckFailed, request: dict[str, Any]) -> None:
    if failure.check in NOT_RECORDED:
        return
    from_account: object = None
    to_account: object = None
    if kind == TransactionType.ISSUANCE:
        to_account = request.get("account")
    elif isinstance(corrected := request.get("transaction"), Transaction):
        from_account, to_account = corrected.to_account, corrected.from_account
    else:
        from_account = request.get("from_account") or request.get("account")
        to_account = request.get("to_account")
    known = [a for a in (from_account, to_account) if isinstance(a, Account)]
    if not known:
        return
    actor = request.get("actor")
    quantity = request.get("quantity")
    person = actor if isinstance(actor, User) else None
    Transaction.objects.create(
        registry_id=known[0].registry_id,
        type=kind,
        status=TransactionStatus.REJECTED,
        from_account=from_account if isinstance(from_account, Account) else None,
        to_account=to_account if isinstance(to_account, Account) else None,
        quantity=quantity if isinstance(quantity, int) and 0 < quantity < 2**62 else None,
        proposed_by=person,
        created_at=timezone.now(),
        check_code=failure.code,
        check_message=failure.message,
        check_params=kept_params(failure),
    )


def move(
    *,
    actor: Actor,
    kind: TransactionType,
    from_account: Account,
    to_account: Account,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    purpose: str = "",
    reason: str = "",
    corrects: Transaction | None = None,
    require_approval: bool = False,
    execute_after: datetime | None = None,
    use: dict[str, Any] | None = None,
    eligible: Q | None = None,
    choice: blocks.UnitChoice | None = None,
) -> Transaction:
    """The movement engine. ``use`` carries the fields of a use (using Party, NDC year, purpose of
    use...); ``eligible``, the blocks a request by quantity chooses among (``rules.eligible_for_use``);
    ``choice`` narrows a request by quantity to one unit type (project, vintage)."""
    registry = from_account.registry
    # Who may act comes first: somebody without the right learns nothing about the acquiring account.
    administrator = is_administrator(actor, registry)
    if kind == TransactionType.CORRECTION and not administrator:
        raise CheckFailed(Check.NOT_ADMINISTRATOR, actor=actor, registry=registry.registry_id)
    if not administrator and not permissions.may_initiate_as_representative(actor, from_account):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=from_account.number)
    by_account_holder = not administrator
    if kind in (TransactionType.INTERNAL_TRANSFER, TransactionType.EXTERNAL_TRANSFER) and to_account.type in FINAL_TYPES:
        raise CheckFailed(Check.TRANSFER_TO_FINAL_ACCOUNT, account=to_account.number, account_type=to_account.get_type_display())
    if to_account.type == AccountType.PEER and kind != TransactionType.EXTERNAL_TRANSFER:
        raise CheckFailed(Check.PEER_TRANSFER_NOT_EXTERNAL, account=to_account.number, registry=peer_registry_of(to_account))
    if kind == TransactionType.EXTERNAL_TRANSFER:
        if to_account.type == AccountType.PEER:
            if to_account.registry_id != registry.pk:  # each registry names peer accounts in its own books
                raise CheckFailed(Check.ACQUIRING_ACCOUNT_UNKNOWN, account=to_account.number, registry=registry.registry_id)
        elif to_account.registry_id == registry.pk:
            raise CheckFailed(Check.EXTERNAL_TRANSFER_SAME_REGISTRY, account=to_account.number, registry=registry.registry_id)
    elif to_account.registry_id != registry.pk:
        raise CheckFailed(
            Check.ACCOUNT_OTHER_REGISTRY,
            account=to_account.number,
            account_registry=to_account.registry.registry_id,
            registry=registry.registry_id,
        )
    if (quantity is None) == (ranges is None):
        raise CheckFailed(Check.QUANTITY_AND_RANGES)
    if quantity is not None:
        check_quantity(quantity)
    if ranges is not None:
        ranges = blocks.resolve_ranges(from_account, ranges)
        check_ranges(ranges)
    if by_account_holder:
        # Account holders' movements: never while the registry is suspended, always with four eyes.
        suspension = Registry.objects.filter(pk=registry.pk, movements_suspended=True).values_list("suspension_notice", flat=True).first()
        if suspension is not None:
            raise CheckFailed(Check.MOVEMENTS_SUSPENDED, registry=registry.registry_id, notice=suspension or "-")
        check_open_for_movements(Registry.objects.get(pk=registry.pk))
        require_approval = True
    locked = lock_accounts([from_account, to_account])
    from_account, to_account = locked[from_account.pk], locked[to_account.pk]
    if from_account.pk == to_account.pk:
        raise CheckFailed(Check.TRANSFER_SAME_ACCOUNT, account=from_account.number)
    check_transferring(from_account)
    check_acquiring(to_account)
    pending = require_approval or execute_after is not None
    # Completing at once, the parts taken go straight to their new holder, merged there, each row
    # written once (``blocks.hand_over_pieces``); cut into rows of their own first (``carve``) only
    # when they wait reserved or completing writes them as rows.
    at_once = not pending and not _writes_moving_rows(kind, (use or {}).get("cancellation_kind"))
    touching: blocks.Touching = {}  # what touches the block taken from, where it goes: read with it
    if ranges is not None:
        pieces = blocks.pick_by_ranges(from_account, ranges)
    else:
        assert quantity is not None
        pieces = blocks.pick_by_quantity(from_account, quantity, eligible, choice, to_account if at_once else None, touching)
    now = timezone.now()
    moved = sum(piece.taken.quantity for piece in pieces)
    if by_account_holder and from_account.transaction_limit is not None and moved > from_account.transaction_limit:
        raise CheckFailed(
            Check.TRANSACTION_LIMIT_EXCEEDED, account=from_account.number, limit=from_account.transaction_limit, quantity=moved
        )
    # One completing at once is written completed: nothing outside this database transaction sees
    # it before it is, and a failed check rolls the row back with everything else.
    tx = Transaction(
        registry=registry,
        type=kind,
        status=TransactionStatus.AWAITING_APPROVAL
        if require_approval
        else TransactionStatus.DELAYED
        if pending
        else TransactionStatus.COMPLETED,
        completed_at=None if pending else now,
        from_account=from_account,
        to_account=to_account,
        quantity=moved,
        purpose=purpose,
        reason=reason,
        corrects=corrects,
        proposed_by=person(actor),
        created_at=now,
        execute_after=execute_after,
        **(use or {}),
    )
    moving = blocks.cut_out(pieces) if at_once else blocks.carve(pieces)
    article6_services.check_movement(tx, moving)
    blocks.record_with_blocks(tx, moving)
    if not pending:
        complete(tx, moving, now, pieces if at_once else None, touching)
        return tx
    blocks.reserve(moving, tx)
    if require_approval:
        events.proposed(tx)
    return tx


def _writes_moving_rows(kind: str, cancellation_kind: str | None) -> bool:
    """Whether completing a movement needs its moving parts as rows of their own before they are
    handed over: an external transfer's or an OIMP cancellation's first transfers are recorded on
    them (``article6_services.record_on_completion``), a peer's keep them reserved (``hand_to_peer``)."""
    return kind == TransactionType.EXTERNAL_TRANSFER or (
        kind == TransactionType.CANCELLATION and cancellation_kind == CancellationKind.OIMP
    )


def complete(
    tx: Transaction,
    moving: Sequence[UnitBlock],
    now: datetime,
    pieces: Sequence[Piece[UnitBlock]] | None = None,
    touching: blocks.Touching | None = None,
) -> None:
    """Record what completion triggers (first transfers, adjustments), move the units, journal it.

    ``moving`` are rows of their own (``blocks.carve``), or, with ``pieces`` (a movement completing
    at once: ``blocks.cut_out``), the parts of ``pieces`` in memory, still inside their blocks;
    ``touching``, what was read with them of the blocks touching them where they go.

    A transfer to a peer registry's account does not complete here: its units stay reserved and
    its proposal goes to the peer (``hand_to_peer``); the peer's answer completes or releases it."""
    assert tx.from_account is not None and tx.to_account is not None
    assert pieces is None or not _writes_moving_rows(tx.type, tx.cancellation_kind)
    if tx.to_account.type == AccountType.PEER:
        hand_to_peer(tx, moving, now)
        return
    if tx.type == TransactionType.EXTERNAL_TRANSFER:
        lock_registries([tx.from_account.registry, tx.to_account.registry])
    adjustments = article6_services.record_on_completion(tx, moving, now)
    # What moved, read before the hand-over merges the blocks into their new neighbours.
    ranges = tuple(entries.Span(*r) for r in sorted((b.originating_registry, b.start, b.end) for b in moving))
    arriving = tuple(blocks.as_journal_block(b) for b in moving) if tx.type == TransactionType.EXTERNAL_TRANSFER else ()
    if pieces is not None:
        blocks.hand_over_pieces(pieces, moving, tx.to_account, touching or {})
    else:
        blocks.hand_over(moving, tx.to_account)
    if tx.status != TransactionStatus.COMPLETED:  # a pending one completing now
        tx.status = TransactionStatus.COMPLETED
        tx.completed_at = now
        rows.update(tx, "status", "completed_at")
    entry = _movement_entry(tx, ranges, adjustments)
    events.completed(tx)  # before the journal: the registry's lock, which that takes, is then held briefly
    if tx.type == TransactionType.EXTERNAL_TRANSFER:
        _record_acquisition(tx, arriving, now)
    append_entry(tx.registry, entry, now, transaction_id=tx.pk)


def peer_registry_of(account: Account) -> str:
    """The peer registry an account of type ``peer`` belongs to: the prefix of its number."""
    return account.number.split("-", 1)[0]


def hand_to_peer(tx: Transaction, moving: Sequence[UnitBlock], now: datetime) -> None:
    """Approved (and past any delay): the units stay reserved, the transaction is ``proposed`` and
    its signed proposal is put in the outbox, all in the caller's database transaction."""
    blocks.reserve(moving, tx)
    tx.status = TransactionStatus.PROPOSED
    tx.completed_at = None  # an administrator's transfer was created completing at once: it completes when the peer accepts
    tx.save(update_fields=["status", "completed_at"])
    assert tx.from_account is not None and tx.to_account is not None
    # What is reserved, read before the outbox sees the blocks.
    ranges = tuple(entries.Span(*r) for r in sorted((b.originating_registry, b.start, b.end) for b in moving))
    answered = [
        response for _receiver, response in handoff.peer_transfer_due.send(sender=Transaction, transaction=tx, blocks=moving, now=now)
    ]
    proposals = [response for response in answered if isinstance(response, str) and response]
    if not proposals:
        # Nobody took the proposal: nothing may wait reserved for an answer that will never come.
        raise RuntimeError(f"no outbox took transaction {tx.pk} for peer {peer_registry_of(tx.to_account)}")
    entry = entries.PeerTransferReserved(
        transaction=tx.pk,
        from_account=tx.from_account.number,
        to_account=tx.to_account.number,
        to_registry=peer_registry_of(tx.to_account),
        proposal=proposals[0],
        ranges=ranges,
    )
    append_entry(tx.registry, entry, now, transaction_id=tx.pk)


def complete_at_peer(tx: Transaction, moving: Sequence[UnitBlock], now: datetime) -> None:
    """The peer accepted ``tx``: first transfers due now, the units leave this installation (their
    blocks are gone: the peer holds them now), the external transfer is journaled."""
    assert tx.from_account is not None and tx.to_account is not None
    lock_registries([tx.registry])
    adjustments = article6_services.record_on_completion(tx, moving, now)
    ranges = tuple(entries.Span(*r) for r in sorted((b.originating_registry, b.start, b.end) for b in moving))
    UnitBlock.objects.filter(pk__in=[b.pk for b in moving]).delete()
    tx.status = TransactionStatus.COMPLETED
    tx.completed_at = now
    tx.save(update_fields=["status", "completed_at"])
    entry = _movement_entry(tx, ranges, adjustments)
    events.completed(tx)
    append_entry(tx.registry, entry, now, transaction_id=tx.pk)


def release_from_peer(
    tx: Transaction, moving: list[UnitBlock], outcome: str, codes: Sequence[int], failure: CheckFailed, now: datetime
) -> Transaction:
    """The peer refused ``tx`` (``outcome`` ``refused``) or declared it void (``void``): it ends
    rejected with ``failure`` (1515, the peer's codes and words), its units free again, the release
    journaled, and both sides here are told."""
    assert tx.to_account is not None
    ranges = tuple(entries.Span(*r) for r in sorted((b.originating_registry, b.start, b.end) for b in moving))
    released = refuse_when_due(tx, moving, failure)
    entry = entries.PeerTransferReleased(
        transaction=tx.pk, to_registry=peer_registry_of(tx.to_account), outcome=outcome, codes=tuple(codes), ranges=ranges
    )
    append_entry(tx.registry, entry, now, transaction_id=tx.pk)
    return released


def _movement_entry(
    tx: Transaction, ranges: tuple[entries.Span, ...], adjustments: tuple[entries.Adjustment, ...] | None
) -> entries.Movement:
    assert tx.from_account is not None and tx.to_account is not None
    common: dict[str, Any] = {
        "transaction": tx.pk,
        "proposed_by": tx.proposed_by.get_username() if tx.proposed_by else None,
        "approved_by": tx.decided_by.get_username() if tx.decided_by else None,
        "from_account": tx.from_account.number,
        "to_account": tx.to_account.number,
        "ranges": ranges,
        "purpose": tx.purpose,
        "reason": tx.reason,
        "using_entity": tx.using_entity_id,
    }
    declared: dict[str, Any] = {
        "purpose_code": tx.use_purpose.code if tx.use_purpose else "",
        "aim": tx.aim,
        "credit_user": tx.credit_user,
        "use_country": tx.use_country,
    }
    match tx.type:
        case TransactionType.RETIREMENT:
            return entries.Retirement(
                **common,
                using_party=tx.using_party.alpha3 if tx.using_party else None,
                towards_ndc=tx.towards_ndc,
                ndc_year=tx.ndc_year,
                adjustments=adjustments if tx.towards_ndc else None,
                **declared,
            )
        case TransactionType.CANCELLATION:
            return entries.Cancellation(**common, cancellation_kind=tx.cancellation_kind, oimp_purpose=tx.oimp_purpose, **declared)
        case TransactionType.CORRECTION:
            return entries.Correction(**common, corrects=tx.corrects_id)
        case TransactionType.EXTERNAL_TRANSFER:
            to_registry = peer_registry_of(tx.to_account) if tx.to_account.type == AccountType.PEER else tx.to_account.registry.registry_id
            return entries.ExternalTransfer(**common, to_registry=to_registry)
        case _:
            return entries.InternalTransfer(**common)


def _record_acquisition(transfer: Transaction, arriving: tuple[entries.JournalBlock, ...], now: datetime) -> None:
    """The acquiring registry's half of an external transfer: its own transaction and journal entry."""
    assert transfer.from_account is not None and transfer.to_account is not None
    acquisition = Transaction.objects.create(
        registry=transfer.to_account.registry,
        type=TransactionType.ACQUISITION,
        status=TransactionStatus.COMPLETED,
        from_account=transfer.from_account,
        to_account=transfer.to_account,
        quantity=transfer.quantity,
        counterpart=transfer,
        proposed_by=transfer.proposed_by,
        created_at=now,
        completed_at=now,
    )
    transfer.counterpart = acquisition
    transfer.save(update_fields=["counterpart"])
    TransactionBlock.objects.bulk_create(
        TransactionBlock(
            transaction=acquisition,
            originating_registry=b.originating_registry,
            start=b.start,
            end=b.end,
            vintage=b.vintage,
            identifier=b.identifier,
        )
        for b in transfer.blocks.all()
    )
    entry = entries.Acquisition(
        acquisition.pk, transfer.pk, transfer.registry.registry_id, transfer.from_account.number, transfer.to_account.number, arriving
    )
    append_entry(acquisition.registry, entry, now, transaction_id=acquisition.pk)


def lock_pending(transaction: Transaction, expected: Status | None, action: str) -> tuple[Transaction, list[UnitBlock]]:
    if transaction.from_account is None or transaction.to_account is None:
        # Issuances and authorisations complete when they are recorded: they are never pending.
        raise CheckFailed(Check.TRANSACTION_NOT_PENDING, transaction=transaction.pk, status=transaction.status, action=action)
    lock_accounts([transaction.from_account, transaction.to_account])
    tx = _locked_transaction(transaction.pk)
    if (expected is not None and tx.status != expected) or Status(tx.status) not in PENDING:
        raise CheckFailed(Check.TRANSACTION_NOT_PENDING, transaction=tx.pk, status=tx.status, action=action)
    if tx.status == TransactionStatus.PROPOSED and expected != Status.PROPOSED:
        # The peer may already hold the units: only its answer ends the transaction now.
        assert tx.to_account is not None
        raise CheckFailed(Check.PEER_TRANSFER_PENDING, transaction=tx.pk, registry=peer_registry_of(tx.to_account))
    moving = [rows.build(UnitBlock, row) for row in rows.fetch(_reserved_blocks(), [tx.pk], locking=True)]
    return tx, moving


def _locked_transaction(pk: int) -> Transaction:
    """Transaction ``pk`` with its registry and accounts, its row locked (NO KEY UPDATE, only its own)."""
    found = rows.fetch(_transaction_with_accounts(), [pk], locking=True)
    if not found:
        raise Transaction.DoesNotExist(f"transaction {pk}")
    row = found[0]
    tx = rows.build(Transaction, row)
    at = rows.width(Transaction)
    rows.relate(tx, "registry", rows.build(Registry, row, at))
    at += rows.width(Registry)
    for name in ("from_account", "to_account"):
        rows.relate(tx, name, rows.build(Account, row, at) if row[at] is not None else None)
        at += rows.width(Account)
    return tx


@rows.statement
def _transaction_with_accounts() -> str:
    # The two accounts are the same table twice: each joined under an alias of its own.
    transaction, registry, account = rows.table(Transaction), rows.table(Registry), rows.table(Account)
    sender, receiver = (rows.columns(Account).replace(f"{account}.", f"{alias}.") for alias in ('"sender"', '"receiver"'))
    return (
        f"SELECT {rows.columns(Transaction)}, {rows.columns(Registry)}, {sender}, {receiver} FROM {transaction}"
        f" INNER JOIN {registry} ON ({rows.column(Transaction, 'registry_id')} = {rows.column(Registry, 'id')})"
        f' LEFT OUTER JOIN {account} "sender" ON ({rows.column(Transaction, "from_account_id")} = "sender"."id")'
        f' LEFT OUTER JOIN {account} "receiver" ON ({rows.column(Transaction, "to_account_id")} = "receiver"."id")'
        f" WHERE {rows.column(Transaction, 'id')} = %s{rows.lock_rows(Transaction)}"
    )


@rows.statement
def _reserved_blocks() -> str:
    block = rows.column(UnitBlock, "id")
    return (
        f"SELECT {rows.columns(UnitBlock)} FROM {rows.table(UnitBlock)} WHERE {rows.column(UnitBlock, 'reserved_by_id')} = %s"
        f" ORDER BY {block} ASC{rows.lock_rows(UnitBlock)}"
    )


def end_pending(tx: Transaction, moving: list[UnitBlock], status: TransactionStatus, actor: Actor, reason: str) -> Transaction:
    UnitBlock.objects.filter(reserved_by=tx).update(reserved_by=None)
    for pk in [block.pk for block in moving]:
        released = UnitBlock.objects.filter(pk=pk).first()  # an earlier merge may have absorbed it
        if released is not None:
            blocks.merge_with_neighbours(released)
    tx.status = status
    tx.decided_by = person(actor)
    tx.reason = reason
    tx.save(update_fields=["status", "decided_by", "reason"])
    events.ended(tx, person(actor))
    return tx


def refuse_when_due(tx: Transaction, moving: list[UnitBlock], failure: CheckFailed) -> Transaction:
    """A delayed transaction that fails a check when its time comes ends ``rejected`` with the
    check's code; its units are free again and both sides are told."""
    UnitBlock.objects.filter(reserved_by=tx).update(reserved_by=None)
    for pk in [block.pk for block in moving]:
        released = UnitBlock.objects.filter(pk=pk).first()
        if released is not None:
            blocks.merge_with_neighbours(released)
    tx.status = TransactionStatus.REJECTED
    tx.check_code = failure.code
    tx.check_message = failure.message
    tx.check_params = kept_params(failure)
    tx.save(update_fields=["status", "check_code", "check_message", "check_params"])
    events.refused_when_due(tx)
    return tx


def person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def check_quantity(quantity: object) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise CheckFailed(Check.QUANTITY_NOT_POSITIVE, quantity=quantity)


def check_ranges(ranges: Sequence[RequestedRange]) -> None:
    if not ranges:
        raise CheckFailed(Check.QUANTITY_AND_RANGES)
    by_registry: dict[str, list[SerialRange]] = {}
    for originating_registry, serials in ranges:
        by_registry.setdefault(originating_registry, []).append(serials)
    for group in by_registry.values():
        validate_requested_ranges(group)


def check_transferring(account: Account) -> None:
    if account.type in FINAL_TYPES:
        raise CheckFailed(Check.UNITS_FINAL, account=account.number)
    if account.status == AccountStatus.BLOCKED:
        raise CheckFailed(Check.TRANSFERRING_ACCOUNT_BLOCKED, account=account.number)
    if account.status == AccountStatus.CLOSED:
        raise CheckFailed(Check.TRANSFERRING_ACCOUNT_CLOSED, account=account.number)


def check_acquiring(account: Account) -> None:
    if account.status == AccountStatus.BLOCKED:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_BLOCKED, account=account.number)
    if account.status == AccountStatus.CLOSED:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_CLOSED, account=account.number)


def ensure_can_initiate(actor: Actor, account: Account) -> None:
    """Administrators of the registry, and representatives with the right to initiate."""
    if not permissions.can_initiate(actor, account):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=account.number)


def ensure_can_approve(actor: Actor, account: Account) -> None:
    """Administrators of the registry, and representatives with the right to approve."""
    if not permissions.can_approve(actor, account):
        raise CheckFailed(Check.NOT_ALLOWED_TO_APPROVE, actor=actor, account=account.number)
