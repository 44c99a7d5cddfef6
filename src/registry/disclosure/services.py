"""Administrators' notices: what's new, and maintenance windows (which also stop account holders' movements)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.core.checks import Check, CheckFailed
from registry.parties.models import Notice, NoticeKind, Registry
from registry.parties.services import Actor, ensure_administrator

#: How long before it starts a maintenance window is announced in the app and on the public pages.
ANNOUNCED_AHEAD = timedelta(days=7)


def announce_maintenance(
    actor: Actor,
    registry: Registry,
    *,
    starts_at: datetime,
    ends_at: datetime,
    title_en: str,
    title_ja: str,
    body_en: str = "",
    body_ja: str = "",
) -> Notice:
    """Publish a maintenance window of one registry, in both languages; movements stop while it lasts."""
    ensure_administrator(actor, registry)
    if ends_at <= starts_at:
        raise CheckFailed(Check.VALUE_INVALID, field="Maintenance window", detail="the window must end after it starts")
    if not title_en.strip() or not title_ja.strip():
        raise CheckFailed(Check.VALUE_INVALID, field="Title", detail="required in both languages")
    notice = Notice.objects.create(
        registry=registry,
        kind=NoticeKind.MAINTENANCE,
        title_en=title_en.strip(),
        title_ja=title_ja.strip(),
        body_en=body_en.strip(),
        body_ja=body_ja.strip(),
        published_at=timezone.now(),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    log_operation(
        actor, Operation.MAINTENANCE_ANNOUNCED, registry=registry, target=f"notice-{notice.pk}", outcome=f"{starts_at:%Y-%m-%d %H:%M%z}"
    )
    return notice


def maintenance_to_announce(registries: list[Registry] | None = None, at: datetime | None = None) -> list[Notice]:
    """Maintenance windows going on or starting within ``ANNOUNCED_AHEAD``, soonest first."""
    moment = at or timezone.now()
    found = Notice.objects.filter(kind=NoticeKind.MAINTENANCE, ends_at__gt=moment, starts_at__lte=moment + ANNOUNCED_AHEAD).select_related(
        "registry"
    )
    if registries is not None:
        found = found.filter(registry__in=registries) | found.filter(registry__isnull=True)
    return list(found.order_by("starts_at"))
