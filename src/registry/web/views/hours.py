"""Administrators set a registry's operating hours and announce maintenance, in the registry's own zone."""

from __future__ import annotations

import zoneinfo
from datetime import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registry.access.models import Operation
from registry.access.services import log_operation, set_operating_hours
from registry.core.checks import CheckFailed
from registry.disclosure.services import announce_maintenance, maintenance_to_announce
from registry.parties.hours_text import JCREDIT_PRESET, describe_hours, weekdays, zone_label
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.refusals import refusal_message
from registry.web.forms import MaintenanceForm, OperatingHoursForm


def _administered(request: HttpRequest, registry_id: str) -> Registry:
    registry = get_object_or_404(Registry, registry_id=registry_id)
    if not is_administrator(request.user, registry):
        log_operation(request.user, Operation.REGISTRY_HOURS, registry=registry, outcome="denied", ip=request.META.get("REMOTE_ADDR"))
        raise Http404
    return registry


def _hours_form(registry: Registry, data: Any = None) -> OperatingHoursForm:
    initial = {
        "days": weekdays(registry.open_weekdays),
        "opens_at": registry.opens_at,
        "closes_at": registry.closes_at,
    }
    return OperatingHoursForm(data, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def registry_hours(request: HttpRequest, registry_id: str) -> HttpResponse:
    registry = _administered(request, registry_id)
    zone = zoneinfo.ZoneInfo(registry.time_zone)
    hours_form, maintenance_form = _hours_form(registry), MaintenanceForm()
    action = request.POST.get("action") if request.method == "POST" else None
    with timezone.override(zone):  # times typed on this page are the registry's local times
        try:
            if action == "jcredit_preset":
                set_operating_hours(request.user, registry, weekdays(JCREDIT_PRESET["open_weekdays"]), time(9), time(23))
                messages.success(request, _("Operating hours are now %(hours)s.") % {"hours": describe_hours(registry)})
                return redirect("registry-hours", registry_id=registry_id)
            if action == "hours":
                hours_form = _hours_form(registry, request.POST)
                if hours_form.is_valid():
                    data = hours_form.cleaned_data
                    set_operating_hours(request.user, registry, data["days"], data["opens_at"], data["closes_at"])
                    messages.success(request, _("Operating hours are now %(hours)s.") % {"hours": describe_hours(registry)})
                    return redirect("registry-hours", registry_id=registry_id)
            if action == "maintenance":
                maintenance_form = MaintenanceForm(request.POST)
                if maintenance_form.is_valid():
                    announce_maintenance(request.user, registry, **maintenance_form.cleaned_data)
                    messages.success(request, _("The maintenance window is announced."))
                    return redirect("registry-hours", registry_id=registry_id)
            elif action is not None:
                raise Http404  # no such action: refused, and on record as every refusal
        except CheckFailed as failure:
            messages.error(request, refusal_message(failure))
            log_operation(
                request.user,
                Operation.MAINTENANCE_ANNOUNCED if action == "maintenance" else Operation.OPERATING_HOURS_SET,
                registry=registry,
                outcome=f"refused {failure.code}",
            )
        context = {
            "registry": registry,
            "zone": zone_label(registry.time_zone),
            "hours": describe_hours(registry),
            "hours_form": hours_form,
            "maintenance_form": maintenance_form,
            "windows": maintenance_to_announce([registry]),
        }
        return render(request, "web/app/registry_hours.html", context)
