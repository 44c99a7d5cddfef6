"""Proposing, approving, rejecting and cancelling on the web: a preview first, then the one-time code.

Every step that changes the ledger is shown before it happens (both accounts with their holders,
the unit types, the blocks by unique identifier, quantity, purpose and user, what happens next)
and asks for the authenticator's one-time code; a wrong code changes nothing and is logged. The
preview of a proposal is the service itself, run and rolled back: it shows exactly the units the
proposal takes, and the confirmation proposes exactly those (nothing is chosen twice).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction as db
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.models import Operation
from registry.access.services import is_trusted, log_operation
from registry.accounts.models import Account
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.parties.models import Project, Registry
from registry.refusals import refusal_message
from registry.transactions import services as ledger
from registry.transactions.blocks import UnitChoice, requested_units
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock
from registry.web.forms import ConfirmForm, MovementForm, RejectForm
from registry.web.views.app import _account, _transaction


class _Shown(Exception):
    """Carries the preview out of the rolled-back dry run."""

    def __init__(self, preview: dict[str, Any]) -> None:
        self.preview = preview


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def refuse(request: HttpRequest, failure: CheckFailed, action: Operation, target: str, registry: Registry | None = None) -> None:
    """Tell the user why, in their language, and keep it in the operation log."""
    messages.error(request, refusal_message(failure))
    log_operation(request.user, action, registry=registry, target=target, outcome=f"refused {failure.code}", ip=_ip(request))


def code_is_right(request: HttpRequest, token: str) -> bool:
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    return device is not None and device.verify_token(token.strip())


def _holder(account: Account | None) -> str:
    if account is None:
        return "—"
    entity = account.entity
    if entity is None:
        return account.name
    return entity.name_ja if get_language() == "ja" and entity.name_ja else entity.name


def _country(code: str) -> str:
    return f"{countries.name(code)} ({code})" if code else "—"


def describe(tx: Transaction) -> dict[str, Any]:
    """What the preview shows of a transaction, read while its units are still where it left them."""
    assert tx.from_account is not None and tx.to_account is not None
    blocks = []
    for b in tx.blocks.all():
        holding = (
            UnitBlock.objects.select_related("unit_type", "project")
            .filter(originating_registry=b.originating_registry, start__lte=b.start, end__gte=b.start)
            .first()
        )
        blocks.append(
            {
                "identifier": b.identifier,
                "quantity": b.quantity,
                # The reference data's names are in the catalogue (as ``shown_name`` reads them on pages).
                "unit_type": f"{holding.unit_type.code} ({_(holding.unit_type.name)})" if holding else "",
                "project": holding.project.identifier if holding else "",
                "pinned": f"{b.originating_registry}:{b.start}-{b.end}",
            }
        )
    purpose = tx.use_purpose
    return {
        "type": tx.get_type_display(),
        "kind": tx.type,
        "status": tx.status,
        "from_number": tx.from_account.number,
        "from_holder": _holder(tx.from_account),
        "to_number": tx.to_account.number,
        "to_holder": _holder(tx.to_account),
        "to_registry": tx.to_account.registry.registry_id,
        "quantity": tx.quantity,
        "blocks": blocks,
        "unit_types": sorted({b["unit_type"] for b in blocks}),
        "purpose": purpose.label((get_language() or "en")[:2]) if purpose else tx.purpose,
        "aim": tx.aim,
        "credit_user": tx.credit_user,
        "country": _country(tx.use_country),
        "towards_ndc": tx.towards_ndc,
        "trusted": is_trusted(tx.from_account, tx.to_account, timezone.now()),
        "is_transfer": tx.type in (TransactionType.INTERNAL_TRANSFER, TransactionType.EXTERNAL_TRANSFER),
    }


def _dry_run(call: Callable[[], Transaction]) -> dict[str, Any]:
    """Run ``call`` and roll everything back (refusals too): what it would do, or its ``CheckFailed``."""
    try:
        with db.atomic():
            raise _Shown(describe(call()))
    except _Shown as shown:
        return shown.preview


def _next_steps(preview: dict[str, Any], registry_zone: str, after_approval: bool) -> list[str]:
    """What happens after this step, in words, with times in the registry's zone."""
    zone = zoneinfo.ZoneInfo(registry_zone)
    steps = []
    if preview["status"] == TransactionStatus.AWAITING_APPROVAL and not after_approval:
        steps.append(_("Another representative with the right to approve must approve it; until then you may cancel it."))
    if preview["is_transfer"] and not preview["trusted"]:
        hours = settings.REGISTRY_UNTRUSTED_DELAY_HOURS
        when = timezone.localtime(timezone.now() + timedelta(hours=hours), zone)
        steps.append(
            _(
                "The acquiring account is not on the trusted list: after approval the transfer waits %(hours)s hours "
                "and can be cancelled meanwhile. Approved now, it would complete at %(when)s."
            )
            % {"hours": hours, "when": when.strftime("%Y-%m-%d %H:%M %Z")}
        )
    elif preview["status"] == TransactionStatus.COMPLETED or after_approval:
        steps.append(_("It completes at once and cannot be undone."))
    if preview["kind"] in (TransactionType.RETIREMENT, TransactionType.CANCELLATION):
        steps.append(_("Units retired or cancelled never move again; a notice (PDF) is issued when it completes."))
    return steps


