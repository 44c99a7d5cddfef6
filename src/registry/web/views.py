"""The public front page: each registry's units by type of account, read from the ledger."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Sum
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from registry.accounts.models import AccountType
from registry.article6.aef import ACTION_COLUMNS, build_annual_information, write_workbook
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.units.models import UnitBlock


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    totals = UnitBlock.objects.values("account__registry", "account__type").annotate(units=Sum(F("end") - F("start") + 1)).order_by()
    by_registry: dict[int, dict[str, int]] = {}
    for row in totals:
        by_registry.setdefault(row["account__registry"], {})[row["account__type"]] = row["units"]
    registries = [
        {
            "registry": registry,
            "rows": [(label, by_registry.get(registry.pk, {}).get(value, 0)) for value, label in AccountType.choices],
        }
        for registry in Registry.objects.select_related("party")
    ]
    return render(request, "web/home.html", {"registries": registries, "as_of": timezone.now()})


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@login_required(login_url="/admin/login/")
def aef_download(request: HttpRequest, registry_id: str, year: int, extension: str) -> HttpResponse | FileResponse:
    """The registry's Agreed Electronic Format for ``year``: the workbook, or its actions table as CSV."""
    registry = get_object_or_404(Registry, registry_id=registry_id)
    if not is_administrator(request.user, registry):
        raise PermissionDenied
    report = build_annual_information(registry, year)
    name = f"{registry.registry_id}-AEF-{year}"
    if extension == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(ACTION_COLUMNS))
        writer.writeheader()
        writer.writerows(report.actions)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-actions.csv"'
        return response
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.xlsx"
        write_workbook(report, path)
        content = path.read_bytes()
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
