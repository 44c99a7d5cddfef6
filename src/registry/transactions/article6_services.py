"""The Article 6 side of transactions: which rules each movement obeys, and the first transfers and
corresponding adjustments its completion records (each first transfer a transaction of its own,
journaled in the registry of the first transferring Party).

Called by the movement engine and the issuance inside their database transaction, with the blocks
already cut to size and locked: ``check_movement`` before anything is written, ``record_on_completion``
when a movement completes (first transfers before the units leave, then adjustments for use).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from registry.accounts.models import AccountType
from registry.article6 import rules, services
from registry.article6.models import AdjustmentKind, Authorization, FirstTransferDefinition
from registry.core import entries
from registry.core.checks import Check
from registry.journal.services import append_entry
from registry.parties.models import Party
from registry.parties.services import party_of_iso_code
from registry.transactions import handoff, purposes
from registry.transactions.blocks import record_blocks
from registry.transactions.models import CancellationKind, Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.units.models import UnitBlock


def check_movement(tx: Transaction, moving: Sequence[UnitBlock]) -> None:
    """The Article 6 checks of a proposed movement (run again when a pending one completes), and
    whether its purpose of use accepts the units' types."""
    purposes.check_credit_types(tx, moving)
    if tx.type == TransactionType.RETIREMENT and tx.towards_ndc:
        assert tx.using_party is not None
        rules.check_use_towards_ndc(moving, tx.using_party)
    elif tx.type == TransactionType.CANCELLATION and tx.cancellation_kind == CancellationKind.OIMP:
        rules.check_use_for_oimp(moving)
    elif tx.type == TransactionType.EXTERNAL_TRANSFER:
        rules.check_international_transfer(moving)


def record_on_completion(tx: Transaction, moving: Sequence[UnitBlock], now: datetime) -> tuple[entries.Adjustment, ...] | None:
    """First transfers due now, then the using Party's adjustments for a movement completing (returned, for its journal entry)."""
    if tx.type == TransactionType.EXTERNAL_TRANSFER:
        assert tx.to_account is not None
        moment = FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER
        record_first_transfer(tx, rules.first_transfer_due(moving, moment), now, acquiring_party=acquiring_party(tx), definition=moment)
    elif tx.type == TransactionType.CANCELLATION and tx.cancellation_kind == CancellationKind.OIMP:
        moment = FirstTransferDefinition.USE_OR_CANCELLATION
        record_first_transfer(tx, rules.first_transfer_due(moving, moment), now, definition=moment)
        tell_authorizing_registries(tx, rules.first_transfer_abroad_due(moving), now)
    elif tx.type == TransactionType.RETIREMENT and tx.towards_ndc:
        assert tx.using_party is not None
        hosts = rules.project_hosts(moving)
        foreign = [b for b in moving if rules.is_foreign(b, tx.using_party, hosts)]
        return services.record_adjustments(tx.pk, foreign, tx.using_party, AdjustmentKind.USE, year=tx.ndc_year or now.year)
    return None


def tell_authorizing_registries(tx: Transaction, blocks: Sequence[UnitBlock], now: datetime) -> None:
    """Another Party's ITMOs first transferred by this use: a notice to that Party's registry, which
    records the first transfer (never this one), goes into the outbox in this database transaction."""
    if not blocks:
        return
    answered = [r for _receiver, r in handoff.first_transfer_abroad_due.send(sender=Transaction, transaction=tx, blocks=blocks, now=now)]
    if not any(answered):
        raise RuntimeError(f"no outbox took the first-transfer notice of transaction {tx.pk}")


def acquiring_party(tx: Transaction) -> Party | None:
    """The Party of the registry an external transfer goes to. A peer registry's Party is the one
    whose ISO alpha-3 code begins its registry id (``THA01``: Thailand), as registry ids are made."""
    assert tx.to_account is not None
    if tx.to_account.type == AccountType.PEER:
        return party_of_iso_code(tx.to_account.number[:3])
    return tx.to_account.registry.party


