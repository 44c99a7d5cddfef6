"""Use cases for Parties, registries and their reference data, and the administrator check."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from registry import rows
from registry.core.checks import Check, CheckFailed
from registry.parties.models import CooperativeApproach, CreditingProgramme, Entity, Party, Project, Registry, UnitType, UsePurpose

Actor = User | AnonymousUser


def login(actor: Actor) -> str | None:
    """The login ID of a signed-in actor, as the journal names who acted."""
    return actor.get_username() if isinstance(actor, User) else None


_known_administrators: contextvars.ContextVar[dict[tuple[int, int], bool] | None] = contextvars.ContextVar(
    "known_administrators", default=None
)


@contextlib.contextmanager
def administrators_remembered() -> Iterator[None]:
    """Within this block (one API request), ask the database once per user and registry whether
    the user administers it: the rules ask several times, and nothing in one request changes it."""
    token = _known_administrators.set({})
    try:
        yield
    finally:
        _known_administrators.reset(token)


def is_administrator(actor: Actor, registry: Registry) -> bool:
    """Administrators of a registry act for it; an installation superuser acts for every registry."""
    if not actor.is_authenticated:
        return False
    if getattr(actor, "is_superuser", False):
        return True
    known = _known_administrators.get()
    if known is None:
        return _administers(actor, registry)
    key = (actor.pk, registry.pk)
    if key not in known:
        known[key] = _administers(actor, registry)
    return known[key]


def remember_administrator(actor: Actor, registry: Registry, administers: bool) -> None:
    """Within ``administrators_remembered``, what another statement of the request learnt about
    whether ``actor`` administers ``registry`` (the API's account check reads it with the account),
    so the rules do not ask the database again."""
    known = _known_administrators.get()
    if known is not None and actor.pk is not None:
        known[(actor.pk, registry.pk)] = administers


def _administers(actor: Actor, registry: Registry) -> bool:
    # The link table alone: the same answer as ``registry.administrators``, without joining the
    # users or building a related manager; hand-written (asked in every movement), and always of
    # the primary database, as everything about who may act.
    user = actor.pk
    if user is None:
        return False
    return bool(rows.fetch(_administrator_link(), [registry.pk, user]))


@rows.statement
def _administrator_link() -> str:
    link = Registry.administrators.through
    return f"SELECT 1 FROM {rows.table(link)} WHERE {rows.column(link, 'registry_id')} = %s AND {rows.column(link, 'user_id')} = %s LIMIT 1"


def ensure_administrator(actor: Actor, registry: Registry) -> None:
    if not is_administrator(actor, registry):
        raise CheckFailed(Check.NOT_ADMINISTRATOR, actor=actor, registry=registry.registry_id)


def get_registry(registry_id: str) -> Registry:
    try:
        return Registry.objects.select_related("party").get(registry_id=registry_id)
    except Registry.DoesNotExist:
        raise CheckFailed(Check.REGISTRY_UNKNOWN, registry=registry_id) from None


def get_party(code: str) -> Party:
    party = Party.objects.filter(alpha2=code).first() or Party.objects.filter(alpha3=code).first()
    if party is None:
        raise CheckFailed(Check.PARTY_UNKNOWN, party=code)
    return party


def create_party(alpha2: str, alpha3: str, name: str, name_ja: str = "") -> Party:
    party, _ = Party.objects.update_or_create(alpha2=alpha2, defaults={"alpha3": alpha3, "name": name, "name_ja": name_ja})
    return party


def create_registry(party: Party, registry_id: str, name: str, time_zone: str = "Asia/Tokyo") -> Registry:
    """Create a Party's registry (``JPN01``); its identifier starts with the Party's alpha-3 code."""
    if not (len(registry_id) == 5 and registry_id[:3] == party.alpha3 and registry_id[3:].isdigit()):
        raise CheckFailed(Check.VALUE_INVALID, field="Registry id", detail=f"{registry_id!r} must be {party.alpha3} followed by two digits")
    registry, _ = Registry.objects.get_or_create(registry_id=registry_id, defaults={"party": party, "name": name, "time_zone": time_zone})
    return registry


@transaction.atomic
def add_administrator(registry: Registry, user: User) -> None:
    registry.administrators.add(user)


def create_programme(code: str, name: str, scheme_code: str, unit_types: dict[str, str], international: bool = True) -> CreditingProgramme:
    programme, _ = CreditingProgramme.objects.update_or_create(
        code=code, defaults={"name": name, "scheme_code": scheme_code, "international": international}
    )
    for unit_code, unit_name in unit_types.items():
        UnitType.objects.update_or_create(code=unit_code, defaults={"name": unit_name, "programme": programme})
    return programme


def define_use_purpose(
    programme: CreditingProgramme,
    code: str,
    name: str,
    name_ja: str,
    *,
    towards_ndc: bool = False,
    domestic_only: bool = False,
    unit_types: tuple[str, ...] = (),
    position: int = 0,
) -> UsePurpose:
    """A purpose of use of ``programme``'s units, unless it exists: once there, administrators
    maintain it (at ``/admin/``) and setting up again never overwrites their changes."""
    purpose, created = UsePurpose.objects.get_or_create(
        code=code,
        defaults={
            "programme": programme,
            "name": name,
            "name_ja": name_ja,
            "towards_ndc": towards_ndc,
            "domestic_only": domestic_only,
            "position": position,
        },
    )
    if created and unit_types:
        purpose.unit_types.set(UnitType.objects.filter(code__in=unit_types))
    return purpose


def create_cooperative_approach(identifier: str, name: str, parties: list[Party]) -> CooperativeApproach:
    approach, _ = CooperativeApproach.objects.update_or_create(identifier=identifier, defaults={"name": name})
    approach.parties.add(*parties)
    return approach


def register_project(
    actor: Actor,
    registry: Registry,
    *,
    identifier: str,
    name: str,
    programme: CreditingProgramme,
    host_party: Party,
    cooperative_approach: CooperativeApproach | None = None,
    methodology: str = "",
    sector: str = "",
) -> Project:
    ensure_administrator(actor, registry)
    project, _ = Project.objects.update_or_create(
        registry=registry,
        identifier=identifier,
        defaults={
            "name": name,
            "programme": programme,
            "host_party": host_party,
            "cooperative_approach": cooperative_approach,
            "methodology": methodology,
            "sector": sector,
        },
    )
    return project


def register_entity(
    actor: Actor, registry: Registry, *, name: str, country: str, name_ja: str = "", identification_number: str = "", head_office: str = ""
) -> Entity:
    ensure_administrator(actor, registry)
    if not (len(country) == 2 and country.isalpha() and country.isupper()):
        raise CheckFailed(Check.VALUE_INVALID, field="Country", detail=f"{country!r} is not an ISO 3166 alpha-2 code")
    return Entity.objects.create(
        registry=registry,
        name=name,
        name_ja=name_ja,
        country=country,
        identification_number=identification_number,
        head_office=head_office,
    )


def get_entity(registry: Registry, key: str) -> Entity:
    """The registry's entity with this identification number or, failing that, this exact name (1011)."""
    key = key.strip()
    known = Entity.objects.filter(registry=registry)
    found = (known.filter(identification_number=key).first() if key else None) or known.filter(name=key).order_by("pk").first()
    if found is None:
        raise CheckFailed(Check.ENTITY_UNKNOWN, entity=key, registry=registry.registry_id)
    return found


def party_of_iso_code(alpha3: str) -> Party | None:
    """The Party of ISO 3166 code ``alpha3``, recorded from the ISO list on first mention (a peer
    registry's Party, named in its messages); ``None`` if no country has that code."""
    from django_countries import countries

    found = Party.objects.filter(alpha3=alpha3).first()
    if found is not None:
        return found
    alpha2 = countries.alpha2(alpha3)
    if not alpha2:
        return None
    created, _ = Party.objects.get_or_create(alpha2=alpha2, defaults={"alpha3": alpha3, "name": str(countries.name(alpha2))})
    return created
