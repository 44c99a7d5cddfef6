"""Corresponding adjustments, summed as reports need them, from what the journals prove."""

from __future__ import annotations

from collections import defaultdict

from registry.core.entries import parse_body
from registry.journal.models import JournalEntry
from registry.journal.replay import project_hosts, scratched
from registry.parties.models import Party, Registry


def adjustment_totals() -> dict[tuple[str, int], int]:
    """Net adjustment per (Party alpha-2, year): first transfers add, uses subtract.

    Each registry's journal is replayed: a row of ``CorrespondingAdjustment`` edited behind the
    services' back never reaches these figures (``registry verify`` names it).
    """
    alpha2 = dict(Party.objects.values_list("alpha3", "alpha2"))
    totals: dict[tuple[str, int], int] = defaultdict(int)
    hosts = project_hosts()
    for registry in Registry.objects.order_by("registry_id"):
        with scratched(hosts=hosts) as replay:
            for entry in JournalEntry.objects.filter(registry=registry).order_by("sequence").iterator(chunk_size=2000):
                replay.apply(parse_body(entry.body))
            for proven in replay.adjustments:
                a = proven.adjustment
                totals[(alpha2[a.party], a.year)] += a.quantity if a.kind == "first_transfer" else -a.quantity
    return dict(totals)
