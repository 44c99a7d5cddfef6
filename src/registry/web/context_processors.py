"""What every page shows: maintenance announced or going on, and emergency suspensions, by registry."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone, translation

from registry.disclosure.services import maintenance_to_announce
from registry.parties.local_time import local_time
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.web.views.public import has_session


def announcements(request: HttpRequest) -> dict[str, Any]:
    if request.path.startswith(("/api/", "/static/", "/health")):
        return {}
    japanese = translation.get_language() == "ja"
    registries = {r.pk: r for r in Registry.objects.all()}
    now = timezone.now()
    banners = []
    for notice in maintenance_to_announce():
        concerned = [registries[notice.registry_id]] if notice.registry_id else list(registries.values())
        for registry in concerned:
            banners.append(
                {
                    "registry": registry,
                    "ongoing": notice.starts_at is not None and notice.starts_at <= now,
                    "starts": local_time(notice.starts_at, registry.time_zone) if notice.starts_at else "",
                    "ends": local_time(notice.ends_at, registry.time_zone) if notice.ends_at else "",
                    "title": notice.title_ja if japanese and notice.title_ja else notice.title_en,
                }
            )
    suspended = [r for r in registries.values() if r.movements_suspended]
    administered: list[Registry] = []
    if request.user.is_authenticated:
        administered = [r for r in registries.values() if is_administrator(request.user, r)]
    return {
        "maintenance_banners": banners,
        "suspended_registries": suspended,
        "administered_registries": administered,
        "language_token": has_session(request),  # see change_language
    }
