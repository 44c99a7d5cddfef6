"""The ledger's use cases: issue, transfer, retire, cancel, correct, and the life of a pending transaction.

Each public function is one database transaction. It locks the accounts involved (in id order),
then the blocks it moves, then the registry row (serial counter and journal head), checks every
rule before it writes, and journals what it completed. A failed check raises ``CheckFailed``,
rolls everything back and leaves a ``rejected`` transaction that records the code and message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.models import User
from django.db import transaction as db
from django.utils import timezone

from registry.accounts.models import FINAL_TYPES, Account, AccountStatus, AccountType
from registry.accounts.services import lock_accounts, system_account
from registry.article6 import rules
from registry.article6.models import Authorization, FirstTransferDefinition
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange, validate_requested_ranges
from registry.core.status import PENDING, Status
from registry.journal.services import append_entry, lock_registries, lock_registry
from registry.parties.models import CooperativeApproach, Entity, Party, Project, UnitType
from registry.parties.services import Actor, ensure_administrator, is_administrator
from registry.transactions import blocks
from registry.transactions.blocks import RequestedRange
from registry.transactions.models import CancellationKind, Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.units.models import UnitBlock

P = ParamSpec("P")
R = TypeVar("R")

EARLIEST_VINTAGE = 2000
CANCELLATION_ACCOUNTS = {
    CancellationKind.MANDATORY: AccountType.MANDATORY_CANCELLATION,
    CancellationKind.VOLUNTARY: AccountType.VOLUNTARY_CANCELLATION,
    CancellationKind.OMGE: AccountType.OMGE_CANCELLATION,
}


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


def _record_refusal(kind: TransactionType, failure: CheckFailed, request: dict[str, Any]) -> None:
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
    )


# Issuance ---------------------------------------------------------------------------------------


@records_refusals(TransactionType.ISSUANCE)
def issue_units(
    *,
    actor: Actor,
    account: Account,
    project: Project,
    unit_type: UnitType,
    vintage: int,
    quantity: int,
    cooperative_approach: CooperativeApproach | None = None,
    first_transferring_party: Party | None = None,
    authorization: Authorization | None = None,
) -> Transaction:
    """Issue ``quantity`` new units, with the next serials of the registry, into ``account``.

    With ``authorization`` the units are born authorised ITMOs (and first transferred at once if
    the authorisation defines the first transfer at issuance).
    """
    registry = account.registry
    ensure_administrator(actor, registry)
    _check_quantity(quantity)
    now = timezone.now()
    if not (EARLIEST_VINTAGE <= vintage <= now.year):
        raise CheckFailed(Check.VINTAGE_INVALID, vintage=vintage, latest=now.year)
    if project.registry_id != registry.pk:
        raise CheckFailed(Check.PROJECT_UNKNOWN, project=project.identifier, registry=registry.registry_id)
    if unit_type.programme_id != project.programme_id:
        raise CheckFailed(
            Check.ISSUANCE_PROJECT_MISMATCH, project=project.identifier, programme=project.programme.code, unit_type=unit_type.code
        )
    account = lock_accounts([account])[account.pk]
    _check_acquiring(account)
    if account.type not in (AccountType.PARTY_HOLDING, AccountType.ENTITY_HOLDING, AccountType.ISSUANCE):
        raise CheckFailed(Check.ISSUANCE_TARGET_INVALID, account=account.number, account_type=account.get_type_display())
    approach = cooperative_approach or project.cooperative_approach
    if authorization is not None:
        first_transferring_party = first_transferring_party or registry.party
        rules.check_authorizable(authorization, registry, project, approach)
        rules.check_authorized_quantity(authorization, quantity)
    registry = lock_registry(registry)
    serials = SerialRange(registry.next_serial, registry.next_serial + quantity - 1)
    registry.next_serial = serials.end + 1
    registry.save(update_fields=["next_serial"])
    issuance = Transaction.objects.create(
        registry=registry,
        type=TransactionType.ISSUANCE,
        status=TransactionStatus.COMPLETED,
        to_account=account,
        quantity=quantity,
        proposed_by=person(actor),
        decided_by=person(actor),
        created_at=now,
        completed_at=now,
    )
    block = UnitBlock.objects.create(
        account=account,
        originating_registry=registry.registry_id,
        start=serials.start,
        end=serials.end,
        unit_type=unit_type,
        project=project,
        vintage=vintage,
        cooperative_approach=approach,
        first_transferring_party=first_transferring_party,
        issuance=issuance,
        authorization=authorization,
    )
    blocks.record_blocks(issuance, [block])
    body = {
        "transaction": issuance.pk,
        "type": TransactionType.ISSUANCE.value,
        "by": _login(actor),
        "to": account.number,
        "blocks": [blocks.as_journal_block(block)],
    }
    append_entry(registry, "transaction", body, now, transaction_id=issuance.pk)
    if authorization is not None and authorization.first_transfer_definition == FirstTransferDefinition.ISSUANCE:
        rules.record_first_transfer(issuance, [block], now)
    return issuance


# Movements --------------------------------------------------------------------------------------


@records_refusals(TransactionType.INTERNAL_TRANSFER)
def transfer_units(
    *,
    actor: Actor,
    from_account: Account,
    to_account: Account,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    require_approval: bool = False,
    execute_after: datetime | None = None,
) -> Transaction:
    """Move units between two accounts of one registry, by quantity or by serial ranges.

    With ``require_approval`` the units are reserved and the transaction waits for a second person
    (``approve_transaction``); with ``execute_after`` it then waits until that time.
    """
    if to_account.type in FINAL_TYPES:
        raise CheckFailed(Check.TRANSFER_TO_FINAL_ACCOUNT, account=to_account.number, account_type=to_account.get_type_display())
    return _move(
        actor=actor,
        kind=TransactionType.INTERNAL_TRANSFER,
        from_account=from_account,
        to_account=to_account,
        quantity=quantity,
        ranges=ranges,
        require_approval=require_approval,
        execute_after=execute_after,
    )


@records_refusals(TransactionType.RETIREMENT)
def retire_units(
    *,
    actor: Actor,
    account: Account,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    purpose: str = "",
    towards_ndc: bool = True,
    using_party: Party | None = None,
    using_entity: Entity | None = None,
    ndc_year: int | None = None,
    require_approval: bool = False,
) -> Transaction:
    """Retire units into the registry's retirement account, for good.

    ``towards_ndc``: the units count towards the NDC of ``using_party`` (by default, and only ever,
    the registry's own Party; 6004 otherwise) for ``ndc_year`` (default: the year of completion).
    Units of a project another Party hosts must be authorised for NDC use and first transferred
    (6001, 6007); their use is the using Party's corresponding adjustment. A retirement not towards
    an NDC (voluntary offsetting, by anyone, anywhere) never adjusts anything.
    """
    registry = account.registry
    using_party = using_party or registry.party
    if towards_ndc and using_party != registry.party:
        raise CheckFailed(
            Check.NDC_USE_OF_ANOTHER_PARTY, registry=registry.registry_id, party=registry.party.alpha2, using_party=using_party.alpha2
        )
    retirement = system_account(registry, AccountType.RETIREMENT)
    if retirement is None:
        raise CheckFailed(Check.RETIREMENT_ACCOUNT_MISSING, registry=registry.registry_id)
    return _move(
        actor=actor,
        kind=TransactionType.RETIREMENT,
        from_account=account,
        to_account=retirement,
        quantity=quantity,
        ranges=ranges,
        purpose=purpose,
        require_approval=require_approval,
        use={
            "using_party": using_party,
            "using_entity": using_entity,
            "towards_ndc": towards_ndc,
            "ndc_year": ndc_year if towards_ndc else None,
        },
    )


@records_refusals(TransactionType.CANCELLATION)
def cancel_units(
    *,
    actor: Actor,
    account: Account,
    kind: CancellationKind | str,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    oimp_purpose: str = "",
    using_entity: Entity | None = None,
    require_approval: bool = False,
) -> Transaction:
    """Cancel units for good: mandatory, voluntary or OMGE into the matching cancellation account,
    or ``oimp`` (use for other international mitigation purposes, e.g. CORSIA) into the use account
    for ``oimp_purpose``; the latter needs units authorised for OIMP (6002)."""
    try:
        kind = CancellationKind(kind)
    except ValueError:
        raise CheckFailed(Check.CANCELLATION_KIND_UNKNOWN, kind=kind, kinds=", ".join(CancellationKind.values)) from None
    registry = account.registry
    if kind == CancellationKind.OIMP:
        if not oimp_purpose.strip():
            raise CheckFailed(Check.VALUE_INVALID, field="OIMP purpose", detail="name the purpose, e.g. CORSIA")
        target = Account.objects.filter(registry=registry, type=AccountType.USE, purpose=oimp_purpose.strip()).first()
        if target is None:
            raise CheckFailed(Check.USE_ACCOUNT_MISSING, registry=registry.registry_id, purpose=oimp_purpose)
        purpose = f"{kind.value}:{target.purpose}"
    else:
        account_type = CANCELLATION_ACCOUNTS[kind]
        found = system_account(registry, account_type)
        if found is None:
            raise CheckFailed(Check.CANCELLATION_ACCOUNT_MISSING, registry=registry.registry_id, account_type=account_type.label)
        target, purpose = found, kind.value
    return _move(
        actor=actor,
        kind=TransactionType.CANCELLATION,
        from_account=account,
        to_account=target,
        quantity=quantity,
        ranges=ranges,
        purpose=purpose,
        require_approval=require_approval,
        use={"using_entity": using_entity},
    )


@records_refusals(TransactionType.EXTERNAL_TRANSFER)
def transfer_externally(
    *,
    actor: Actor,
    from_account: Account,
    to_account: Account,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    require_approval: bool = False,
    execute_after: datetime | None = None,
) -> Transaction:
    """Transfer authorised units to an account of another registry of this installation.

    Both registries keep their own books: an ``external_transfer`` in the sender's journal, an
    ``acquisition`` in the receiver's, serials and unique identifiers unchanged. Units authorised
    with first transfer at the first international transfer are first transferred now.
    """
    if to_account.type in FINAL_TYPES:
        raise CheckFailed(Check.TRANSFER_TO_FINAL_ACCOUNT, account=to_account.number, account_type=to_account.get_type_display())
    return _move(
        actor=actor,
        kind=TransactionType.EXTERNAL_TRANSFER,
        from_account=from_account,
        to_account=to_account,
        quantity=quantity,
        ranges=ranges,
        require_approval=require_approval,
        execute_after=execute_after,
    )


@records_refusals(TransactionType.CORRECTION)
def correct_transaction(*, actor: Actor, transaction: Transaction, reason: str) -> Transaction:
    """Reverse a completed internal transfer: an administrator moves the same serials back, with a reason.

    Only internal transfers can be corrected: issued units are withdrawn by cancellation, and units
    in a final account never move again. The receiver must still hold every serial, unreserved.
    """
    ensure_administrator(actor, transaction.registry)
    if not reason.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    if transaction.status != TransactionStatus.COMPLETED:
        raise CheckFailed(Check.CORRECTION_NOT_COMPLETED, transaction=transaction.pk, status=transaction.status)
    if transaction.type != TransactionType.INTERNAL_TRANSFER:
        why = (
            "units in a final account never move again"
            if transaction.type in (TransactionType.RETIREMENT, TransactionType.CANCELLATION)
            else "only internal transfers are reversed; cancel wrongly issued units instead"
        )
        raise CheckFailed(Check.CORRECTION_TYPE_NOT_CORRECTABLE, type=transaction.get_type_display(), why=why)
    if (done := Transaction.objects.filter(corrects=transaction).first()) is not None:
        raise CheckFailed(Check.CORRECTION_ALREADY_CORRECTED, transaction=transaction.pk, correction=done.pk)
    assert transaction.from_account is not None and transaction.to_account is not None
    ranges = [(b.originating_registry, SerialRange(b.start, b.end)) for b in transaction.blocks.all()]
    try:
        return _move(
            actor=actor,
            kind=TransactionType.CORRECTION,
            from_account=transaction.to_account,
            to_account=transaction.from_account,
            ranges=ranges,
            reason=reason.strip(),
            corrects=transaction,
        )
    except CheckFailed as failure:
        if failure.check in (Check.UNITS_NOT_HELD, Check.UNITS_RESERVED):
            raise CheckFailed(
                Check.CORRECTION_UNITS_MOVED, blocks=failure.blocks, transaction=transaction.pk, account=transaction.to_account.number
            ) from failure
        raise


def _move(
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
) -> Transaction:
    """The movement engine. ``use`` carries the Article 6 fields of a use (using Party, NDC year...)."""
    registry = from_account.registry
    if kind == TransactionType.EXTERNAL_TRANSFER:
        if to_account.registry_id == registry.pk:
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
        _check_quantity(quantity)
    if ranges is not None:
        check_ranges(ranges)
    if kind == TransactionType.CORRECTION:
        ensure_administrator(actor, registry)
    else:
        _ensure_can_initiate(actor, from_account)
    locked = lock_accounts([from_account, to_account])
    from_account, to_account = locked[from_account.pk], locked[to_account.pk]
    if from_account.pk == to_account.pk:
        raise CheckFailed(Check.TRANSFER_SAME_ACCOUNT, account=from_account.number)
    _check_transferring(from_account)
    _check_acquiring(to_account)
    if ranges is not None:
        pieces = blocks.pick_by_ranges(from_account, ranges)
    else:
        assert quantity is not None
        pieces = blocks.pick_by_quantity(from_account, quantity)
    now = timezone.now()
    moving = blocks.carve(pieces)
    pending = require_approval or execute_after is not None
    tx = Transaction.objects.create(
        registry=registry,
        type=kind,
        status=TransactionStatus.AWAITING_APPROVAL
        if require_approval
        else TransactionStatus.DELAYED
        if pending
        else TransactionStatus.PROPOSED,
        from_account=from_account,
        to_account=to_account,
        quantity=sum(b.quantity for b in moving),
        purpose=purpose,
        reason=reason,
        corrects=corrects,
        proposed_by=person(actor),
        created_at=now,
        execute_after=execute_after,
        **(use or {}),
    )
    rules.check_movement(tx, moving)
    blocks.record_blocks(tx, moving)
    if not pending:
        _complete(tx, moving, now)
        return tx
    blocks.reserve(moving, tx)
    return tx


def _complete(tx: Transaction, moving: Sequence[UnitBlock], now: datetime) -> None:
    """Record what completion triggers (first transfers, adjustments), move the units, journal it."""
    assert tx.from_account is not None and tx.to_account is not None
    if tx.type == TransactionType.EXTERNAL_TRANSFER:
        lock_registries([tx.from_account.registry, tx.to_account.registry])
    rules.record_on_completion(tx, moving, now)
    arriving = [blocks.as_journal_block(b) for b in moving]
    blocks.hand_over(moving, tx.to_account)
    tx.status = TransactionStatus.COMPLETED
    tx.completed_at = now
    tx.save(update_fields=["status", "completed_at"])
    body: dict[str, object] = {
        "transaction": tx.pk,
        "type": tx.type,
        "proposed_by": tx.proposed_by.get_username() if tx.proposed_by else None,
        "approved_by": tx.decided_by.get_username() if tx.decided_by else None,
        "from": tx.from_account.number,
        "to": tx.to_account.number,
        "ranges": [[b.originating_registry, b.start, b.end] for b in tx.blocks.all()],
    }
    for name in ("purpose", "reason"):
        if value := getattr(tx, name):
            body[name] = value
    if tx.corrects_id:
        body["corrects"] = tx.corrects_id
    if tx.type == TransactionType.RETIREMENT:
        body |= {"using_party": tx.using_party.alpha3 if tx.using_party else None, "towards_ndc": tx.towards_ndc, "ndc_year": tx.ndc_year}
    if tx.using_entity_id:
        body["using_entity"] = tx.using_entity_id
    if tx.type == TransactionType.EXTERNAL_TRANSFER:
        body["to_registry"] = tx.to_account.registry.registry_id
        _record_acquisition(tx, arriving, now)
    append_entry(tx.registry, "transaction", body, now, transaction_id=tx.pk)


def _record_acquisition(transfer: Transaction, arriving: list[dict[str, Any]], now: datetime) -> None:
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
    body = {
        "transaction": acquisition.pk,
        "type": TransactionType.ACQUISITION.value,
        "counterpart": transfer.pk,
        "from_registry": transfer.registry.registry_id,
        "from": transfer.from_account.number,
        "to": transfer.to_account.number,
        "blocks": arriving,
    }
    append_entry(acquisition.registry, "transaction", body, now, transaction_id=acquisition.pk)


# Pending transactions ---------------------------------------------------------------------------


@db.atomic
def approve_transaction(*, actor: Actor, transaction: Transaction, at: datetime | None = None) -> Transaction:
    """A second person approves a transaction awaiting approval: it completes, or waits if delayed."""
    tx, moving = _lock_pending(transaction, Status.AWAITING_APPROVAL, "approved")
    if tx.proposed_by_id is not None and tx.proposed_by_id == actor.pk:
        raise CheckFailed(Check.APPROVER_IS_PROPOSER, transaction=tx.pk)
    assert tx.from_account is not None and tx.to_account is not None
    _ensure_can_initiate(actor, tx.from_account)
    _check_transferring(tx.from_account)
    _check_acquiring(tx.to_account)
    now = at or timezone.now()
    tx.decided_by = person(actor)
    if tx.execute_after is not None and tx.execute_after > now:
        tx.status = TransactionStatus.DELAYED
        tx.save(update_fields=["status", "decided_by"])
        return tx
    tx.save(update_fields=["decided_by"])
    rules.check_movement(tx, moving)
    _complete(tx, moving, now)
    return tx


@db.atomic
def reject_transaction(*, actor: Actor, transaction: Transaction, reason: str) -> Transaction:
    """The approver refuses a transaction awaiting approval; its units are free again."""
    tx, moving = _lock_pending(transaction, Status.AWAITING_APPROVAL, "rejected")
    assert tx.from_account is not None
    _ensure_can_initiate(actor, tx.from_account)
    if not reason.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    return _end_pending(tx, moving, TransactionStatus.REJECTED, actor, reason.strip())


@db.atomic
def cancel_transaction(*, actor: Actor, transaction: Transaction) -> Transaction:
    """The proposer (or an administrator) withdraws a pending transaction before it completes."""
    tx, moving = _lock_pending(transaction, None, "cancelled")
    if not (tx.proposed_by_id == actor.pk or is_administrator(actor, tx.registry)):
        raise CheckFailed(Check.ONLY_PROPOSER_CANCELS, transaction=tx.pk)
    return _end_pending(tx, moving, TransactionStatus.CANCELLED, actor, "")


def complete_due_transactions(at: datetime | None = None) -> list[Transaction]:
    """Complete every delayed transaction whose time has come, each in its own database transaction."""
    now = at or timezone.now()
    done = []
    due = Transaction.objects.filter(status=TransactionStatus.DELAYED, execute_after__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        try:
            with db.atomic():
                tx, moving = _lock_pending(Transaction.objects.get(pk=pk), Status.DELAYED, "completed")
                assert tx.from_account is not None and tx.to_account is not None
                _check_transferring(tx.from_account)
                _check_acquiring(tx.to_account)
                rules.check_movement(tx, moving)
                _complete(tx, moving, now)
                done.append(tx)
        except CheckFailed:
            # Cancelled meanwhile, or an account was blocked: it stays as it is, the rest go on.
            continue
    return done


def _lock_pending(transaction: Transaction, expected: Status | None, action: str) -> tuple[Transaction, list[UnitBlock]]:
    assert transaction.from_account is not None and transaction.to_account is not None
    lock_accounts([transaction.from_account, transaction.to_account])
    tx = (
        Transaction.objects.select_for_update(no_key=True, of=("self",))
        .select_related("registry", "from_account", "to_account")
        .get(pk=transaction.pk)
    )
    if (expected is not None and tx.status != expected) or Status(tx.status) not in PENDING:
        raise CheckFailed(Check.TRANSACTION_NOT_PENDING, transaction=tx.pk, status=tx.status, action=action)
    moving = list(UnitBlock.objects.select_for_update(no_key=True).filter(reserved_by=tx).order_by("pk"))
    return tx, moving


def _end_pending(tx: Transaction, moving: list[UnitBlock], status: TransactionStatus, actor: Actor, reason: str) -> Transaction:
    UnitBlock.objects.filter(reserved_by=tx).update(reserved_by=None)
    for pk in [block.pk for block in moving]:
        released = UnitBlock.objects.filter(pk=pk).first()  # an earlier merge may have absorbed it
        if released is not None:
            blocks.merge_with_neighbours(released)
    tx.status = status
    tx.decided_by = person(actor)
    tx.reason = reason
    tx.save(update_fields=["status", "decided_by", "reason"])
    return tx


# Checks shared by the use cases -----------------------------------------------------------------


def _login(actor: Actor) -> str | None:
    return actor.get_username() if isinstance(actor, User) else None


def person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _check_quantity(quantity: object) -> None:
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


def _check_transferring(account: Account) -> None:
    if account.type in FINAL_TYPES:
        raise CheckFailed(Check.UNITS_FINAL, account=account.number)
    if account.status == AccountStatus.BLOCKED:
        raise CheckFailed(Check.TRANSFERRING_ACCOUNT_BLOCKED, account=account.number)
    if account.status == AccountStatus.CLOSED:
        raise CheckFailed(Check.TRANSFERRING_ACCOUNT_CLOSED, account=account.number)


def _check_acquiring(account: Account) -> None:
    if account.status == AccountStatus.BLOCKED:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_BLOCKED, account=account.number)
    if account.status == AccountStatus.CLOSED:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_CLOSED, account=account.number)


def _ensure_can_initiate(actor: Actor, account: Account) -> None:
    """Who may move units out of ``account``: for now the registry's administrators.

    Account representatives (initiate / approve rights) join this rule with the web issue.
    """
    if not is_administrator(actor, account.registry):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=account.number)
