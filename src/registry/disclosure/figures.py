"""The public figures, read from the ledger (never from hand-kept totals)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from django.core.cache import caches
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import ExtractYear

from registry.accounts.models import AccountType
from registry.parties.models import CooperativeApproach, Entity, Party, Project, Registry, UnitType
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.units.corsia import corsia_lookup, is_corsia_eligible
from registry.units.holdings import identifier_of
from registry.units.models import UnitBlock

T = TypeVar("T")

#: The account types the JCM registry publishes amounts for, in its order.
PUBLISHED_TYPES = [
    AccountType.PARTY_HOLDING,
    AccountType.ENTITY_HOLDING,
    AccountType.RETIREMENT,
    AccountType.MANDATORY_CANCELLATION,
    AccountType.VOLUNTARY_CANCELLATION,
    AccountType.OMGE_CANCELLATION,
    AccountType.USE,
]
HELD = [AccountType.PARTY_HOLDING, AccountType.ENTITY_HOLDING, AccountType.ISSUANCE]
RETIRED = [AccountType.RETIREMENT]
CANCELLED = [AccountType.MANDATORY_CANCELLATION, AccountType.VOLUNTARY_CANCELLATION, AccountType.OMGE_CANCELLATION, AccountType.USE]
STATUS_TYPES = {"held": HELD, "retired": RETIRED, "cancelled": CANCELLED}


def per_journal(registry: Registry, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, recomputed only when the registry's journal has changed since.

    Every change of holdings and every completed transaction appends to the journal, so its head
    names one state of the ledger exactly: a figure cached under it is never stale, and a public
    page read a thousand times between two transactions sums a million blocks once.
    """
    head = Registry.objects.filter(pk=registry.pk).values_list("journal_head", flat=True).get()
    key = f"figures-{name}-{registry.pk}-{head}"
    # Each process's own memory: a figure under one head never changes, so nothing needs sharing.
    found: T | None = caches["figures"].get(key)
    if found is None:
        found = compute()
        caches["figures"].set(key, found, timeout=24 * 3600)
    return found


def units_held(registry: Registry) -> dict[tuple[str, str], int]:
    """Units per (account type, unit type) in the registry."""

    def compute() -> dict[tuple[str, str], int]:
        rows = (
            UnitBlock.objects.filter(account__registry=registry)
            .values("account__type", "unit_type__code")
            .annotate(units=Sum(F("end") - F("start") + 1))
            .order_by()
        )
        return {(r["account__type"], r["unit_type__code"]): int(r["units"]) for r in rows}

    return per_journal(registry, "held", compute)


def amounts_by_account_type(registry: Registry) -> list[dict[str, object]]:
    """Units in each type of account, per unit type: one row per (account type, unit type)."""
    found = units_held(registry)
    unit_types = sorted({code for _, code in found}) or ["JCM"]
    return [
        {"account_type": t.value, "label": t.label, "unit_type": code, "units": found.get((t.value, code), 0)}
        for t in PUBLISHED_TYPES
        for code in unit_types
    ]


def entity_holding_accounts(registry: Registry) -> QuerySet[Entity]:
    """Entities with an entity holding account: names and head-office addresses (public by law in Japan)."""
    return registry.entities.filter(accounts__type=AccountType.ENTITY_HOLDING).distinct().order_by("name")


def annual_transactions(registry: Registry) -> list[dict[str, object]]:
    """Completed transactions per year (in the registry's time zone) and type: how many, how many units."""

    def compute() -> list[dict[str, object]]:
        zone = zoneinfo.ZoneInfo(registry.time_zone)
        rows = (
            Transaction.objects.filter(registry=registry, status=TransactionStatus.COMPLETED)
            .annotate(year=ExtractYear("completed_at", tzinfo=zone))
            .values("year", "type")
            .annotate(count=Count("pk"), units=Sum("quantity"))
            .order_by("-year", "type")
        )
        return [{"year": r["year"], "type": r["type"], "count": r["count"], "units": int(r["units"] or 0)} for r in rows]

    labels = dict(TransactionType.choices)
    return [{**row, "label": labels[str(row["type"])]} for row in per_journal(registry, "annual", compute)]


@dataclass(frozen=True)
class Found:
    identifier: str
    registry: str
    account_type: str
    status: str
    project: str
    programme: str
    unit_type: str
    vintage: int
    first: int
    last: int
    quantity: int
    corsia_eligible: bool

    COLUMNS = (
        "identifier",
        "registry",
        "account_type",
        "status",
        "project",
        "programme",
        "unit_type",
        "vintage",
        "first",
        "last",
        "quantity",
        "corsia_eligible",
    )


IDENTIFIER = re.compile(
    r"^(?P<approach>[A-Z0-9]+)-(?P<registry>[A-Z]{3}\d{2})-(?P<party>[A-Z]{2,3})-(?P<first>\d+)(?:-(?P<last>\d+))?-(?P<vintage>\d{4})$"
)


