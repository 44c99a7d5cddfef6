"""Operating hours and maintenance windows of a registry: when account holders may move units.

The movement engine asks it before every account holder's movement, so it sits below the engine.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from registry.core.checks import Check, CheckFailed
from registry.parties.models import Notice, NoticeKind, Registry


def _weekdays(text: str) -> set[int]:
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        days.update(range(int(first), int(last or first) + 1))
    return days


def describe_hours(registry: Registry) -> str:
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    days = sorted(_weekdays(registry.open_weekdays)) if registry.open_weekdays else list(range(7))
    span = f"{names[days[0]]}-{names[days[-1]]}" if days == list(range(days[0], days[-1] + 1)) else ",".join(names[d] for d in days)
    times = f" {registry.opens_at:%H:%M}-{registry.closes_at:%H:%M}" if registry.opens_at and registry.closes_at else ""
    return span + times


def check_open_for_movements(registry: Registry, at: datetime | None = None) -> None:
    """Refuse account holders' movements outside operating hours (2007) and in maintenance windows (2008)."""
    moment = at or timezone.now()
    window = (
        Notice.objects.filter(kind=NoticeKind.MAINTENANCE, starts_at__lte=moment, ends_at__gt=moment)
        .filter(Q(registry=registry) | Q(registry__isnull=True))
        .first()
    )
    if window is not None:
        raise CheckFailed(
            Check.MAINTENANCE_WINDOW,
            registry=registry.registry_id,
            until=window.ends_at.astimezone(zoneinfo.ZoneInfo(registry.time_zone)) if window.ends_at else None,
            title=window.title_en,
            title_ja=window.title_ja,
        )
    if not registry.open_weekdays and not (registry.opens_at and registry.closes_at):
        return
    local = moment.astimezone(zoneinfo.ZoneInfo(registry.time_zone))
    open_day = not registry.open_weekdays or local.weekday() in _weekdays(registry.open_weekdays)
    open_time = not (registry.opens_at and registry.closes_at) or registry.opens_at <= local.time() < registry.closes_at
    if not (open_day and open_time):
        raise CheckFailed(
            Check.OUTSIDE_OPERATING_HOURS,
            registry=registry.registry_id,
            hours=describe_hours(registry),
            zone=registry.time_zone,
            now=f"{local:%a %H:%M}",
            at=moment,  # the interfaces say "now" in the reader's words
        )
