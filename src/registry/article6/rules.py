"""The Article 6.2 rules every movement obeys, and what its completion records.

Called by the transaction services inside their database transaction, with the blocks being moved
already cut to size and locked: ``check_movement`` before anything is written, ``record_on_completion``
when the movement completes (first transfers before the units leave, then adjustments for use).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import F, Sum

from registry.article6.models import (
    AdjustmentKind,
    Authorization,
    CorrespondingAdjustment,
    FirstTransfer,
    FirstTransferDefinition,
    Purpose,
)
from registry.core.checks import Check, CheckFailed
from registry.journal.services import append_entry
from registry.parties.models import CooperativeApproach, Party, Project, Registry
from registry.transactions import purposes
from registry.transactions.blocks import record_blocks
from registry.transactions.models import CancellationKind, Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock


def describe(blocks: Iterable[UnitBlock]) -> list[str]:
    return [f"{b.originating_registry}:{b.start}-{b.end}" for b in blocks]


def _fail(check: Check, offending: Sequence[UnitBlock], **params: object) -> CheckFailed:
    ranges = describe(offending)
    return CheckFailed(check, blocks=ranges, ranges=", ".join(ranges), **params)


def _hosts(blocks: Iterable[UnitBlock]) -> dict[int, int]:
    """Project id -> host Party id, in one query."""
    ids = {b.project_id for b in blocks}
    return dict(Project.objects.filter(pk__in=ids).values_list("pk", "host_party_id"))


def _authorizations(blocks: Iterable[UnitBlock]) -> dict[int, Authorization]:
    ids = {b.authorization_id for b in blocks if b.authorization_id is not None}
    return Authorization.objects.select_related("registry__party").in_bulk(ids)


def is_foreign(block: UnitBlock, party: Party, hosts: dict[int, int]) -> bool:
    """Units of a project another Party hosts: using them towards an NDC needs Article 6."""
    return hosts[block.project_id] != party.pk


def check_authorizable(
    authorization: Authorization, registry: Registry, project: Project, approach: CooperativeApproach | None, ranges: str = ""
) -> None:
    """Whether units of ``project`` may be authorised under ``authorization`` (60xx)."""
    if authorization.registry_id != registry.pk:
        raise CheckFailed(Check.AUTHORIZATION_UNKNOWN, authorization=authorization.identifier, registry=registry.registry_id)
    if not project.programme.international:
        raise CheckFailed(Check.PROGRAMME_NOT_INTERNATIONAL, programme=project.programme.code, registry=registry.registry_id)
    if project.host_party_id != registry.party_id:
        raise CheckFailed(
            Check.AUTHORIZATION_OTHER_PARTY, registry=registry.registry_id, party=registry.party.alpha2, ranges=ranges or project.identifier
        )
    if approach is not None and approach.pk != authorization.cooperative_approach_id:
        raise CheckFailed(
            Check.AUTHORIZATION_APPROACH_MISMATCH,
            ranges=ranges or project.identifier,
            approach=approach.identifier,
            authorization_approach=authorization.cooperative_approach.identifier,
        )


def check_authorized_quantity(authorization: Authorization, quantity: int) -> None:
    """The authorisation's quantity, if it names one, is never exceeded (6009)."""
    if authorization.authorized_quantity is None:
        return
    already = authorized_so_far(authorization)
    if already + quantity > authorization.authorized_quantity:
        raise CheckFailed(
            Check.AUTHORIZED_QUANTITY_EXCEEDED,
            authorization=authorization.identifier,
            allowed=authorization.authorized_quantity,
            already=already,
            quantity=quantity,
        )


def authorized_so_far(authorization: Authorization) -> int:
    total = UnitBlock.objects.filter(authorization=authorization).aggregate(n=Sum(F("end") - F("start") + 1))["n"]
    return int(total or 0)


def check_use_towards_ndc(moving: Sequence[UnitBlock], using_party: Party) -> None:
    """Foreign units count towards an NDC only if authorised for it and first transferred (6001, 6007)."""
    hosts = _hosts(moving)
    authorizations = _authorizations(moving)
    foreign = [b for b in moving if is_foreign(b, using_party, hosts)]
    unauthorized = [b for b in foreign if b.authorization_id is None or not Purpose.covers_ndc(authorizations[b.authorization_id].purposes)]
    if unauthorized:
        raise _fail(Check.NOT_AUTHORIZED_FOR_NDC, unauthorized)
    not_transferred = [b for b in foreign if not b.first_transferred]
    if not_transferred:
        raise _fail(Check.NOT_FIRST_TRANSFERRED, not_transferred, party=using_party.alpha2)


def check_use_for_oimp(moving: Sequence[UnitBlock]) -> None:
    authorizations = _authorizations(moving)
    unauthorized = [b for b in moving if b.authorization_id is None or not Purpose.covers_oimp(authorizations[b.authorization_id].purposes)]
    if unauthorized:
        raise _fail(Check.NOT_AUTHORIZED_FOR_OIMP, unauthorized)


