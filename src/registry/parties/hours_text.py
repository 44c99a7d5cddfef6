"""Operating hours as people read them: in the registry's zone, saying which, in their language (used by every interface)."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from registry.parties.local_time import zone_abbreviation
from registry.parties.models import Registry

#: The J-Credit registry system's hours (REFERENCES.md): weekdays 9:00-23:00 Japan time.
JCREDIT_PRESET = {"open_weekdays": "0-4", "opens_at": "09:00", "closes_at": "23:00", "zone": "Asia/Tokyo"}


def weekdays(text: str) -> list[int]:
    """``"0-4"`` or ``"0,2,4"`` (Monday is 0) as sorted day numbers; empty means every day."""
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if part:
            first, _sep, last = part.partition("-")
            days.update(range(int(first), int(last or first) + 1))
    return sorted(days) if days else list(range(7))


def describe_hours(registry: Registry) -> str:
    """``Mon-Fri 09:00-23:00`` (in Japanese with Japanese day names), or ``always open``."""
    if not registry.open_weekdays and not (registry.opens_at and registry.closes_at):
        return _("at any time")
    days = weekdays(registry.open_weekdays)
    names = [str(WEEKDAYS_ABBR[d]) for d in days]
    dash = _("%(first)s-%(last)s")
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        span = dash % {"first": names[0], "last": names[-1]}
    else:
        span = _(", ").join(names)
    if len(days) == 7:
        span = _("every day")
    if registry.opens_at and registry.closes_at:
        return f"{span} " + dash % {"first": f"{registry.opens_at:%H:%M}", "last": f"{registry.closes_at:%H:%M}"}
    return span


def zone_label(zone: str) -> str:
    """``Asia/Tokyo, JST``: the zone's name and what its clocks are called now."""
    return f"{zone}, {zone_abbreviation(timezone.now().astimezone(zoneinfo.ZoneInfo(zone)))}"
