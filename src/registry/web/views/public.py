"""The public front page: each registry's units by type of account, read from the ledger."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from registry.accounts.models import AccountType
from registry.disclosure import published
from registry.disclosure.figures import units_held
from registry.parties.models import Notice, Registry
from registry.replica import reads_from_replica


@require_GET
@reads_from_replica
@published.page("home")
def home(request: HttpRequest) -> HttpResponse:
    registries = []
    for registry in Registry.objects.select_related("party"):
        by_type: dict[str, int] = {}
        for (account_type, _unit_type), units in units_held(registry).items():
            by_type[account_type] = by_type.get(account_type, 0) + units
        registries.append({"registry": registry, "rows": [(label, by_type.get(value, 0)) for value, label in AccountType.choices]})
    notices = Notice.objects.filter(published_at__lte=timezone.now()).select_related("registry")[:3]
    return render(request, "web/home.html", {"registries": registries, "as_of": timezone.now(), "notices": notices})


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