def record_first_transfer(
    trigger: Transaction,
    blocks: Sequence[UnitBlock],
    now: datetime,
    acquiring_party: Party | None = None,
    definition: FirstTransferDefinition | None = None,
) -> None:
    """Record the first transfer of ``blocks`` (whole rows, still with their holder): once and for all.

    One ``first_transfer`` transaction per authorisation, journaled in the registry of the first
    transferring Party, each with its ``FirstTransfer`` rows and that Party's addition for the vintage.
    ``definition`` is the moment this first transfer happens at (default: the one the authorisation names).
    """
    if not blocks:
        return
    already = [b for b in blocks if b.first_transferred]
    if already:
        raise rules.fail(Check.ALREADY_FIRST_TRANSFERRED, already)
    authorizations = Authorization.objects.select_related("registry__party").in_bulk({b.authorization_id for b in blocks})
    by_authorization: dict[int, list[UnitBlock]] = defaultdict(list)
    for block in blocks:
        assert block.authorization_id is not None
        by_authorization[block.authorization_id].append(block)
    for authorization_id, group in by_authorization.items():
        authorization = authorizations[authorization_id]
        party = authorization.registry.party
        tx = Transaction.objects.create(
            registry=authorization.registry,
            type=TransactionType.FIRST_TRANSFER,
            status=TransactionStatus.COMPLETED,
            quantity=sum(b.quantity for b in group),
            authorization=authorization,
            trigger=trigger,
            created_at=now,
            completed_at=now,
        )
        UnitBlock.objects.filter(pk__in=[b.pk for b in group]).update(first_transferred=True)
        for block in group:
            block.first_transferred = True
        record_blocks(tx, group)
        services.record_first_transfer_rows(tx.pk, authorization, acquiring_party, group, now)
        entry = entries.FirstTransferred(
            transaction=tx.pk,
            trigger=trigger.pk,
            trigger_type=trigger.type,
            authorization=authorization.identifier,
            definition=definition or authorization.first_transfer_definition,
            first_transferring_party=party.alpha3,
            acquiring_party=acquiring_party.alpha3 if acquiring_party else None,
            ranges=tuple(entries.HeldSpan(b.originating_registry, b.start, b.end, _holder(b)) for b in group),
            adjustments=services.record_adjustments(tx.pk, group, party, AdjustmentKind.FIRST_TRANSFER, year=None),
        )
        append_entry(authorization.registry, entry, now, transaction_id=tx.pk)


def _holder(block: UnitBlock) -> str:
    return str(block.account.number)


def record_first_transfer_used_abroad(
    authorization: Authorization,
    blocks: Sequence[UnitBlock],
    *,
    used_in: str,
    use: int,
    use_type: str,
    using_account: str,
    identifiers: Sequence[str],
    projects: Sequence[str],
    unit_types: Sequence[str],
    used_at: datetime,
    now: datetime,
) -> Transaction:
    """The first transfer, once and for all, of this Party's ITMOs ``blocks`` (rows not saved: the
    units left for a peer registry) at their use or cancellation in peer registry ``used_in`` (its
    transaction ``use``), dated at the use: a ``first_transfer`` transaction of the authorising
    registry, its ``FirstTransfer`` rows, the Party's addition for each vintage, journaled. The
    caller checked that the units left this registry and were never first transferred."""
    party = authorization.registry.party
    tx = Transaction.objects.create(
        registry=authorization.registry,
        type=TransactionType.FIRST_TRANSFER,
        status=TransactionStatus.COMPLETED,
        quantity=sum(b.quantity for b in blocks),
        authorization=authorization,
        reason=f"used in peer registry {used_in}, its transaction {use}",
        created_at=now,
        completed_at=now,
    )
    TransactionBlock.objects.bulk_create(
        TransactionBlock(
            transaction=tx, originating_registry=b.originating_registry, start=b.start, end=b.end, vintage=b.vintage, identifier=identifier
        )
        for b, identifier in zip(blocks, identifiers, strict=True)
    )
    services.record_first_transfer_rows(tx.pk, authorization, None, blocks, used_at)
    approach = authorization.cooperative_approach.identifier
    entry = entries.FirstTransferred(
        transaction=tx.pk,
        trigger=use,
        trigger_type=use_type,
        authorization=authorization.identifier,
        definition=FirstTransferDefinition.USE_OR_CANCELLATION,
        first_transferring_party=party.alpha3,
        acquiring_party=None,
        ranges=tuple(entries.HeldSpan(b.originating_registry, b.start, b.end, using_account) for b in blocks),
        adjustments=services.record_adjustments(tx.pk, blocks, party, AdjustmentKind.FIRST_TRANSFER, year=None),
        used_in=used_in,
        units=tuple(
            entries.UsedUnits(b.originating_registry, b.start, b.end, unit_type, project, b.vintage, approach)
            for b, unit_type, project in zip(blocks, unit_types, projects, strict=True)
        ),
    )
    append_entry(authorization.registry, entry, now, transaction_id=tx.pk, effective=used_at)
    return tx
