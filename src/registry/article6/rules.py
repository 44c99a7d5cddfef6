"""The Article 6.2 rules: checks only, they write nothing.

The transaction services call them inside their database transaction, with the blocks already cut
to size and locked (``registry.transactions.article6_services`` says which apply to which movement).
What an authorisation allows is read from its journaled version (``_proven``), not from its row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import F, Q, Sum

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


def check_within_timeframe(authorization: Authorization, blocks: Iterable[tuple[str, int]]) -> None:
    """Units are authorised only if their vintage lies in the authorised timeframe (6022), as the
    journaled version says it (an edited row widens nothing).

    ``blocks`` are (name of the serials, vintage) pairs, e.g. ``("MNG01:1-100", 2023)``.
    """
    version = journaled_authorizations(authorization.registry, [authorization.identifier]).get(authorization.identifier)
    if version is None:  # a row the journal does not know authorises nothing
        raise CheckFailed(Check.AUTHORIZATION_UNKNOWN, authorization=authorization.identifier, registry=authorization.registry.registry_id)
    first, last = version.timeframe_first_vintage, version.timeframe_last_vintage
    outside = [
        (name, vintage) for name, vintage in blocks if not ((first is None or vintage >= first) and (last is None or vintage <= last))
    ]
    if outside:
        names = [name for name, _ in outside]
        raise CheckFailed(
            Check.VINTAGE_OUTSIDE_TIMEFRAME,
            blocks=names,
            ranges=", ".join(names),
            vintage=", ".join(sorted({str(vintage) for _, vintage in outside})),
            timeframe=version.timeframe,
            authorization=authorization.identifier,
        )


def check_authorized_quantity(authorization: Authorization, quantity: int) -> None:
    """The authorisation's quantity, if it names one, is never exceeded (6009), counting the units
    authorised under every version of it, wherever they are now.

    Locks the authorisation's row first: two requests authorising under it at once are counted one
    after the other, never both against the same total.
    """
    authorization = Authorization.objects.select_for_update().get(pk=authorization.pk)
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
    """Units authorised under ``authorization`` (every version shares its identifier), held here or abroad, final or not."""
    total = UnitBlock.objects.filter(authorization__identifier=authorization.identifier).aggregate(n=Sum(F("end") - F("start") + 1))["n"]
    return int(total or 0)


def eligible_for_use(
    *, oimp: bool = False, towards_ndc: bool = False, using_party: Party | None = None, international: bool = False
) -> Q | None:
    """The blocks a use, cancellation or external transfer chosen by quantity may take (``None``: any block).

    For OIMP, units authorised for OIMP; towards an NDC, the using Party's own units or foreign
    units authorised for NDC use and first transferred; leaving for another registry, authorised
    units. Picking among these only means the oldest vintage not being eligible never refuses a
    request that eligible units held could fill.
    """
    if oimp:
        return Q(authorization__purposes__in=[Purpose.OIMP, Purpose.NDC_AND_OIMP])
    if towards_ndc and using_party is not None:
        return Q(project__host_party=using_party) | Q(
            authorization__purposes__in=[Purpose.NDC, Purpose.NDC_AND_OIMP], first_transferred=True
        )
    if international:
        return Q(authorization__isnull=False)
    return None


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


def first_transfer_abroad_due(blocks: Sequence[UnitBlock]) -> list[UnitBlock]:
    """The blocks of another Party's ITMOs not yet first transferred whose authorisation (as
    journaled here) puts their first transfer at their use or cancellation: that Party's registry
    records it (2/CMA.3 annex para 2(b)), told by a notice from here."""
    proven = _proven(blocks)
    return [
        b
        for b in blocks
        if b.authorization_id in proven
        and not b.first_transferred
        and proven[b.authorization_id].authorizing_party is not None
        and proven[b.authorization_id].first_transfer_definition == FirstTransferDefinition.USE_OR_CANCELLATION
    ]


def first_transfer_due(blocks: Sequence[UnitBlock], moment: FirstTransferDefinition) -> list[UnitBlock]:
    """The blocks not yet first transferred whose first transfer happens at ``moment``, by their
    authorisation as journaled.

    The first international transfer is the first transfer of units authorised for NDC use,
    whatever their authorisation says for OIMP (2/CMA.3 annex para 2(a)); a use or cancellation
    for OIMP is the first transfer of any unit still without one (para 2(b): nothing is used for
    OIMP before it is first transferred, whichever moment the authorisation names).
    """
    proven = _proven(blocks)

    def due(version: entries.AuthorizationVersion) -> bool:
        if version.authorizing_party is not None:
            return False  # another Party's ITMOs: their first transfer is that Party's to record, never ours
        if moment == FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER:
            return Purpose.covers_ndc(version.purposes) or version.first_transfer_definition == moment
        if moment == FirstTransferDefinition.USE_OR_CANCELLATION:
            return True
        return version.first_transfer_definition == moment

    return [b for b in blocks if b.authorization_id in proven and not b.first_transferred and due(proven[b.authorization_id])]
