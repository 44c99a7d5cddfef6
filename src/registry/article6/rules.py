"""The Article 6.2 rules: checks only, they write nothing.

The transaction services call them inside their database transaction, with the blocks already cut
to size and locked (``registry.transactions.article6_services`` says which apply to which movement).
What an authorisation allows is read from its journaled version (``_proven``), not from its row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import F, Sum

from registry.article6.models import Authorization, FirstTransferDefinition, Purpose
from registry.core import entries
from registry.core.checks import Check, CheckFailed
from registry.journal.services import journaled_authorizations
from registry.parties.models import CooperativeApproach, Party, Project, Registry
from registry.units.models import UnitBlock


def describe(blocks: Iterable[UnitBlock]) -> list[str]:
    return [f"{b.originating_registry}:{b.start}-{b.end}" for b in blocks]


def fail(check: Check, offending: Sequence[UnitBlock], **params: object) -> CheckFailed:
    ranges = describe(offending)
    return CheckFailed(check, blocks=ranges, ranges=", ".join(ranges), **params)


def project_hosts(blocks: Iterable[UnitBlock]) -> dict[int, int]:
    """Project id -> host Party id, in one query."""
    ids = {b.project_id for b in blocks}
    return dict(Project.objects.filter(pk__in=ids).values_list("pk", "host_party_id"))


def _authorizations(blocks: Iterable[UnitBlock]) -> dict[int, Authorization]:
    ids = {b.authorization_id for b in blocks if b.authorization_id is not None}
    return Authorization.objects.select_related("registry__party").in_bulk(ids)


def _proven(blocks: Iterable[UnitBlock]) -> dict[int, entries.AuthorizationVersion]:
    """Authorisation id -> its version in force as the journal proves it (not as the row may have
    been edited since). An authorisation the journal does not know is missing: nothing it would allow is."""
    rows = _authorizations(blocks)
    by_registry: dict[int, list[Authorization]] = defaultdict(list)
    for row in rows.values():
        by_registry[row.registry_id].append(row)
    proven: dict[int, entries.AuthorizationVersion] = {}
    for group in by_registry.values():
        journaled = journaled_authorizations(group[0].registry, [a.identifier for a in group])
        proven |= {a.pk: journaled[a.identifier] for a in group if a.identifier in journaled}
    return proven


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
    hosts = project_hosts(moving)
    proven = _proven(moving)
    foreign = [b for b in moving if is_foreign(b, using_party, hosts)]
    unauthorized = [b for b in foreign if b.authorization_id not in proven or not Purpose.covers_ndc(proven[b.authorization_id].purposes)]
    if unauthorized:
        raise fail(Check.NOT_AUTHORIZED_FOR_NDC, unauthorized)
    not_transferred = [b for b in foreign if not b.first_transferred]
    if not_transferred:
        raise fail(Check.NOT_FIRST_TRANSFERRED, not_transferred, party=using_party.alpha2)


def check_use_for_oimp(moving: Sequence[UnitBlock]) -> None:
    proven = _proven(moving)
    unauthorized = [b for b in moving if b.authorization_id not in proven or not Purpose.covers_oimp(proven[b.authorization_id].purposes)]
    if unauthorized:
        raise fail(Check.NOT_AUTHORIZED_FOR_OIMP, unauthorized)


def check_international_transfer(moving: Sequence[UnitBlock]) -> None:
    proven = _proven(moving)
    unauthorized = [b for b in moving if b.authorization_id not in proven]
    if unauthorized:
        raise fail(Check.NOT_AUTHORIZED_FOR_TRANSFER, unauthorized)


def first_transfer_due(blocks: Sequence[UnitBlock], definition: FirstTransferDefinition) -> list[UnitBlock]:
    """The blocks whose authorisation (as journaled) puts their first transfer at ``definition``, not yet first transferred."""
    proven = _proven(blocks)
    return [
        b
        for b in blocks
        if b.authorization_id in proven and not b.first_transferred and proven[b.authorization_id].first_transfer_definition == definition
    ]
