"""Applications on the web: Form 1 without signing in (followed through a secret link), Forms 2-5
for representatives, review by administrators, and the PDF documents."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.access import permissions
from registry.access.models import Operation
from registry.access.services import log_operation
from registry.accounts.models import Account
from registry.applications import documents, labels, services, uploads
from registry.applications.forms import CorrectionForm, OpeningForm, RequestCorrectionForm, RequestForm, ReviewForm
from registry.applications.models import Application, DocumentKind, Form, Status
from registry.core.checks import CheckFailed
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.refusals import refusal_message
from registry.transactions.models import Transaction, TransactionType

DOCUMENT_FIELDS = [kind.value for kind in DocumentKind]
REVIEW = {
    "review": Operation.APPLICATION_REVIEW,
    "return": Operation.APPLICATION_RETURN,
    "reject": Operation.APPLICATION_REJECT,
    "approve": Operation.APPLICATION_APPROVE,
}


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


HELD_SESSION_KEY = "held_uploads"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _show_problems(form: forms.Form, problems: dict[str, CheckFailed]) -> None:
    for name, failure in problems.items():
        form.add_error(name if name in form.fields else None, refusal_message(failure))


def _held(request: HttpRequest) -> dict[str, services.HeldDocument]:
    return {kind: services.HeldDocument(**doc) for kind, doc in request.session.get(HELD_SESSION_KEY, {}).items()}


def _keep(request: HttpRequest, held: dict[str, services.HeldDocument]) -> None:
    request.session[HELD_SESSION_KEY] = {kind: asdict(doc) for kind, doc in held.items()}


def _admit(request: HttpRequest) -> str | None:
    """Whether this address may send an application now (before its files are read): None, or why not."""
    try:
        uploads.admit_application(request.META.get("REMOTE_ADDR"), int(request.META.get("CONTENT_LENGTH") or 0))
    except CheckFailed as failure:
        log_operation(None, Operation.APPLICATION_SUBMITTED, target=request.path, outcome=f"refused {failure.code}")
        return refusal_message(failure)
    return None


@require_http_methods(["GET", "POST"])
def apply_for_account(request: HttpRequest) -> HttpResponse:
    """Form 1. Every problem is shown at once; documents that passed are kept (in the session) for
    the next attempt, and the form says so beside each."""
    registries = [(r.registry_id, f"{_(r.name)} ({r.registry_id})") for r in Registry.objects.order_by("registry_id")]
    if request.method == "POST" and (refused := _admit(request)) is not None:
        messages.error(request, refused)
        return render(request, "applications/apply.html", {"form": OpeningForm(registries=registries)}, status=429)
    form = OpeningForm(request.POST or None, request.FILES or None, registries=registries)
    held = _held(request)
    if request.method == "POST":
        uploaded = {k: request.FILES.get(k) for k in DOCUMENT_FIELDS}
        if form.is_valid():
            registry = get_object_or_404(Registry, registry_id=form.cleaned_data["registry"])
            try:
                application = services.submit_opening(registry, form.cleaned_data, uploaded, held, base_url=_base_url(request))
            except services.ApplicationInvalid as invalid:
                _show_problems(form, invalid.problems)
                held = invalid.held
            else:
                request.session.pop(HELD_SESSION_KEY, None)
                return redirect("application-status", reference=application.reference, token=application.access_token)
        else:
            held, problems = services.hold_uploads(uploaded, held)
            _show_problems(form, problems)
        _keep(request, held)
    for kind, doc in held.items():
        form[kind].help_text = _("Kept from your previous attempt: %(name)s. Choose a file only to replace it.") % {"name": doc.name}
    return render(request, "applications/apply.html", {"form": form, "held": held})


def _correction_form(application: Application, data: Any = None, files: Any = None) -> forms.Form:
    if application.form == Form.OPEN_ACCOUNT:
        return CorrectionForm(data, files, initial=application.data)
    return RequestCorrectionForm(data, initial=application.data, fields=services.correction_fields(application))


def _resubmit(request: HttpRequest, application: Application) -> forms.Form | None:
    """Handle a correction; the form with its errors, or None when resubmitted."""
    form = _correction_form(application, request.POST, request.FILES)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in DOCUMENT_FIELDS}
        try:
            services.resubmit(
                application, application.access_token, data, {k: request.FILES.get(k) for k in DOCUMENT_FIELDS}, base_url=_base_url(request)
            )
        except services.ApplicationInvalid as invalid:
            _show_problems(form, invalid.problems)
        except CheckFailed as failure:
            form.add_error(None, refusal_message(failure))
        else:
            messages.success(request, _("Your corrections are submitted."))
            return None
    return form


@never_cache  # its address is the applicant's secret link
@require_http_methods(["GET", "POST"])
def application_status(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    application = get_object_or_404(Application, reference=reference)
    if not secrets.compare_digest(token, application.access_token):
        raise Http404
    if request.method == "POST" and (refused := _admit(request)) is not None:
        messages.error(request, refused)
        return redirect("application-status", reference=reference, token=token)
    form = _correction_form(application)
    if request.method == "POST":
        if application.status != Status.RETURNED:
            raise Http404
        form = _resubmit(request, application)  # type: ignore[assignment]
        if form is None:
            return redirect("application-status", reference=reference, token=token)
    context = {"application": application, "form": form, "events": application.events.all(), "rows": labels.comparison(application)}
    return render(request, "applications/status.html", context)


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
        log_operation(request.user, Operation.VIEW_APPLICATION, target=str(pk), outcome="denied")
        raise Http404
    return application, reviewer


@never_cache  # it shows the temporary password of an approved opening or Form 5
@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application, reviewer = _application(request, pk)
    temporary = None
    correction = _correction_form(application) if application.status == Status.RETURNED and not reviewer else None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "resubmit" and application.applicant_id == request.user.pk and application.status == Status.RETURNED:
            correction = _resubmit(request, application)
            if correction is None:
                return redirect("application", pk=application.pk)
        elif not reviewer:
            raise Http404
        else:
            comment = request.POST.get("comment", "")
            base_url = _base_url(request)
            try:
                if action == "review":
                    services.start_review(request.user, application)
                elif action == "return":
                    services.return_for_correction(request.user, application, comment, base_url=base_url)
                elif action == "reject":
                    services.reject(request.user, application, comment, base_url=base_url)
                elif action == "approve":
                    application, temporary = services.approve(request.user, application, base_url=base_url)
                else:
                    raise Http404
                log_operation(
                    request.user, REVIEW[action], registry=application.registry, target=application.reference, outcome=application.status
                )
            except CheckFailed as failure:
                messages.error(request, refusal_message(failure))
                log_operation(
                    request.user,
                    REVIEW[action],
                    registry=application.registry,
                    target=application.reference,
                    outcome=f"refused {failure.code}",
                )
            if temporary is None:  # post/redirect/get, except to show a temporary password once
                return redirect("application", pk=application.pk)
            application.refresh_from_db()
    if reviewer and request.method == "GET":  # who looked at whose application is on record
        log_operation(request.user, Operation.VIEW_APPLICATION, registry=application.registry, target=application.reference)
    context: dict[str, Any] = {
        "application": application,
        "reviewer": reviewer,
        "events": application.events.all(),
        "documents": application.documents.all(),
        "review_form": ReviewForm(),
        "temporary": temporary,
        "open": application.status in (Status.SUBMITTED, Status.UNDER_REVIEW),
        "rows": labels.comparison(application),
        "compare": application.form in (Form.CHANGE_INFORMATION, Form.CREDENTIALS),
        "outcome": labels.approval_outcome(application.result) if application.result else "",
        "correction": correction,
        "closing_refusal": _closing_refusal_text(application.account)
        if application.form == Form.CLOSE_ACCOUNT and application.account and application.status in (Status.SUBMITTED, Status.UNDER_REVIEW)
        else "",
    }
    return render(request, "applications/detail.html", context)


def _closing_refusal_text(account: Account | None) -> str:
    """Form 4 for an account that holds units: the refusal, in the reader's language (7202)."""
    refusal = services.closing_refusal(account) if account is not None else None
    return refusal_message(refusal) if refusal is not None else ""


