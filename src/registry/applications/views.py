"""Applications on the web: Form 1 without signing in (followed through a secret link), Forms 2-5
for representatives, review by administrators, and the PDF documents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.access import permissions
from registry.access.services import log_operation
from registry.accounts.models import Account
from registry.applications import documents, services, uploads
from registry.applications.forms import CorrectionForm, OpeningForm, RequestForm, ReviewForm
from registry.applications.models import Application, DocumentKind, Form, Status
from registry.core.checks import CheckFailed
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.refusals import refusal_message
from registry.transactions.models import Transaction, TransactionType

DOCUMENT_FIELDS = [kind.value for kind in DocumentKind]


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
def apply_for_account(request: HttpRequest) -> HttpResponse:
    registries = [(r.registry_id, f"{_(r.name)} ({r.registry_id})") for r in Registry.objects.order_by("registry_id")]
    form = OpeningForm(request.POST or None, request.FILES or None, registries=registries)
    if request.method == "POST" and form.is_valid():
        registry = get_object_or_404(Registry, registry_id=form.cleaned_data["registry"])
        try:
            application = services.submit_opening(registry, form.cleaned_data, {k: request.FILES.get(k) for k in DOCUMENT_FIELDS})
        except CheckFailed as failure:
            form.add_error(None, refusal_message(failure))
        else:
            return redirect("application-status", reference=application.reference, token=application.access_token)
    return render(request, "applications/apply.html", {"form": form})


@never_cache  # its address is the applicant's secret link
@require_http_methods(["GET", "POST"])
def application_status(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    application = get_object_or_404(Application, reference=reference)
    if token != application.access_token:
        raise Http404
    form = CorrectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in DOCUMENT_FIELDS and v}
        try:
            services.resubmit(application, token, data, {k: request.FILES.get(k) for k in DOCUMENT_FIELDS})
        except CheckFailed as failure:
            form.add_error(None, refusal_message(failure))
        else:
            messages.success(request, _("Your corrections are submitted."))
            return redirect("application-status", reference=reference, token=token)
    return render(request, "applications/status.html", {"application": application, "form": form, "events": application.events.all()})


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    administered = [r for r in permissions.visible_registries(request.user) if is_administrator(request.user, r)]
    found = Application.objects.filter(Q(registry__in=administered) | Q(applicant_id=request.user.pk)).select_related("registry", "account")
    return render(
        request,
        "applications/list.html",
        {"applications": found[:200], "forms": Form.choices[1:], "accounts": permissions.visible_accounts(request.user)},
    )


def _application(request: HttpRequest, pk: int) -> tuple[Application, bool]:
    application = Application.objects.select_related("registry", "account__entity").filter(pk=pk).first()
    if application is None:
        raise Http404
    reviewer = is_administrator(request.user, application.registry)
    if not (reviewer or application.applicant_id == request.user.pk):
        log_operation(request.user, "view_application", target=str(pk), outcome="denied", ip=request.META.get("REMOTE_ADDR"))
        raise Http404
    return application, reviewer


@never_cache  # it shows the temporary password of an approved opening or Form 5
@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application, reviewer = _application(request, pk)
    temporary = None
    if request.method == "POST":
        if not reviewer:
            raise Http404
        comment = request.POST.get("comment", "")
        action = request.POST.get("action")
        try:
            if action == "review":
                services.start_review(request.user, application)
            elif action == "return":
                services.return_for_correction(request.user, application, comment)
            elif action == "reject":
                services.reject(request.user, application, comment)
            elif action == "approve":
                application, temporary = services.approve(request.user, application)
            log_operation(request.user, f"application_{action}", registry=application.registry, target=application.reference)
        except CheckFailed as failure:
            messages.error(request, refusal_message(failure))
        if temporary is None:  # post/redirect/get, except to show a temporary password once
            return redirect("application", pk=application.pk)
        application.refresh_from_db()
    context: dict[str, Any] = {
        "application": application,
        "reviewer": reviewer,
        "events": application.events.all(),
        "documents": application.documents.all(),
        "review_form": ReviewForm(),
        "temporary": temporary,
        "open": application.status in (Status.SUBMITTED, Status.UNDER_REVIEW),
    }
    return render(request, "applications/detail.html", context)


@login_required
@require_GET
def application_document(request: HttpRequest, pk: int, document: int) -> FileResponse:
    application, reviewer = _application(request, pk)
    if not reviewer:
        raise Http404
    found = get_object_or_404(application.documents, pk=document)
    return FileResponse(
        uploads.path_of(found.stored_name).open("rb"), as_attachment=True, filename=found.original_name, content_type="application/pdf"
    )


@login_required
@require_POST
def new_request(request: HttpRequest, number: str) -> HttpResponse:
    account = Account.objects.select_related("registry").filter(number=number).first()
    if account is None or not permissions.can_view(request.user, account):
        raise Http404
    form = RequestForm(request.POST)
    form.is_valid()
    try:
        application = services.submit_request(request.user, account, request.POST.get("form", ""), form.cleaned_data)
    except (CheckFailed, ValueError) as failure:
        messages.error(request, str(getattr(failure, "message", failure)))
        return redirect("applications")
    return redirect("application", pk=application.pk)


@login_required
@require_GET
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    application, _reviewer = _application(request, pk)
    if application.form != Form.CERTIFICATE or application.status != Status.APPROVED or application.account is None:
        raise Http404
    return _pdf(documents.account_certificate(application.account, application.reference), f"certificate-{application.account.number}.pdf")


@login_required
@require_GET
def use_notice(request: HttpRequest, pk: int) -> HttpResponse:
    tx = Transaction.objects.select_related("registry", "from_account", "using_party", "using_entity").filter(pk=pk).first()
    if tx is None or tx.from_account is None or not permissions.can_view(request.user, tx.from_account):
        raise Http404
    if tx.type not in (TransactionType.RETIREMENT, TransactionType.CANCELLATION) or tx.status != "completed":
        raise Http404
    return _pdf(documents.use_notice(tx), f"notice-{tx.pk}.pdf")
