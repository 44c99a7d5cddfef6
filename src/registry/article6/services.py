"""Article 6.2 use cases: record a Party's authorisation and each new version of it; and the rows of
first transfers and corresponding adjustments, which the transactions that make them write here.

Authorising units, first transfers, external transfers, uses and cancellations are transactions:
see ``registry.transactions`` (``authorization_services``, ``article6_services``, ``services``),
which apply ``registry.article6.rules``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError
from django.db import transaction as db
from django.utils import timezone

from registry.article6.models import (
    AdjustmentKind,
    Authorization,
    AuthorizedEntity,
    CorrespondingAdjustment,
    FirstTransfer,
    FirstTransferDefinition,
    Purpose,
)
from registry.core import entries
from registry.core.checks import Check, CheckFailed
from registry.journal.services import append_entry
from registry.parties.models import CooperativeApproach, Entity, Party, Registry
from registry.parties.services import Actor, ensure_administrator, login, register_entity
from registry.units.models import UnitBlock


@dataclass(frozen=True)
class EntityConditions:
    """AEF Table 5's words on one authorised entity (``authorize_entity`` takes them one by one)."""

    conditions: str = ""
    change_and_revocation_conditions: str = ""
    explanation: str = ""


def _set_entities(authorization: Authorization, entities: Iterable[Entity], conditions: Mapping[int, EntityConditions] | None) -> None:
    authorization.authorized_entities.set(entities)
    for entity_pk, words in (conditions or {}).items():
        AuthorizedEntity.objects.filter(authorization=authorization, entity_id=entity_pk).update(
            conditions=words.conditions.strip(),
            change_and_revocation_conditions=words.change_and_revocation_conditions.strip(),
            explanation=words.explanation.strip(),
        )


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
    entity_conditions: Mapping[int, EntityConditions] | None = None,
) -> Authorization:
    """Record the Party's authorisation (AEF table 2). Units are authorised under it by ``authorize_units``.

    ``entity_conditions`` gives Table 5's words for authorised entities (by entity id): an imported
    version carries them (``authorize_entity`` records them for one entity at a time).

    ``timeframe`` is the first and last year of vintage authorised (inclusive; ``None`` leaves that
    end open). An authorisation covering OIMP says when their first transfer happens: at
    authorisation, issuance, or use or cancellation (6021); one for NDC use only, at the first
    international transfer (6012).
    """
    ensure_administrator(actor, registry)
    purposes = Purpose(purposes)
    definition = FirstTransferDefinition(first_transfer_definition)
    check_first_transfer_definition(purposes, definition)
    first_vintage, last_vintage = timeframe
    check_timeframe(first_vintage, last_vintage)
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
    _set_entities(authorization, authorized_entities, entity_conditions)
    append_entry(registry, authorization_version(authorization, recorded_by=login(actor)), timezone.now())
    return authorization


#: The fields of an authorisation a new version may change (its registry and identifier never change).
AMENDABLE = (
    "date",
    "purposes",
    "oimp_purposes",
    "first_transfer_definition",
    "authorized_quantity",
    "document_reference",
    "sectors",
    "activity_types",
    "timeframe_first_vintage",
    "timeframe_last_vintage",
    "terms",
)


@db.atomic
def record_authorization_version(
    actor: Actor,
    authorization: Authorization,
    *,
    authorized_parties: Iterable[Party] | None = None,
    authorized_entities: Iterable[Entity] | None = None,
    entity_conditions: Mapping[int, EntityConditions] | None = None,
    **changes: object,
) -> Authorization:
    """Record a new version of ``authorization`` (a change is a new version, never an edit): the row
    shows the version in force, the journal keeps every version. ``entity_conditions`` as for
    ``create_authorization``."""
    ensure_administrator(actor, authorization.registry)
    unknown = set(changes) - set(AMENDABLE)
    if unknown:
        raise CheckFailed(Check.VALUE_INVALID, field="Authorization", detail=f"{', '.join(sorted(unknown))} cannot change in a new version")
    authorization = Authorization.objects.select_for_update().get(pk=authorization.pk)
    for name, value in changes.items():
        setattr(authorization, name, value)
    purposes, definition = Purpose(authorization.purposes), FirstTransferDefinition(authorization.first_transfer_definition)
    check_first_transfer_definition(purposes, definition)
    check_timeframe(authorization.timeframe_first_vintage, authorization.timeframe_last_vintage)
    if authorization.authorized_quantity is not None and authorization.authorized_quantity <= 0:
        raise CheckFailed(Check.QUANTITY_NOT_POSITIVE, quantity=authorization.authorized_quantity)
    authorization.version += 1
    authorization.save()
    if authorized_parties is not None:
        authorization.authorized_parties.set(authorized_parties)
    if authorized_entities is not None:
        _set_entities(authorization, authorized_entities, entity_conditions)
    append_entry(authorization.registry, authorization_version(authorization, recorded_by=login(actor)), timezone.now())
    return authorization


def check_first_transfer_definition(purposes: Purpose, definition: FirstTransferDefinition) -> None:
    """NDC use only: at the first international transfer (6012); with OIMP: at authorisation, issuance, or use or cancellation (6021)."""
    if purposes == Purpose.NDC and definition != FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER:
        raise CheckFailed(Check.FIRST_TRANSFER_DEFINITION_INVALID, definition=definition.label)
    if Purpose.covers_oimp(purposes) and definition == FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER:
        raise CheckFailed(Check.OIMP_FIRST_TRANSFER_UNDEFINED, definition=definition.value)


