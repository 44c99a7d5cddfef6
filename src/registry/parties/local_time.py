"""Moments as people read them: in a registry's own time zone, saying which (never UTC ISO)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime


def zone_abbreviation(local: datetime) -> str:
    """``JST``, or ``UTC+08:00`` where the zone has no letters of its own."""
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def local_time(moment: datetime, zone: str) -> str:
    """``2026-12-03 18:39 JST``: a moment in a registry's zone, saying which zone."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"