def search_blocks(
    *,
    registry: str = "",
    project: str = "",
    vintage: int | None = None,
    programme: str = "",
    unit_type: str = "",
    status: str = "",
    serial: int | None = None,
    identifier: str = "",
) -> QuerySet[UnitBlock]:
    """Blocks matching every filter given; what the public may see of them (no holders)."""
    # Only the account is joined; the small tables that name a block's identity are looked up by
    # id, here for the filters and in ``found_rows`` for the results. (Joining all eight tables
    # cost PostgreSQL about 10 ms of planning per query, twenty times the query's own time.)
    blocks = UnitBlock.objects.select_related("account")
    if registry:
        blocks = blocks.filter(account__registry_id__in=_ids(Registry.objects.filter(registry_id=registry)))
    if project:
        blocks = blocks.filter(project_id__in=_ids(Project.objects.filter(identifier__iexact=project)))
    if vintage:
        blocks = blocks.filter(vintage=vintage)
    if programme:
        blocks = blocks.filter(unit_type_id__in=_ids(UnitType.objects.filter(programme__code__iexact=programme)))
    if unit_type:
        blocks = blocks.filter(unit_type_id__in=_ids(UnitType.objects.filter(code__iexact=unit_type)))
    if status in STATUS_TYPES:
        blocks = blocks.filter(account__type__in=[t.value for t in STATUS_TYPES[status]])
    if serial:
        blocks = blocks.filter(start__lte=serial, end__gte=serial)
    if identifier:
        match = IDENTIFIER.match(identifier.strip().upper())
        if match is None:
            return blocks.none()
        first = int(match["first"])
        last = int(match["last"] or first)
        blocks = blocks.filter(originating_registry=match["registry"], vintage=int(match["vintage"]), start__lte=last, end__gte=first)
    return blocks.order_by("originating_registry", "start")


def _ids(rows: QuerySet[Any]) -> list[int]:
    return list(rows.values_list("pk", flat=True))


class _Identities:
    """The rows a block's public identity names, read once per search: registries, unit types and
    their programmes, cooperative approaches and Parties (a few rows each), and the projects of the
    blocks shown, a batch at a time."""

    def __init__(self) -> None:
        self.registries = Registry.objects.in_bulk()
        self.unit_types = {u.pk: u for u in UnitType.objects.select_related("programme")}
        self.approaches = CooperativeApproach.objects.in_bulk()
        self.parties = Party.objects.in_bulk()
        self.projects: dict[int, Project] = {}

    def attach(self, blocks: list[UnitBlock]) -> list[UnitBlock]:
        unknown = {b.project_id for b in blocks} - self.projects.keys()
        if unknown:
            self.projects |= Project.objects.in_bulk(list(unknown))
        for b in blocks:
            b.account.registry = self.registries[b.account.registry_id]
            b.project = self.projects[b.project_id]
            b.unit_type = self.unit_types[b.unit_type_id]
            b.cooperative_approach = self.approaches.get(b.cooperative_approach_id) if b.cooperative_approach_id else None
            b.first_transferring_party = self.parties.get(b.first_transferring_party_id) if b.first_transferring_party_id else None
        return blocks


def _in_batches(blocks: QuerySet[UnitBlock] | list[UnitBlock], size: int = 1000) -> Iterator[list[UnitBlock]]:
    rows = blocks.iterator(chunk_size=size) if isinstance(blocks, QuerySet) else iter(blocks)
    while batch := list(islice(rows, size)):
        yield batch


def found_rows(blocks: QuerySet[UnitBlock] | list[UnitBlock]) -> Iterator[Found]:
    corsia = corsia_lookup()
    status_of = {t.value: name for name, types in STATUS_TYPES.items() for t in types}
    identities = _Identities()
    for block in (b for batch in _in_batches(blocks) for b in identities.attach(batch)):
        yield Found(
            identifier=identifier_of(block),
            registry=block.account.registry.registry_id,
            account_type=block.account.type,
            status=status_of.get(block.account.type, "held"),
            project=block.project.identifier,
            programme=block.unit_type.programme.code,
            unit_type=block.unit_type.code,
            vintage=block.vintage,
            first=block.start,
            last=block.end,
            quantity=block.quantity,
            corsia_eligible=is_corsia_eligible(corsia, block.unit_type.programme_id, block.vintage),
        )


def filters_from(query: dict[str, str]) -> dict[str, object]:
    def number(name: str) -> int | None:
        value = query.get(name, "").strip()
        return int(value) if value.isdigit() else None

    text = ("registry", "project", "programme", "unit_type", "status", "identifier")
    return {**{name: query.get(name, "").strip() for name in text}, "vintage": number("vintage"), "serial": number("serial")}