def check_timeframe(first_vintage: int | None, last_vintage: int | None) -> None:
    if first_vintage is not None and last_vintage is not None and first_vintage > last_vintage:
        raise CheckFailed(Check.TIMEFRAME_INVALID, first=first_vintage, last=last_vintage)


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
    """Authorise an entity under ``authorization`` with the conditions of AEF Table 5: a new version
    of the authorisation, journaled like every version.

    The entity is the registry's entity of that identification number (or, without one, of that
    name and country of incorporation), registered now if the registry does not know it yet.
    """
    registry = authorization.registry
    ensure_administrator(actor, registry)
    name, identification_number = name.strip(), identification_number.strip()
    if not name:
        raise CheckFailed(Check.VALUE_INVALID, field="Name", detail="the authorised entity must be named")
    authorization = Authorization.objects.select_for_update().get(pk=authorization.pk)
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
    authorized = AuthorizedEntity.objects.create(
        authorization=authorization,
        entity=entity,
        conditions=conditions.strip(),
        change_and_revocation_conditions=change_and_revocation_conditions.strip(),
        explanation=explanation.strip(),
    )
    authorization.version += 1
    authorization.save(update_fields=["version"])
    append_entry(registry, authorization_version(authorization, recorded_by=login(actor)), timezone.now())
    return authorized


def authorization_version(authorization: Authorization, recorded_by: str | None = None) -> entries.AuthorizationVersion:
    """The journal's form of an authorisation as the row holds it now (every field of AEF Table 2)."""
    return entries.AuthorizationVersion(
        identifier=authorization.identifier,
        version=authorization.version,
        date=authorization.date if isinstance(authorization.date, dt.date) else dt.date.fromisoformat(str(authorization.date)),
        cooperative_approach=authorization.cooperative_approach.identifier,
        purposes=authorization.purposes,
        oimp_purposes=authorization.oimp_purposes,
        first_transfer_definition=authorization.first_transfer_definition,
        authorized_quantity=authorization.authorized_quantity,
        document_reference=authorization.document_reference,
        authorized_parties=tuple(sorted(p.alpha3 for p in authorization.authorized_parties.all())),
        authorized_entities=tuple(
            entries.AuthorizedEntity(
                a.entity.pk,
                a.entity.name,
                a.entity.country,
                a.entity.identification_number,
                conditions=a.conditions,
                change_and_revocation_conditions=a.change_and_revocation_conditions,
                explanation=a.explanation,
            )
            for a in authorization.entity_authorizations.select_related("entity").order_by("entity__pk")
        ),
        sectors=authorization.sectors,
        activity_types=authorization.activity_types,
        timeframe=authorization.timeframe,
        timeframe_first_vintage=authorization.timeframe_first_vintage,
        timeframe_last_vintage=authorization.timeframe_last_vintage,
        terms=authorization.terms,
        recorded_by=recorded_by,
        authorizing_party=authorization.authorizing_party.alpha3 if authorization.authorizing_party else None,
    )


def record_foreign_authorization(
    registry: Registry,
    *,
    party: Party,
    identifier: str,
    version: int,
    date: dt.date,
    cooperative_approach: CooperativeApproach,
    purposes: str,
    oimp_purposes: str,
    first_transfer_definition: str,
    document_reference: str,
    recorded_by: str,
) -> Authorization:
    """Another Party's authorisation as its registry described it, recorded (and journaled) in
    ``registry`` because ITMOs under it arrive here from a peer registry: the rules of use then
    read it as they read the Party's own. The caller holds the registry's ledger transaction."""
    authorization = Authorization.objects.create(
        registry=registry,
        identifier=identifier,
        version=version,
        date=date,
        cooperative_approach=cooperative_approach,
        purposes=Purpose(purposes),
        oimp_purposes=oimp_purposes,
        first_transfer_definition=FirstTransferDefinition(first_transfer_definition),
        document_reference=document_reference,
        authorizing_party=party,
    )
    append_entry(registry, authorization_version(authorization, recorded_by=recorded_by), timezone.now())
    return authorization


def record_first_transfer_rows(
    transaction_id: int, authorization: Authorization, acquiring_party: Party | None, blocks: Sequence[UnitBlock], now: dt.datetime
) -> None:
    """The ``FirstTransfer`` rows of ``blocks`` (whole rows) first transferred by ``transaction_id``."""
    FirstTransfer.objects.bulk_create(
        FirstTransfer(
            transaction_id=transaction_id,
            authorization=authorization,
            first_transferring_party=authorization.registry.party,
            acquiring_party=acquiring_party,
            originating_registry=b.originating_registry,
            start=b.start,
            end=b.end,
            vintage=b.vintage,
            at=now,
        )
        for b in blocks
    )


def record_adjustments(
    transaction_id: int, blocks: Sequence[UnitBlock], party: Party, kind: AdjustmentKind, year: int | None
) -> tuple[entries.Adjustment, ...]:
    """One adjustment row per authorisation and vintage: first transfers for the vintage, uses for the
    year of use. Returned as the journal records them."""
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for block in blocks:
        assert block.authorization_id is not None
        totals[(block.authorization_id, block.vintage)] += block.quantity
    identifiers = dict(Authorization.objects.filter(pk__in={a for a, _ in totals}).values_list("pk", "identifier"))
    rows = [
        CorrespondingAdjustment(
            party=party,
            kind=kind,
            transaction_id=transaction_id,
            authorization_id=authorization,
            quantity=quantity,
            vintage=vintage,
            year=year or vintage,
        )
        for (authorization, vintage), quantity in sorted(totals.items())
    ]
    CorrespondingAdjustment.objects.bulk_create(rows)
    return tuple(entries.Adjustment(party.alpha3, kind.value, identifiers[r.authorization_id], r.vintage, r.year, r.quantity) for r in rows)
