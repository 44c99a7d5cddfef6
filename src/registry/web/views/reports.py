"""Reports for administrators: the Agreed Electronic Format."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from registry import csvfiles
from registry.access.models import Operation
from registry.access.services import log_operation
from registry.article6.aef import ACTION_COLUMNS, FIRST_REPORTING_YEAR, build_annual_information, write_workbook
from registry.parties.models import Registry
from registry.parties.services import is_administrator


@require_GET
@login_required
def aef_download(request: HttpRequest, registry_id: str, year: int, extension: str) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The registry's Agreed Electronic Format for ``year``: the workbook, or its actions table as CSV."""
    registry = get_object_or_404(Registry, registry_id=registry_id)
    if not is_administrator(request.user, registry):
        log_operation(request.user, Operation.AEF_DOWNLOAD, registry=registry, target=str(year), outcome="denied")
        raise PermissionDenied
    if not FIRST_REPORTING_YEAR <= year <= timezone.now().year:  # no report for a year before the first or not yet begun
        raise Http404
    report = build_annual_information(registry, year)
    name = f"{registry.registry_id}-AEF-{year}"
    log_operation(request.user, Operation.AEF_DOWNLOAD, registry=registry, target=str(year), outcome=extension)
    if extension == "csv":
        return csvfiles.response(f"{name}-actions.csv", ACTION_COLUMNS, csvfiles.dict_rows(ACTION_COLUMNS, report.actions))
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
