"""The rules of a retirement's or cancellation's purpose of use (a J-Credit nullification's 用途).

The purposes, and the credit types each accepts, are reference data per programme
(``UsePurpose``); the rules that read them are here, each a refusal with its check code:
``check_declared`` before any unit is chosen, ``check_credit_types`` on the units being used
(again when a pending one is approved or completes).
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.core.checks import Check, CheckFailed
from registry.parties.models import Party, Registry, UnitType, UsePurpose
from registry.transactions.models import Transaction
from registry.units.models import UnitBlock


def purpose_for(code: str) -> UsePurpose | None:
    """The purpose with ``code`` (none asked: ``None``); an unknown or retired one is refused (1014)."""
    code = code.strip()
    if not code:
        return None
    purpose = UsePurpose.objects.select_related("programme").filter(code=code, active=True).first()
    if purpose is None:
        offered = UsePurpose.objects.filter(active=True).values_list("code", flat=True)
        raise CheckFailed(Check.PURPOSE_UNKNOWN, purpose=code, purposes=", ".join(offered))
    return purpose


def check_declared(purpose: UsePurpose, registry: Registry, country: str, *, retirement: bool) -> None:
    """What a purpose allows, whatever the units: where, and whether it may count towards an NDC.

    ``country`` is where the offset emissions occur (ISO alpha-2). Units of a programme whose units
    never leave the registry (J-Credits) count towards no other country's NDC and never carry a
    corresponding adjustment (6015); purposes for domestic use only are never for use abroad (6016);
    a cancellation counts towards no NDC (5303).
    """
    home = registry.party.alpha2
    abroad = bool(country) and country != home
    if not retirement and purpose.towards_ndc:
        raise CheckFailed(Check.CANCELLATION_TOWARDS_NDC, purpose=purpose.code)
    if purpose.towards_ndc and abroad and not purpose.programme.international:
        raise CheckFailed(Check.FOREIGN_NDC_NOT_ALLOWED, programme=purpose.programme.name, country=country)
    if purpose.towards_ndc and abroad:
        raise CheckFailed(Check.NDC_USE_OF_ANOTHER_PARTY, registry=registry.registry_id, party=home, using_party=country)
    if purpose.domestic_only and abroad:
        raise CheckFailed(Check.PURPOSE_DOMESTIC_ONLY, purpose=purpose.code, party=home, programme=purpose.programme.name, country=country)


def accepted_unit_types(purpose: UsePurpose) -> list[UnitType]:
    listed = list(purpose.unit_types.all())
    return listed or list(UnitType.objects.filter(programme=purpose.programme_id))


def check_credit_types(tx: Transaction, moving: Sequence[UnitBlock]) -> None:
    """Every unit used for a purpose is of a type it accepts (6017): CDP/SBT only renewable
    J-Credits, RE100 only renewable electricity, a J-Credit purpose never JCM credits."""
    if tx.use_purpose_id is None:
        return
    purpose = UsePurpose.objects.select_related("programme").get(pk=tx.use_purpose_id)
    accepted = accepted_unit_types(purpose)
    accepted_ids = {t.pk for t in accepted}
    offending = [b for b in moving if b.unit_type_id not in accepted_ids]
    if offending:
        ranges = [f"{b.originating_registry}:{b.start}-{b.end}" for b in offending]
        types = sorted({UnitType.objects.get(pk=b.unit_type_id).code for b in offending})
        raise CheckFailed(
            Check.PURPOSE_UNIT_TYPE_NOT_ACCEPTED,
            blocks=ranges,
            ranges=", ".join(ranges),
            unit_types=", ".join(types),
            purpose=purpose.code,
            accepted=", ".join(sorted(t.code for t in accepted)),
        )


def using_party_for(country: str) -> Party | None:
    """The Party of this installation for a country of use, if there is one."""
    return Party.objects.filter(alpha2=country).first() if country else None
