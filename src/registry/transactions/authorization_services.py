"""Authorising units as ITMOs under a Party's authorisation: a transaction that restates blocks."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from registry.accounts.models import FINAL_TYPES, Account
from registry.accounts.services import lock_accounts
from registry.article6 import rules
from registry.article6.models import Authorization, FirstTransferDefinition
from registry.core import entries
from registry.core.checks import Check, CheckFailed
from registry.core.serials import Piece, SerialRange, locate_ranges
from registry.journal.services import append_entry
from registry.parties.models import Project, Registry
from registry.parties.services import Actor, ensure_administrator
from registry.transactions import article6_services, blocks
from registry.transactions.blocks import RequestedRange
from registry.transactions.engine import check_ranges, person, records_refusals
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock


@records_refusals(TransactionType.AUTHORIZATION)
def authorize_units(
    *,
    actor: Actor,
    authorization: Authorization,
    ranges: Sequence[RequestedRange] | None = None,
    project: Project | None = None,
    vintages: tuple[int, int] | None = None,
) -> Transaction:
    """Authorise units as ITMOs: named serial ranges, or every unauthorised unit of a project (within
    an inclusive vintage range) held in the registry's non-final accounts.

    If the authorisation defines the first transfer at authorisation, the units are first
    transferred at once (with the Party's corresponding adjustment).
    """
    registry = authorization.registry
    ensure_administrator(actor, registry)
    if (ranges is None) == (project is None):
        raise CheckFailed(Check.QUANTITY_AND_RANGES)
    if ranges is not None:
        check_ranges(ranges)
        pieces = _pieces_by_ranges(registry, ranges)
    else:
        assert project is not None
        pieces = _pieces_of_project(registry, project, vintages or _timeframe_of(authorization))
    lock_accounts(list(Account.objects.filter(pk__in={p.block.account_id for p in pieces})))
    locked = (
        UnitBlock.objects.select_for_update(no_key=True)
        .select_related("account", "project__programme")
        .in_bulk([p.block.pk for p in pieces])
    )
    pieces = [Piece(locked[p.block.pk], p.block_range, p.taken) for p in pieces]
    _check_pieces(authorization, registry, pieces)
    now = timezone.now()
    carved = blocks.carve(pieces)
    tx = Transaction.objects.create(
        registry=registry,
        type=TransactionType.AUTHORIZATION,
        status=TransactionStatus.COMPLETED,
        quantity=sum(b.quantity for b in carved),
        authorization=authorization,
        proposed_by=person(actor),
        decided_by=person(actor),
        created_at=now,
        completed_at=now,
    )
    UnitBlock.objects.filter(pk__in=[b.pk for b in carved]).update(authorization=authorization)
    for block in carved:
        block.authorization = authorization
    blocks.record_blocks(tx, carved)
    entry = entries.UnitsAuthorized(
        transaction=tx.pk,
        proposed_by=actor.get_username(),
        authorization=authorization.identifier,
        purposes=authorization.purposes,
        ranges=tuple(entries.HeldSpan(b.originating_registry, b.start, b.end, b.account.number) for b in carved),
    )
    append_entry(registry, entry, now, transaction_id=tx.pk)
    if authorization.first_transfer_definition == FirstTransferDefinition.AUTHORIZATION:
        article6_services.record_first_transfer(tx, carved, now)
    for block in carved:  # merging comes last: the first transfer above names these exact rows
        if UnitBlock.objects.filter(pk=block.pk).exists():
            blocks.merge_with_neighbours(UnitBlock.objects.get(pk=block.pk))
    return tx


def _pieces_by_ranges(registry: Registry, ranges: Sequence[RequestedRange]) -> list[Piece[UnitBlock]]:
    pieces: list[Piece[UnitBlock]] = []
    missing: list[tuple[str, SerialRange]] = []
    for originating_registry, wanted in ranges:
        candidates = [
            (b, SerialRange(b.start, b.end))
            for b in blocks.blocks_overlapping(originating_registry, wanted)
            if b.account.registry_id == registry.pk
        ]
        found, not_here = locate_ranges([wanted], candidates)
        pieces += found
        missing += [(originating_registry, r) for r in not_here]
    if missing:
        names = [blocks.name_serials(originating, r) for originating, r in missing]
        raise CheckFailed(Check.UNITS_NOT_HELD, blocks=names, ranges=", ".join(names), account=registry.registry_id)
    return pieces


def _timeframe_of(authorization: Authorization) -> tuple[int, int] | None:
    """A project's units authorised without naming vintages: those of the authorised timeframe."""
    first, last = authorization.timeframe_first_vintage, authorization.timeframe_last_vintage
    if first is None and last is None:
        return None
    return (first or 0, last or 9999)


def _pieces_of_project(registry: Registry, project: Project, vintages: tuple[int, int] | None) -> list[Piece[UnitBlock]]:
    found = UnitBlock.objects.filter(account__registry=registry, project=project, authorization__isnull=True).exclude(
        account__type__in=[t.value for t in FINAL_TYPES]
    )
    if vintages is not None:
        found = found.filter(vintage__gte=vintages[0], vintage__lte=vintages[1])
    chosen = [Piece(b, SerialRange(b.start, b.end), SerialRange(b.start, b.end)) for b in found.order_by("originating_registry", "start")]
    if not chosen:
        shown = f"{vintages[0]}-{vintages[1]}" if vintages else "all"
        raise CheckFailed(Check.NOTHING_TO_AUTHORIZE, project=project.identifier, vintages=shown, registry=registry.registry_id)
    return chosen


def _check_pieces(authorization: Authorization, registry: Registry, pieces: Sequence[Piece[UnitBlock]]) -> None:
    def offending(test: object) -> list[str]:
        return [f"{p.block.originating_registry}:{p.taken}" for p in pieces if test(p.block)]  # type: ignore[operator]

    if names := offending(lambda b: b.reserved_by_id is not None):
        reserving = next(p.block.reserved_by_id for p in pieces if p.block.reserved_by_id is not None)
        raise CheckFailed(Check.UNITS_RESERVED, blocks=names, ranges=", ".join(names), transaction=reserving)
    if names := offending(lambda b: b.account.type in FINAL_TYPES):
        raise CheckFailed(Check.UNITS_FINAL, blocks=names, account=", ".join(names))
    if names := offending(lambda b: b.authorization_id is not None):
        raise CheckFailed(Check.ALREADY_AUTHORIZED, blocks=names, ranges=", ".join(names), authorization=authorization.identifier)
    by_project: dict[int, list[Piece[UnitBlock]]] = {}
    for piece in pieces:
        by_project.setdefault(piece.block.project_id, []).append(piece)
    for group in by_project.values():
        block = group[0].block
        names = [f"{p.block.originating_registry}:{p.taken}" for p in group]
        rules.check_authorizable(authorization, registry, block.project, block.cooperative_approach, ranges=", ".join(names))
    rules.check_within_timeframe(authorization, [(f"{p.block.originating_registry}:{p.taken}", p.block.vintage) for p in pieces])
    rules.check_authorized_quantity(authorization, sum(p.taken.quantity for p in pieces))