def check_international_transfer(moving: Sequence[UnitBlock]) -> None:
    unauthorized = [b for b in moving if b.authorization_id is None]
    if unauthorized:
        raise _fail(Check.NOT_AUTHORIZED_FOR_TRANSFER, unauthorized)


def check_movement(tx: Transaction, moving: Sequence[UnitBlock]) -> None:
    """The Article 6 checks of a proposed movement (run again when a pending one completes), and
    whether its purpose of use accepts the units' types."""
    purposes.check_credit_types(tx, moving)
    if tx.type == TransactionType.RETIREMENT and tx.towards_ndc:
        assert tx.using_party is not None
        check_use_towards_ndc(moving, tx.using_party)
    elif tx.type == TransactionType.CANCELLATION and tx.purpose.startswith(CancellationKind.OIMP):
        check_use_for_oimp(moving)
    elif tx.type == TransactionType.EXTERNAL_TRANSFER:
        check_international_transfer(moving)


def record_on_completion(tx: Transaction, moving: Sequence[UnitBlock], now: datetime) -> None:
    """First transfers due now, then the using Party's adjustment, for a movement completing."""
    if tx.type == TransactionType.EXTERNAL_TRANSFER:
        assert tx.to_account is not None
        due = _first_transfer_due(moving, FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER)
        record_first_transfer(tx, due, now, acquiring_party=tx.to_account.registry.party)
    elif tx.type == TransactionType.CANCELLATION and tx.purpose.startswith(CancellationKind.OIMP):
        record_first_transfer(tx, _first_transfer_due(moving, FirstTransferDefinition.USE_OR_CANCELLATION), now)
    elif tx.type == TransactionType.RETIREMENT and tx.towards_ndc:
        assert tx.using_party is not None
        hosts = _hosts(moving)
        foreign = [b for b in moving if is_foreign(b, tx.using_party, hosts)]
        _adjust(tx, foreign, tx.using_party, AdjustmentKind.USE, year=tx.ndc_year or now.year)


def _first_transfer_due(blocks: Sequence[UnitBlock], definition: FirstTransferDefinition) -> list[UnitBlock]:
    authorizations = _authorizations(blocks)
    return [
        b
        for b in blocks
        if b.authorization_id is not None
        and not b.first_transferred
        and authorizations[b.authorization_id].first_transfer_definition == definition
    ]


def record_first_transfer(trigger: Transaction, blocks: Sequence[UnitBlock], now: datetime, acquiring_party: Party | None = None) -> None:
    """Record the first transfer of ``blocks`` (whole rows, still with their holder): once and for all.

    One ``first_transfer`` transaction per authorisation, journaled in the registry of the first
    transferring Party, each with its ``FirstTransfer`` rows and that Party's addition for the vintage.
    """
    if not blocks:
        return
    already = [b for b in blocks if b.first_transferred]
    if already:
        raise _fail(Check.ALREADY_FIRST_TRANSFERRED, already)
    authorizations = _authorizations(blocks)
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
        FirstTransfer.objects.bulk_create(
            FirstTransfer(
                transaction=tx,
                authorization=authorization,
                first_transferring_party=party,
                acquiring_party=acquiring_party,
                originating_registry=b.originating_registry,
                start=b.start,
                end=b.end,
                vintage=b.vintage,
                at=now,
            )
            for b in group
        )
        _adjust(tx, group, party, AdjustmentKind.FIRST_TRANSFER, year=None)
        body = {
            "transaction": tx.pk,
            "type": TransactionType.FIRST_TRANSFER.value,
            "trigger": trigger.pk,
            "trigger_type": trigger.type,
            "authorization": authorization.identifier,
            "definition": authorization.first_transfer_definition,
            "first_transferring_party": party.alpha3,
            "acquiring_party": acquiring_party.alpha3 if acquiring_party else None,
            "ranges": [[b.originating_registry, b.start, b.end, _holder(b)] for b in group],
        }
        append_entry(authorization.registry, "transaction", body, now, transaction_id=tx.pk)


def _holder(block: UnitBlock) -> str:
    return str(block.account.number)


def _adjust(tx: Transaction, blocks: Sequence[UnitBlock], party: Party, kind: AdjustmentKind, year: int | None) -> None:
    """One adjustment row per authorisation and vintage: first transfers for the vintage, uses for the year of use."""
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for block in blocks:
        assert block.authorization_id is not None
        totals[(block.authorization_id, block.vintage)] += block.quantity
    CorrespondingAdjustment.objects.bulk_create(
        CorrespondingAdjustment(
            party=party, kind=kind, transaction=tx, authorization_id=authorization, quantity=quantity, vintage=vintage, year=year or vintage
        )
        for (authorization, vintage), quantity in sorted(totals.items())
    )
