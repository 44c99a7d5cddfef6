"""Corresponding adjustments, summed as reports need them."""

from __future__ import annotations

from collections import defaultdict

from registry.article6.models import AdjustmentKind, CorrespondingAdjustment


def adjustment_totals() -> dict[tuple[str, int], int]:
    """Net adjustment per (Party alpha-2, year): first transfers add, uses subtract."""
    totals: dict[tuple[str, int], int] = defaultdict(int)
    rows = CorrespondingAdjustment.objects.values_list("party__alpha2", "year", "kind", "quantity")
    for party, year, kind, quantity in rows:
        totals[(party, year)] += quantity if kind == AdjustmentKind.FIRST_TRANSFER else -quantity
    return dict(totals)
