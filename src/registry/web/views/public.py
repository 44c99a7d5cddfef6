"""The public front page: each registry's units by type of account, read from the ledger."""

from __future__ import annotations

from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from registry.accounts.models import AccountType
from registry.parties.models import Registry
from registry.units.models import UnitBlock


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    totals = UnitBlock.objects.values("account__registry", "account__type").annotate(units=Sum(F("end") - F("start") + 1)).order_by()
    by_registry: dict[int, dict[str, int]] = {}
    for row in totals:
        by_registry.setdefault(row["account__registry"], {})[row["account__type"]] = row["units"]
    registries = [
        {"registry": registry, "rows": [(label, by_registry.get(registry.pk, {}).get(value, 0)) for value, label in AccountType.choices]}
        for registry in Registry.objects.select_related("party")
    ]
    return render(request, "web/home.html", {"registries": registries, "as_of": timezone.now()})


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
