"""Article 6.2 use cases: record a Party's authorisation, and authorise units under it.

External transfers, uses and cancellations are movements: see ``registry.transactions.services``
(``transfer_externally``, ``retire_units``, ``cancel_units``), which apply ``registry.article6.rules``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import IntegrityError
from django.db import transaction as db
from django.utils import timezone

from registry.accounts.models import FINAL_TYPES, Account
from registry.accounts.services import lock_accounts
from registry.article6 import rules
from registry.article6.models import Authorization, AuthorizedEntity, FirstTransferDefinition, Purpose
from registry.core.checks import Check, CheckFailed
from registry.core.serials import Piece, SerialRange, locate_ranges
from registry.journal.services import append_entry
from registry.parties.models import CooperativeApproach, Entity, Party, Project, Registry
from registry.parties.services import Actor, ensure_administrator, register_entity
from registry.transactions import blocks
from registry.transactions.blocks import RequestedRange
from registry.transactions.engine import check_ranges, person, records_refusals
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock


@db.atomic
def create_authorization(
    actor: Actor,
    registry: Registry,
    *,
    identifier: str,
    date: dt.date,
    cooperative_approach: CooperativeApproach,
    purposes: Purpose | str,
    first_transfer_definition: FirstTransferDefinition | str,
    document_reference: str,
    authorized_quantity: int | None = None,
    oimp_purposes: str = "",
    authorized_parties: Iterable[Party] = (),
    authorized_entities: Iterable[Entity] = (),
    sectors: str = "",
    activity_types: str = "",
    timeframe: tuple[int | None, int | None] = (None, None),
    terms: str = "",
) -> Authorization:
    """Record the Party's authorisation (AEF table 2). Units are authorised under it by ``authorize_units``.

    ``timeframe`` is the first and last year of vintage authorised (inclusive; ``None`` leaves that
    end open). An authorisation covering OIMP says when their first transfer happens: at
    authorisation, issuance, or use or cancellation (6015); one for NDC use only, at the first
    international transfer (6012).
    """
    ensure_administrator(actor, registry)
    purposes = Purpose(purposes)
    definition = FirstTransferDefinition(first_transfer_definition)
    if purposes == Purpose.NDC and definition != FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER:
        raise CheckFailed(Check.FIRST_TRANSFER_DEFINITION_INVALID, definition=definition.label)
    if Purpose.covers_oimp(purposes) and definition == FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER:
        raise CheckFailed(Check.OIMP_FIRST_TRANSFER_UNDEFINED, definition=definition.value)
    first_vintage, last_vintage = timeframe
    if first_vintage is not None and last_vintage is not None and first_vintage > last_vintage:
        raise CheckFailed(Check.TIMEFRAME_INVALID, first=first_vintage, last=last_vintage)
    if not registry.party.cooperative_approaches.filter(pk=cooperative_approach.pk).exists():
        raise CheckFailed(
            Check.VALUE_INVALID, field="Cooperative approach", detail=f"{registry.party} takes no part in {cooperative_approach}"
        )
    if authorized_quantity is not None and authorized_quantity <= 0:
        raise CheckFailed(Check.QUANTITY_NOT_POSITIVE, quantity=authorized_quantity)
    if Authorization.objects.filter(identifier=identifier).exists():
        raise CheckFailed(Check.VALUE_INVALID, field="Authorization ID", detail=f"{identifier} is already recorded")
    if not document_reference.strip():
        raise CheckFailed(Check.VALUE_INVALID, field="Document reference", detail="the authorising document must be named")
    try:
        with db.atomic():  # another request may record the same identifier after the check above
            authorization = Authorization.objects.create(
                registry=registry,
                identifier=identifier,
                date=date,
                cooperative_approach=cooperative_approach,
                purposes=purposes,
                first_transfer_definition=definition,
                document_reference=document_reference.strip(),
                authorized_quantity=authorized_quantity,
                oimp_purposes=oimp_purposes,
                sectors=sectors,
                activity_types=activity_types,
                timeframe_first_vintage=first_vintage,
                timeframe_last_vintage=last_vintage,
                terms=terms,
            )
    except IntegrityError:
        raise CheckFailed(Check.VALUE_INVALID, field="Authorization ID", detail=f"{identifier} is already recorded") from None
    authorization.authorized_parties.set(authorized_parties)
    authorization.authorized_entities.set(authorized_entities)
    return authorization


@db.atomic
def authorize_entity(
    actor: Actor,
    authorization: Authorization,
    *,
    name: str,
    country: str,
    identification_number: str = "",
    conditions: str = "",
    change_and_revocation_conditions: str = "",
    explanation: str = "",
) -> AuthorizedEntity:
    """Authorise an entity under ``authorization`` with the conditions of AEF Table 5.

    The entity is the registry's entity of that identification number (or, without one, of that
    name and country of incorporation), registered now if the registry does not know it yet.
    """
    registry = authorization.registry
    ensure_administrator(actor, registry)
    name, identification_number = name.strip(), identification_number.strip()
    if not name:
        raise CheckFailed(Check.VALUE_INVALID, field="Name", detail="the authorised entity must be named")
    known = Entity.objects.filter(registry=registry)
    entity = (
        known.filter(identification_number=identification_number).first()
        if identification_number
        else known.filter(name=name, country=country, identification_number="").first()
    )
    if entity is None:
        entity = register_entity(actor, registry, name=name, country=country, identification_number=identification_number)
    if AuthorizedEntity.objects.filter(authorization=authorization, entity=entity).exists():
        raise CheckFailed(
            Check.VALUE_INVALID, field="Authorized entity", detail=f"{entity.name} is already authorised under {authorization.identifier}"
        )
    return AuthorizedEntity.objects.create(
        authorization=authorization,
        entity=entity,
        conditions=conditions.strip(),
        change_and_revocation_conditions=change_and_revocation_conditions.strip(),
        explanation=explanation.strip(),
    )


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
    body = {
        "transaction": tx.pk,
        "type": TransactionType.AUTHORIZATION.value,
        "by": actor.get_username(),
        "authorization": authorization.identifier,
        "purposes": authorization.purposes,
        "ranges": [[b.originating_registry, b.start, b.end, b.account.number] for b in carved],
    }
    append_entry(registry, "transaction", body, now, transaction_id=tx.pk)
    if authorization.first_transfer_definition == FirstTransferDefinition.AUTHORIZATION:
        rules.record_first_transfer(tx, carved, now)
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
