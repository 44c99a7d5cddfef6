"""The ledger's use cases: issue, transfer, retire, cancel, correct, and the life of a pending transaction.

Each public function is one database transaction. It locks the accounts involved (in id order),
then the blocks it moves, then the registry row (serial counter and journal head), checks every
rule before it writes, and journals what it completed. A failed check raises ``CheckFailed``,
rolls everything back and leaves a ``rejected`` transaction that records the code and message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction as db
from django.utils import timezone

from registry.access.services import is_trusted
from registry.accounts.models import Account, AccountType
from registry.accounts.services import destination_account, lock_accounts, system_account
from registry.article6 import rules
from registry.article6.models import Authorization, FirstTransferDefinition
from registry.core import entries
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.core.status import Status
from registry.journal.services import append_entry, lock_registry
from registry.parties.models import CooperativeApproach, Entity, Party, Project, UnitType, UsePurpose
from registry.parties.services import Actor, ensure_administrator, get_entity, is_administrator, login
from registry.transactions import article6_services, blocks, engine, events, purposes
from registry.transactions.blocks import RequestedRange, UnitChoice
from registry.transactions.models import CancellationKind, Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock

EARLIEST_VINTAGE = 2000
CANCELLATION_ACCOUNTS = {
    CancellationKind.MANDATORY: AccountType.MANDATORY_CANCELLATION,
    CancellationKind.VOLUNTARY: AccountType.VOLUNTARY_CANCELLATION,
    CancellationKind.OMGE: AccountType.OMGE_CANCELLATION,
}


# Issuance ---------------------------------------------------------------------------------------


@engine.records_refusals(TransactionType.ISSUANCE)
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
    engine.check_quantity(quantity)
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
    engine.check_acquiring(account)
    if account.type not in (AccountType.PARTY_HOLDING, AccountType.ENTITY_HOLDING, AccountType.ISSUANCE):
        raise CheckFailed(Check.ISSUANCE_TARGET_INVALID, account=account.number, account_type=account.get_type_display())
    approach = cooperative_approach or project.cooperative_approach
    if authorization is not None:
        first_transferring_party = first_transferring_party or registry.party
        rules.check_authorizable(authorization, registry, project, approach)
        rules.check_within_timeframe(authorization, [(f"{project.identifier} vintage {vintage}", vintage)])
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
        proposed_by=engine.person(actor),
        decided_by=engine.person(actor),
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
    entry = entries.Issuance(issuance.pk, login(actor), account.number, (blocks.as_journal_block(block),))
    append_entry(registry, entry, now, transaction_id=issuance.pk)
    events.issued(issuance)
    if authorization is not None and authorization.first_transfer_definition == FirstTransferDefinition.ISSUANCE:
        article6_services.record_first_transfer(issuance, [block], now)
    return issuance


# Movements --------------------------------------------------------------------------------------


@engine.records_refusals(TransactionType.INTERNAL_TRANSFER)
def transfer_units(
    *,
    actor: Actor,
    from_account: Account,
    to_account: Account,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    require_approval: bool = False,
    execute_after: datetime | None = None,
    choice: UnitChoice | None = None,
) -> Transaction:
    """Move units between two accounts of one registry, by quantity (of the unit type ``choice``
    names, if any) or by serial ranges.

    With ``require_approval`` the units are reserved and the transaction waits for a second person
    (``approve_transaction``); with ``execute_after`` it then waits until that time.
    """
    return engine.move(
        actor=actor,
        kind=TransactionType.INTERNAL_TRANSFER,
        from_account=from_account,
        to_account=to_account,
        quantity=quantity,
        ranges=ranges,
        require_approval=require_approval,
        execute_after=execute_after,
        choice=choice,
    )


@engine.records_refusals(TransactionType.RETIREMENT)
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
    purpose_code: str = "",
    aim: str = "",
    credit_user: str = "",
    use_country: str = "",
    choice: UnitChoice | None = None,
) -> Transaction:
    """Retire units into the registry's retirement account, for good (a J-Credit nullification).

    ``towards_ndc``: the units count towards the NDC of ``using_party`` (by default, and only ever,
    the registry's own Party; 6004 otherwise) for ``ndc_year`` (default: the year of completion).
    Units of a project another Party hosts must be authorised for NDC use and first transferred
    (6001, 6007); their use is the using Party's corresponding adjustment. A retirement not towards
    an NDC (voluntary offsetting, by anyone, anywhere) never adjusts anything.

    ``purpose_code`` names a purpose of use of the units' programme (``UsePurpose``), which then
    decides ``towards_ndc`` and is checked with the country of use ``use_country`` (6015, 6016)
    and the units' types (6017); ``aim`` is the detailed aim, ``credit_user`` the user's name.
    """
    registry = account.registry
    purpose_of_use = purposes.purpose_for(purpose_code)
    use_country = use_country.strip().upper()
    if purpose_of_use is not None:
        purposes.check_declared(purpose_of_use, registry, use_country, retirement=True)
        towards_ndc = purpose_of_use.towards_ndc
        # A use towards no NDC is nobody's (a Singapore company's voluntary offset is not Japan's).
        using_party = using_party or purposes.using_party_for(use_country or registry.party.alpha2)
    else:
        using_party = using_party or registry.party
    if towards_ndc and using_party != registry.party:
        raise CheckFailed(
            Check.NDC_USE_OF_ANOTHER_PARTY,
            registry=registry.registry_id,
            party=registry.party.alpha2,
            using_party=using_party.alpha2 if using_party else use_country,
        )
    retirement = system_account(registry, AccountType.RETIREMENT)
    if retirement is None:
        raise CheckFailed(Check.RETIREMENT_ACCOUNT_MISSING, registry=registry.registry_id)
    return engine.move(
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
            **_declared_use(purpose_of_use, aim, credit_user, use_country, using_entity),
        },
        choice=choice,
        eligible=rules.eligible_for_use(towards_ndc=towards_ndc, using_party=using_party),
    )


@engine.records_refusals(TransactionType.CANCELLATION)
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
    purpose_code: str = "",
    aim: str = "",
    credit_user: str = "",
    use_country: str = "",
    choice: UnitChoice | None = None,
    purpose: str = "",
) -> Transaction:
    """Cancel units for good: mandatory (administrators only), voluntary or OMGE into the matching cancellation account,
    or ``oimp`` (use for other international mitigation purposes, e.g. CORSIA) into the use account
    for ``oimp_purpose``; the latter needs units authorised for OIMP (6002).

    ``purpose_code``, ``aim``, ``credit_user`` and ``use_country`` declare the use as for a
    retirement; a cancellation never counts towards an NDC (5303). ``purpose`` is free text (an
    imported cancellation's)."""
    try:
        kind = CancellationKind(kind)
    except ValueError:
        raise CheckFailed(Check.CANCELLATION_KIND_UNKNOWN, kind=kind, kinds=", ".join(CancellationKind.values)) from None
    registry = account.registry
    purpose_of_use = purposes.purpose_for(purpose_code)
    use_country = use_country.strip().upper()
    if purpose_of_use is not None:
        purposes.check_declared(purpose_of_use, registry, use_country, retirement=False)
    if kind == CancellationKind.MANDATORY:
        ensure_administrator(actor, registry)  # a Party's obligation (e.g. share of proceeds), not a holder's choice
    if kind == CancellationKind.OIMP:
        if not oimp_purpose.strip():
            raise CheckFailed(Check.VALUE_INVALID, field="OIMP purpose", detail="name the purpose, e.g. CORSIA")
        target = Account.objects.filter(registry=registry, type=AccountType.USE, purpose=oimp_purpose.strip()).first()
        if target is None:
            raise CheckFailed(Check.USE_ACCOUNT_MISSING, registry=registry.registry_id, purpose=oimp_purpose)
        oimp_purpose = target.purpose
    else:
        account_type = CANCELLATION_ACCOUNTS[kind]
        found = system_account(registry, account_type)
        if found is None:
            raise CheckFailed(Check.CANCELLATION_ACCOUNT_MISSING, registry=registry.registry_id, account_type=account_type.label)
        target, oimp_purpose = found, ""
    return engine.move(
        actor=actor,
        kind=TransactionType.CANCELLATION,
        from_account=account,
        to_account=target,
        quantity=quantity,
        ranges=ranges,
        purpose=purpose,
        require_approval=require_approval,
        use={
            "using_entity": using_entity,
            "cancellation_kind": kind.value,
            "oimp_purpose": oimp_purpose,
            **_declared_use(purpose_of_use, aim, credit_user, use_country, using_entity),
        },
        choice=choice,
        eligible=rules.eligible_for_use(oimp=kind == CancellationKind.OIMP),
    )


def _declared_use(purpose: UsePurpose | None, aim: str, credit_user: str, country: str, using_entity: Entity | None) -> dict[str, Any]:
    if len(aim) > 2000:
        raise CheckFailed(Check.VALUE_INVALID, field="Detailed aim", detail="at most 2000 characters")
    if len(credit_user) > 300:
        raise CheckFailed(Check.VALUE_INVALID, field="Credit user", detail="at most 300 characters")
    if country and not (len(country) == 2 and country.isalpha()):
        raise CheckFailed(Check.VALUE_INVALID, field="Country of use", detail=f"{country!r} is not an ISO 3166 alpha-2 code")
    return {
        "use_purpose": purpose,
        "aim": aim.strip(),
        "credit_user": credit_user.strip() or (using_entity.name if using_entity else ""),
        "use_country": country,
    }


@engine.records_refusals(TransactionType.EXTERNAL_TRANSFER)
def transfer_externally(
    *,
    actor: Actor,
    from_account: Account,
    to_account: Account,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    require_approval: bool = False,
    execute_after: datetime | None = None,
    choice: UnitChoice | None = None,
) -> Transaction:
    """Transfer authorised units to an account of another registry: of this installation, or of a
    peer installation (an account of type ``peer``: the transfer is then proposed to the peer when
    approved, and completes when the peer accepts; docs/interoperability.md).

    Both registries keep their own books: an ``external_transfer`` in the sender's journal, an
    ``acquisition`` in the receiver's, serials and unique identifiers unchanged. Units authorised
    with first transfer at the first international transfer are first transferred now.
    """
    return engine.move(
        actor=actor,
        kind=TransactionType.EXTERNAL_TRANSFER,
        from_account=from_account,
        to_account=to_account,
        quantity=quantity,
        ranges=ranges,
        require_approval=require_approval,
        execute_after=execute_after,
        choice=choice,
        eligible=rules.eligible_for_use(international=True),
    )


def propose_movement(
    *,
    actor: Actor,
    kind: TransactionType | str,
    from_account: Account,
    to_account_number: str | None = None,
    to_account: Account | None = None,
    quantity: int | None = None,
    ranges: Sequence[RequestedRange] | None = None,
    purpose: str = "",
    cancellation_kind: CancellationKind | str = CancellationKind.VOLUNTARY,
    choice: UnitChoice | None = None,
    purpose_code: str = "",
    aim: str = "",
    credit_user: str = "",
    use_country: str = "",
    using_entity: str = "",
) -> Transaction:
    """A transfer (internal or external), retirement or cancellation as the web, the API and the
    CLI offer it, naming the acquiring account by its number and the using entity of a use or
    cancellation by its identification number or name (its ``credit_user`` name by default).

    Whether ``actor`` may initiate on ``from_account`` is checked first: somebody without the right
    learns nothing about the acquiring account (not even whether it exists).

    ``to_account``: the account ``destination_account`` finds for ``to_account_number``, if the
    caller read it already (the API reads it with the sending account, in one statement); it is
    looked up here otherwise.
    """
    engine.ensure_can_initiate(actor, from_account)
    amount: dict[str, Any] = {"quantity": quantity, "ranges": ranges, "choice": choice}
    use: dict[str, Any] = {"purpose_code": purpose_code, "aim": aim, "credit_user": credit_user, "use_country": use_country}
    if using_entity.strip():
        if kind not in (TransactionType.RETIREMENT, TransactionType.CANCELLATION):
            raise CheckFailed(Check.VALUE_INVALID, field="Using entity", detail="only a use or cancellation names its using entity")
        amount["using_entity"] = get_entity(from_account.registry, using_entity)
    if kind in (TransactionType.INTERNAL_TRANSFER, TransactionType.EXTERNAL_TRANSFER):
        number = (to_account_number or "").strip()
        target = (
            to_account if to_account is not None and to_account.number == number else destination_account(from_account.registry, number)
        )
        if target is None:
            raise CheckFailed(Check.ACQUIRING_ACCOUNT_UNKNOWN, account=number, registry=from_account.registry.registry_id)
        move = transfer_units if kind == TransactionType.INTERNAL_TRANSFER else transfer_externally
        return move(actor=actor, from_account=from_account, to_account=target, **amount)
    if kind == TransactionType.RETIREMENT:
        return retire_units(actor=actor, account=from_account, purpose=purpose, **amount, **use)
    if kind == TransactionType.CANCELLATION:
        return cancel_units(actor=actor, account=from_account, kind=cancellation_kind, **amount, **use)
    raise CheckFailed(Check.VALUE_INVALID, field="Transaction type", detail=f"{kind} is not a movement an account holder proposes")


@engine.records_refusals(TransactionType.CORRECTION)
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
        return engine.move(
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


# Pending transactions ---------------------------------------------------------------------------


@db.atomic
def approve_transaction(*, actor: Actor, transaction: Transaction, at: datetime | None = None) -> Transaction:
    """A second person approves a transaction awaiting approval.

    It completes at once, or waits: until its own ``execute_after``, or, for a transfer to an
    account that is not (yet) on the sender's trusted list, for the configured delay, during which
    it can still be cancelled.
    """
    tx, moving = engine.lock_pending(transaction, Status.AWAITING_APPROVAL, "approved")
    if tx.proposed_by_id is not None and tx.proposed_by_id == actor.pk:
        raise CheckFailed(Check.APPROVER_IS_PROPOSER, transaction=tx.pk)
    assert tx.from_account is not None and tx.to_account is not None
    engine.ensure_can_approve(actor, tx.from_account)
    engine.check_transferring(tx.from_account)
    engine.check_acquiring(tx.to_account)
    article6_services.check_movement(tx, moving)
    now = at or timezone.now()
    tx.decided_by = engine.person(actor)
    is_transfer = tx.type in (TransactionType.INTERNAL_TRANSFER, TransactionType.EXTERNAL_TRANSFER)
    if is_transfer and tx.execute_after is None and not is_trusted(tx.from_account, tx.to_account, now):
        tx.execute_after = now + timedelta(hours=settings.REGISTRY_UNTRUSTED_DELAY_HOURS)
    if tx.execute_after is not None and tx.execute_after > now:
        tx.status = TransactionStatus.DELAYED
        tx.save(update_fields=["status", "decided_by", "execute_after"])
        events.approved(tx, tx.execute_after)
        return tx
    tx.save(update_fields=["decided_by"])
    events.approved(tx, None)
    engine.complete(tx, moving, now)
    return tx


@db.atomic
def reject_transaction(*, actor: Actor, transaction: Transaction, reason: str) -> Transaction:
    """The approver refuses a transaction awaiting approval; its units are free again."""
    tx, moving = engine.lock_pending(transaction, Status.AWAITING_APPROVAL, "rejected")
    assert tx.from_account is not None
    engine.ensure_can_approve(actor, tx.from_account)
    if not reason.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    return engine.end_pending(tx, moving, TransactionStatus.REJECTED, actor, reason.strip())


@db.atomic
def cancel_transaction(*, actor: Actor, transaction: Transaction) -> Transaction:
    """The proposer (or an administrator) withdraws a pending transaction before it completes."""
    tx, moving = engine.lock_pending(transaction, None, "cancelled")
    if not (tx.proposed_by_id == actor.pk or is_administrator(actor, tx.registry)):
        raise CheckFailed(Check.ONLY_PROPOSER_CANCELS, transaction=tx.pk)
    return engine.end_pending(tx, moving, TransactionStatus.CANCELLED, actor, "")


def complete_due_transactions(at: datetime | None = None) -> list[Transaction]:
    """Complete every delayed transaction whose time has come, each in its own database transaction."""
    now = at or timezone.now()
    done = []
    due = Transaction.objects.filter(status=TransactionStatus.DELAYED, execute_after__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        try:
            with db.atomic():
                tx, moving = engine.lock_pending(Transaction.objects.get(pk=pk), Status.DELAYED, "completed")
                assert tx.from_account is not None and tx.to_account is not None
                engine.check_transferring(tx.from_account)
                engine.check_acquiring(tx.to_account)
                article6_services.check_movement(tx, moving)
                engine.complete(tx, moving, now)
                if tx.status == TransactionStatus.COMPLETED:  # not one handed to a peer registry, which completes on its answer
                    done.append(tx)
        except CheckFailed as failure:
            if failure.check == Check.TRANSACTION_NOT_PENDING:
                continue  # cancelled meanwhile: nothing left to do
            # It can no longer complete (an account blocked, a rule failing): it must not wait for
            # ever with its units reserved.
            with db.atomic():
                tx, moving = engine.lock_pending(Transaction.objects.get(pk=pk), Status.DELAYED, "refused")
                engine.refuse_when_due(tx, moving, failure)
    return done


# Checks shared by the use cases -----------------------------------------------------------------