def _proposal(request: HttpRequest, account: Account, form: MovementForm, pinned: list[str]) -> Transaction:
    data = form.cleaned_data
    kind = data["kind"]
    project = None
    if data["project"]:
        project = Project.objects.filter(registry=account.registry, identifier=data["project"].strip()).first()
        if project is None:
            raise CheckFailed(Check.PROJECT_UNKNOWN, project=data["project"], registry=account.registry.registry_id)
    if pinned:  # the confirmation of a preview: exactly the units it showed
        ranges: list[tuple[str, SerialRange]] | None = [requested_units(p) for p in pinned]
        quantity = None
    else:
        ranges = [requested_units(p) for p in data["ranges"]] or None
        quantity = data["quantity"]
    return ledger.propose_movement(
        actor=request.user,
        kind=kind,
        from_account=account,
        to_account_number=data["to_account"],
        quantity=quantity,
        ranges=ranges,
        cancellation_kind=data["cancellation_kind"] or "voluntary",
        choice=UnitChoice(unit_type=data["unit_type"], project=project, vintage=data["vintage"]),
        purpose_code=data["use_purpose"].code if data["use_purpose"] else "",
        aim=data["aim"],
        credit_user=data["credit_user"],
        use_country=data["use_country"] or "",
        using_entity=data["using_entity"],
    )


@login_required
@require_POST
def propose(request: HttpRequest, number: str) -> HttpResponse:
    """Without a one-time code: the preview. With it: the proposal, exactly as previewed."""
    account = _account(request, number)
    form = MovementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the form."))
        log_operation(
            request.user, Operation.PROPOSE, registry=account.registry, target=number, outcome="refused: invalid form", ip=_ip(request)
        )
        return redirect("account", number=number)
    pinned = request.POST.getlist("pinned")
    confirm = ConfirmForm(request.POST) if "token" in request.POST else None
    try:
        preview = _dry_run(lambda: _proposal(request, account, form, pinned))
    except CheckFailed as failure:
        refuse(request, failure, Operation.PROPOSE, number, account.registry)
        return redirect("account", number=number)
    if confirm is not None:
        if confirm.is_valid() and code_is_right(request, confirm.cleaned_data["token"]):
            try:
                tx = _proposal(request, account, form, pinned)
            except CheckFailed as failure:
                refuse(request, failure, Operation.PROPOSE, number, account.registry)
                return redirect("account", number=number)
            log_operation(
                request.user, Operation.PROPOSE, registry=account.registry, target=f"T{tx.pk}", outcome=tx.status, ip=_ip(request)
            )
            messages.success(request, _("Transaction %(number)s is %(status)s.") % {"number": tx.pk, "status": tx.get_status_display()})
            return redirect("transaction", pk=tx.pk)
        refuse(request, CheckFailed(Check.ONE_TIME_CODE_WRONG), Operation.PROPOSE, number, account.registry)
    context = {
        "account": account,
        "preview": preview,
        "form": form,
        "confirm_form": ConfirmForm(),
        "next_steps": _next_steps(preview, account.registry.time_zone, after_approval=False),
    }
    return render(request, "web/app/propose_preview.html", context)


DECISIONS = {"approve": Operation.APPROVE, "reject": Operation.REJECT, "cancel": Operation.CANCEL}


def _decide(request: HttpRequest, tx: Transaction, decision: str) -> Transaction:
    if decision == "approve":
        return ledger.approve_transaction(actor=request.user, transaction=tx)
    if decision == "reject":
        return ledger.reject_transaction(actor=request.user, transaction=tx, reason=request.POST.get("reason", "") or "-")
    return ledger.cancel_transaction(actor=request.user, transaction=tx)


@login_required
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve, reject or cancel: the preview (refusals shown at once), then the one-time code."""
    if decision not in DECISIONS:
        raise Http404
    tx = _transaction(request, pk)
    reject_form = RejectForm(request.POST or None)
    try:
        # The decision, run and rolled back: somebody who may not decide learns it before any code.
        _dry_run(lambda: _decide(request, tx, decision) and Transaction.objects.get(pk=tx.pk))
    except CheckFailed as failure:
        refuse(request, failure, DECISIONS[decision], f"T{pk}", tx.registry)
        return redirect("transaction", pk=pk)
    if request.method == "POST" and "token" in request.POST:
        confirm = ConfirmForm(request.POST)
        if decision == "reject" and not reject_form.is_valid():
            messages.error(request, _("Please correct the form."))
        elif confirm.is_valid() and code_is_right(request, confirm.cleaned_data["token"]):
            try:
                _decide(request, tx, decision)
            except CheckFailed as failure:
                refuse(request, failure, DECISIONS[decision], f"T{pk}", tx.registry)
                return redirect("transaction", pk=pk)
            tx.refresh_from_db()
            log_operation(request.user, DECISIONS[decision], registry=tx.registry, target=f"T{pk}", outcome=tx.status, ip=_ip(request))
            messages.success(request, _("Transaction %(number)s is %(status)s.") % {"number": tx.pk, "status": tx.get_status_display()})
            return redirect("transaction", pk=pk)
        else:
            refuse(request, CheckFailed(Check.ONE_TIME_CODE_WRONG), DECISIONS[decision], f"T{pk}", tx.registry)
    preview = describe(tx)
    if decision == "approve":
        next_steps = _next_steps(preview, tx.registry.time_zone, after_approval=True)
    else:
        next_steps = [_("The transaction ends and its units are free again in account %(account)s.") % {"account": preview["from_number"]}]
    context = {
        "tx": tx,
        "decision": decision,
        "preview": preview,
        "confirm_form": ConfirmForm(),
        "reject_form": reject_form if decision == "reject" else None,
        "next_steps": next_steps,
    }
    with timezone.override(zoneinfo.ZoneInfo(tx.registry.time_zone)):
        return render(request, "web/app/decision_preview.html", context)
