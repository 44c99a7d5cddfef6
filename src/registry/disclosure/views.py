"""Public pages, no sign-in: entity holding accounts, amounts per type of account, the annual
transactions summary, credit search, notices and the CORSIA eligibility list; each also as CSV."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from registry import csvfiles
from registry.disclosure import figures, published
from registry.parties.hours_text import describe_hours, zone_label
from registry.parties.models import Notice, Registry
from registry.replica import reads_from_replica
from registry.transactions.models import TransactionType
from registry.units.models import CorsiaEligibility


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _registry(registry_id: str) -> Registry:
    return get_object_or_404(Registry.objects.select_related("party"), registry_id=registry_id)


@require_GET
@reads_from_replica
@published.page("index")
def index(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    registries = Registry.objects.select_related("party").order_by("registry_id")
    notices = Notice.objects.filter(published_at__lte=timezone.now())[:10]
    return render(
        request,
        "disclosure/index.html",
        {
            "registries": registries,
            "notices": notices,
            "hours": {r.pk: f"{describe_hours(r)} ({zone_label(r.time_zone)})" for r in registries},
        },
    )


@require_GET
@reads_from_replica
def entities(request: HttpRequest, registry_id: str) -> HttpResponse | StreamingHttpResponse:
    registry = _registry(registry_id)
    found = figures.entity_holding_accounts(registry)
    if _wants_csv(request):
        return csvfiles.response(
            f"{registry.registry_id}-entity-holding-accounts.csv",
            ["name", "name_ja", "country", "head_office"],
            [[e.name, e.name_ja, e.country, e.head_office] for e in found],
        )
    return render(request, "disclosure/entities.html", {"registry": registry, "entities": found, "as_of": timezone.now()})


@require_GET
@reads_from_replica
def amounts(request: HttpRequest, registry_id: str) -> HttpResponse | StreamingHttpResponse:
    registry = _registry(registry_id)
    rows = figures.amounts_by_account_type(registry)
    if _wants_csv(request):
        return csvfiles.response(
            f"{registry.registry_id}-amounts.csv",
            ["account_type", "unit_type", "units"],
            [[r["account_type"], r["unit_type"], r["units"]] for r in rows],
        )
    largest = max([int(str(r["units"])) for r in rows] + [1])
    bars = [{**r, "width": round(400 * int(str(r["units"])) / largest), "y": 28 * i} for i, r in enumerate(rows)]
    return render(
        request,
        "disclosure/amounts.html",
        {"registry": registry, "rows": rows, "bars": bars, "height": 28 * len(rows), "as_of": timezone.now()},
    )


@require_GET
@reads_from_replica
def transactions(request: HttpRequest, registry_id: str) -> HttpResponse | StreamingHttpResponse:
    registry = _registry(registry_id)
    rows = figures.annual_transactions(registry)
    if _wants_csv(request):
        return csvfiles.response(
            f"{registry.registry_id}-annual-transactions.csv",
            ["year", "type", "count", "units"],
            [[r["year"], r["type"], r["count"], r["units"]] for r in rows],
        )
    # Authorisations and first transfers change the state of units already counted as movements.
    state_changes = {TransactionType.AUTHORIZATION, TransactionType.FIRST_TRANSFER}
    context = {
        "registry": registry,
        "rows": [r for r in rows if r["type"] not in state_changes],
        "authorisations": [r for r in rows if r["type"] in state_changes],
        "as_of": timezone.now(),
    }
    return render(request, "disclosure/transactions.html", context)


@require_GET
@reads_from_replica
def search(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    filters = figures.filters_from(request.GET.dict())
    blocks = figures.search_blocks(**filters)  # type: ignore[arg-type]
    if _wants_csv(request):
        return csvfiles.response(
            "credit-search.csv", figures.Found.COLUMNS, ([getattr(f, c) for c in figures.Found.COLUMNS] for f in figures.found_rows(blocks))
        )
    page = Paginator(blocks, 50).get_page(request.GET.get("page"))
    results = list(figures.found_rows(blocks.filter(pk__in=[b.pk for b in page])))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disclosure/search.html",
        {"page": page, "results": results, "filters": filters, "query": query.urlencode(), "as_of": timezone.now()},
    )


@require_GET
@reads_from_replica
def corsia(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    rows = CorsiaEligibility.objects.select_related("programme")
    if _wants_csv(request):
        header = ["programme", "first_vintage", "last_vintage", "eligible", "compliance_period", "note"]
        return csvfiles.response(
            "corsia-eligibility.csv",
            header,
            [[r.programme.code, r.first_vintage, r.last_vintage, r.eligible, r.compliance_period, r.note] for r in rows],
        )
    return render(request, "disclosure/corsia.html", {"rows": rows})


def notice_text(notice: Notice) -> tuple[str, str]:
    japanese = translation.get_language() == "ja"
    return (
        notice.title_ja if japanese and notice.title_ja else notice.title_en,
        notice.body_ja if japanese and notice.body_ja else notice.body_en,
    )