@login_required
@require_GET
def application_document(request: HttpRequest, pk: int, document: int) -> FileResponse:
    """A document for its reviewers: opened in the browser's PDF viewer (``?view``, in a new tab:
    the strict policy forbids frames and objects) or downloaded."""
    application, reviewer = _application(request, pk)
    found = application.documents.filter(pk=document).first() if reviewer else None
    if found is None:
        log_operation(
            request.user,
            Operation.DOWNLOAD_DOCUMENT,
            registry=application.registry,
            target=f"{application.reference} {document}",
            outcome="denied",
        )
        raise Http404
    # Passports and company papers: every administrator's download is on record.
    log_operation(
        request.user, Operation.DOWNLOAD_DOCUMENT, registry=application.registry, target=f"{application.reference} {found.kind} {found.pk}"
    )
    return FileResponse(
        uploads.path_of(found.stored_name).open("rb"),
        as_attachment="view" not in request.GET,
        filename=found.original_name,
        content_type="application/pdf",
    )


@login_required
@require_POST
def new_request(request: HttpRequest, number: str) -> HttpResponse:
    account = Account.objects.select_related("registry").filter(number=number).first()
    if account is None or not permissions.can_view(request.user, account):
        log_operation(request.user, Operation.VIEW_ACCOUNT, target=number, outcome="denied")
        raise Http404
    form = RequestForm(request.POST)
    form.is_valid()
    if request.POST.get("form") == Form.CLOSE_ACCOUNT and (text := _closing_refusal_text(account)):
        messages.error(request, text)
        return redirect("account", number=number)
    try:
        application = services.submit_request(
            request.user, account, request.POST.get("form", ""), form.cleaned_data, base_url=_base_url(request)
        )
    except CheckFailed as failure:
        log_operation(
            request.user,
            Operation.APPLICATION_SUBMITTED,
            registry=account.registry,
            target=account.number,
            outcome=f"refused {failure.code}",
        )
        messages.error(request, refusal_message(failure))
        return redirect("account", number=number)
    except ValueError:
        log_operation(request.user, Operation.APPLICATION_SUBMITTED, registry=account.registry, target=account.number, outcome="refused")
        messages.error(request, _("Choose the form to send."))
        return redirect("account", number=number)
    return redirect("application", pk=application.pk)


@login_required
@require_GET
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    application, _reviewer = _application(request, pk)
    if application.form != Form.CERTIFICATE or application.status != Status.APPROVED or application.account is None:
        log_operation(request.user, Operation.VIEW_NOTICE, registry=application.registry, target=application.reference, outcome="denied")
        raise Http404
    return _pdf(documents.account_certificate(application.account, application.reference), f"certificate-{application.account.number}.pdf")


@login_required
@require_GET
def use_notice(request: HttpRequest, pk: int) -> HttpResponse:
    tx = Transaction.objects.select_related("registry", "from_account", "using_party", "using_entity").filter(pk=pk).first()
    if tx is None or tx.from_account is None or not permissions.can_view(request.user, tx.from_account):
        log_operation(request.user, Operation.VIEW_NOTICE, target=f"T{pk}", outcome="denied")
        raise Http404
    if tx.type not in (TransactionType.RETIREMENT, TransactionType.CANCELLATION) or tx.status != "completed":
        raise Http404
    return _pdf(documents.use_notice(tx), f"notice-{tx.pk}.pdf")
