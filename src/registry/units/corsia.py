"""Which units CORSIA accepts: the eligibility list by programme and vintage."""

from __future__ import annotations

from registry.units.models import CorsiaEligibility

#: Programme id -> (first vintage, last vintage, eligible) rows.
Eligibility = dict[int, list[tuple[int, int, bool]]]


def corsia_lookup() -> Eligibility:
    table: Eligibility = {}
    for row in CorsiaEligibility.objects.all():
        table.setdefault(row.programme_id, []).append((row.first_vintage, row.last_vintage, row.eligible))
    return table


def is_corsia_eligible(table: Eligibility, programme_id: int, vintage: int) -> bool:
    return any(first <= vintage <= last and eligible for first, last, eligible in table.get(programme_id, []))
