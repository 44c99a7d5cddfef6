"""Reading holdings: blocks with their unique identifiers, streamed in a stable order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from registry.accounts.models import Account
from registry.core.identifiers import BlockIdentity, block_identifier
from registry.parties.models import Registry
from registry.units.corsia import corsia_lookup, is_corsia_eligible
from registry.units.models import UnitBlock


@dataclass(frozen=True, slots=True)
class Holding:
    identifier: str
    account: str
    account_type: str
    originating_registry: str
    first: int
    last: int
    quantity: int
    vintage: int
    unit_type: str
    project: str
    cooperative_approach: str
    first_transferring_party: str
    reserved_by: int | None
    authorization: str
    corsia_eligible: bool

    COLUMNS = (
        "identifier",
        "account",
        "account_type",
        "originating_registry",
        "first",
        "last",
        "quantity",
        "vintage",
        "unit_type",
        "project",
        "cooperative_approach",
        "first_transferring_party",
        "reserved_by",
        "authorization",
        "corsia_eligible",
    )


#: What a block's unique identifier is made of (to load with the block).
IDENTITY_FIELDS = ("unit_type__programme", "cooperative_approach", "first_transferring_party")


def identifier_of(block: UnitBlock) -> str:
    return block_identifier(
        BlockIdentity(
            approach=block.cooperative_approach.identifier if block.cooperative_approach else None,
            scheme=block.unit_type.programme.scheme_code,
            originating_registry=block.originating_registry,
            first_transferring_party=block.first_transferring_party.alpha3 if block.first_transferring_party else None,
            first=block.start,
            last=block.end,
            vintage=block.vintage,
        ),
        settings.REGISTRY_BLOCK_IDENTIFIER_FORMAT,
    )


def blocks_of(registry: Registry, account: Account | None = None) -> QuerySet[UnitBlock]:
    blocks = UnitBlock.objects.filter(account__registry=registry)
    if account is not None:
        blocks = blocks.filter(account=account)
    return blocks.select_related("account", "project", "authorization", *IDENTITY_FIELDS).order_by(
        "account__number", "vintage", "originating_registry", "start"
    )


def holdings(registry: Registry, account: Account | None = None) -> Iterator[Holding]:
    return holdings_of(blocks_of(registry, account))


def holdings_of(blocks: QuerySet[UnitBlock] | list[UnitBlock]) -> Iterator[Holding]:
    """The holdings of the given blocks (from ``blocks_of``, perhaps narrowed), streamed."""
    corsia = corsia_lookup()
    for block in blocks.iterator(chunk_size=2000) if isinstance(blocks, QuerySet) else blocks:
        yield Holding(
            identifier=identifier_of(block),
            account=block.account.number,
            account_type=block.account.type,
            originating_registry=block.originating_registry,
            first=block.start,
            last=block.end,
            quantity=block.quantity,
            vintage=block.vintage,
            unit_type=block.unit_type.code,
            project=block.project.identifier,
            cooperative_approach=block.cooperative_approach.identifier if block.cooperative_approach else "",
            first_transferring_party=block.first_transferring_party.alpha3 if block.first_transferring_party else "",
            reserved_by=block.reserved_by_id,
            authorization=block.authorization.identifier if block.authorization else "",
            corsia_eligible=is_corsia_eligible(corsia, block.unit_type.programme_id, block.vintage),
        )
