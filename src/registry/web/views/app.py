"""The account holders' registry: inbox, accounts, movements, approvals, trusted accounts, logs.

Views parse input, ask ``registry.access.permissions``, call a service and render. An account a
user may not see does not exist for them (404), and the attempt is logged.
"""

from __future__ import annotations

import zoneinfo
from typing import cast

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.access import permissions
from registry.access.login_ids import find_user
from registry.access.models import Operation, OperationLog, TrustedAccount
from registry.access.services import add_trusted_account, log_operation, remove_trusted_account, set_movements_suspended
from registry.access.signin import sign_in_record
from registry.accounts.models import Account
from registry.accounts.services import destination_account
from registry.applications.forms import RequestForm
from registry.core.checks import CheckFailed
from registry.notifications.messages import render as render_message
from registry.notifications.models import Notification
from registry.notifications.services import mark_read
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.peers.services import peer_account
from registry.refusals import refusal_message
from registry.transactions.models import Transaction
from registry.transactions.visibility import refused_on_request, seen_from, sides_seeing
from registry.units.holdings import holdings
from registry.web.forms import MovementForm, RejectForm, SuspensionForm, TrustedAccountForm
from registry.web.views.administration import worklist


def _me(request: HttpRequest) -> User:
    """The signed-in user (every view here requires one)."""
    return cast(User, request.user)


def _account(request: HttpRequest, number: str) -> Account:
    account = Account.objects.select_related("registry", "entity").filter(number=number).first()
    if account is None or not permissions.can_view(request.user, account):
        # On the record of the account's registry, so its overseers see who tried to reach it.
        log_operation(request.user, Operation.VIEW_ACCOUNT, registry=account.registry if account else None, target=number, outcome="denied")
        raise Http404
    return account


def _transaction(request: HttpRequest, pk: int) -> Transaction:
    tx = Transaction.objects.select_related("registry", "from_account__registry", "to_account__registry").filter(pk=pk).first()
    visible = tx is not None and any(permissions.can_view(request.user, a) for a in sides_seeing(tx))
    if not visible:
        log_operation(request.user, Operation.VIEW_TRANSACTION, registry=tx.registry if tx else None, target=str(pk), outcome="denied")
        raise Http404
    assert tx is not None
    return tx


def _refused(request: HttpRequest, failure: CheckFailed, action: Operation, target: str, registry: Registry | None = None) -> None:
    messages.error(request, refusal_message(failure))
    log_operation(request.user, action, registry=registry, target=target, outcome=f"refused {failure.code}")


def _user_or_404(login_id: str) -> User:
    user = find_user(login_id)
    if user is None:
        raise Http404
    return user


def _suspensions(request: HttpRequest) -> list[Registry]:
    return list(permissions.visible_registries(request.user).filter(movements_suspended=True))


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        mark_read(_me(request))
        return redirect("app-home")
    notifications = Notification.objects.filter(user=_me(request))[:50]
    inbox = [(n, render_message(n.kind, n.params)) for n in notifications]
    # Like the JCM registry's home page: the previous sign-in and the failures since, so that a
    # stolen login is noticed; times in the zone of the user's (first) registry.
    registry = permissions.visible_registries(request.user).order_by("registry_id").first()
    zone = zoneinfo.ZoneInfo(registry.time_zone if registry else settings.TIME_ZONE)
    context = {"inbox": inbox, "suspended": _suspensions(request), "sign_in": sign_in_record(_me(request)), "zone": zone}
    context["work"] = worklist(permissions.administered_registries(request.user))
    with timezone.override(zone):
        return render(request, "web/app/home.html", context)


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = permissions.visible_accounts(request.user).annotate(units=Sum(F("blocks__end") - F("blocks__start") + 1)).order_by("number")
    return render(request, "web/app/accounts.html", {"accounts": accounts})


def _prefilled(request: HttpRequest) -> dict[str, str]:
    """A block chosen on the holdings table fills the proposal form (its identifier and unit type)."""
    return {name: request.GET[name][:200] for name in ("ranges", "unit_type", "kind") if name in request.GET}


@login_required
@require_GET
def account_detail(request: HttpRequest, number: str) -> HttpResponse:
    account = _account(request, number)
    pending = Transaction.objects.filter(Q(from_account=account) | Q(to_account=account), status__in=["awaiting_approval", "delayed"])
    held = list(holdings(account.registry, account))
    context = {
        "account": account,
        "holdings": held,
        "held_units": sum(h.quantity for h in held),
        "pending": pending.order_by("-pk"),
        "trusted": TrustedAccount.objects.filter(account=account, removed_at__isnull=True).select_related("trusted"),
        "can_initiate": permissions.can_initiate(request.user, account),
        "right": permissions.right_on(request.user, account),
        "form": MovementForm(initial=_prefilled(request)),
        "trusted_form": TrustedAccountForm(),
        "request_form": RequestForm(),
        "suspended": account.registry.movements_suspended,
    }
    with timezone.override(zoneinfo.ZoneInfo(account.registry.time_zone)):
        return render(request, "web/app/account.html", context)


@login_required
@require_GET
def transaction_list(request: HttpRequest) -> HttpResponse:
    found = (
        Transaction.objects.filter(seen_from(permissions.visible_accounts(request.user)))
        .exclude(refused_on_request())
        .select_related("registry", "from_account", "to_account", "proposed_by")
        .order_by("-pk")
    )
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "web/app/transactions.html", {"page": page})


@login_required
@require_GET
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tx = _transaction(request, pk)
    sender = tx.from_account
    pending = tx.status in ("awaiting_approval", "delayed")
    context = {
        "tx": tx,
        "blocks": tx.blocks.all(),
        "can_approve": pending
        and tx.status == "awaiting_approval"
        and sender is not None
        and permissions.can_approve(request.user, sender)
        and tx.proposed_by_id != request.user.pk,
        "can_cancel": pending and (tx.proposed_by_id == request.user.pk or is_administrator(request.user, tx.registry)),
        "reject_form": RejectForm(),
        "proposed_by": _acting_person(request, tx, tx.proposed_by),
        "decided_by": _acting_person(request, tx, tx.decided_by),
    }
    with timezone.override(zoneinfo.ZoneInfo(tx.registry.time_zone)):  # times in the registry's own zone (JST for Japan)
        return render(request, "web/app/transaction.html", context)


def _acting_person(request: HttpRequest, tx: Transaction, person: User | None) -> str:
    """Who proposed or decided, as the viewer may see it: the sending side and its administrators
    see the person (their name, or login ID if none is on record); the counterparty sees only the
    sending account's holder, never a login ID it could aim failed sign-ins at."""
    if person is None:
        return ""
    sender = tx.from_account
    if sender is None or permissions.can_view(request.user, sender):
        return person.get_full_name() or person.get_username()
    return sender.entity.name if sender.entity else sender.name


@login_required
@require_POST
def trusted(request: HttpRequest, number: str, action: str) -> HttpResponse:
    account = _account(request, number)
    form = TrustedAccountForm(request.POST)
    try:
        trusted_number = form.data.get("trusted", "").strip()
        other = peer_account(account.registry, trusted_number) or destination_account(account.registry, trusted_number)
        if other is None:
            from registry.core.checks import Check

            raise CheckFailed(Check.ACCOUNT_UNKNOWN, account=form.data.get("trusted", ""), registry=account.registry.registry_id)
        if action == "add":
            entry = add_trusted_account(request.user, account, other)
            messages.success(
                request,
                _("%(account)s will be trusted from %(when)s.")
                % {"account": other.number, "when": entry.effective_at.strftime("%Y-%m-%d %H:%M")},
            )
        else:
            remove_trusted_account(request.user, account, other)
            messages.success(request, _("%(account)s is no longer trusted.") % {"account": other.number})
    except CheckFailed as failure:
        _refused(
            request,
            failure,
            Operation.TRUSTED_ACCOUNT_ADDED if action == "add" else Operation.TRUSTED_ACCOUNT_REMOVED,
            number,
            account.registry,
        )
    return redirect("account", number=number)


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """Administrators and auditors see their registries' logs; everybody else their own.

    A registry's log is what happened in it, and the sign-ins and other operations (without a
    registry) of its people (administrators, auditors, representatives of its accounts): an
    administrator of Mongolia's registry never sees who signs in to Japan's. Only an installation
    superuser sees everything, failed sign-ins for login IDs nobody has included.
    """
    overseen = [
        r
        for r in permissions.visible_registries(request.user)
        if is_administrator(request.user, r) or permissions.is_auditor(request.user, r)
    ]
    if getattr(request.user, "is_superuser", False):
        operations = OperationLog.objects.all()
        logins = AccessLog.objects.all()
        failures = AccessFailureLog.objects.all()
    elif overseen:
        people = permissions.people_of(overseen)
        usernames = people.values("username")
        operations = OperationLog.objects.filter(Q(registry__in=overseen) | Q(registry__isnull=True, user__in=people))
        logins = AccessLog.objects.filter(username__in=usernames)
        failures = AccessFailureLog.objects.filter(username__in=usernames)
    else:
        operations = OperationLog.objects.filter(user=_me(request))
        logins = AccessLog.objects.filter(username__iexact=request.user.get_username())
        failures = AccessFailureLog.objects.filter(username__iexact=request.user.get_username())  # kept in normal form
    context = {
        "operations": operations.select_related("user", "registry")[:200],
        "logins": logins.order_by("-attempt_time")[:100],
        "failures": failures.order_by("-attempt_time")[:100],
        "overseer": bool(overseen) or getattr(request.user, "is_superuser", False),
    }
    return render(request, "web/app/access_log.html", context)


@never_cache  # it shows temporary passwords
@login_required
@require_http_methods(["GET", "POST"])
def registry_admin(request: HttpRequest, registry_id: str) -> HttpResponse:
    """Administrators: the maintenance switch (users and representatives: ``administration.people``)."""
    registry = get_object_or_404(Registry, registry_id=registry_id)
    if not is_administrator(request.user, registry):
        log_operation(request.user, Operation.REGISTRY_ADMIN, registry=registry, outcome="denied")
        raise Http404
    if request.method == "POST":
        try:
            form = SuspensionForm(request.POST)
            form.is_valid()
            set_movements_suspended(request.user, registry, form.cleaned_data.get("suspended", False), form.cleaned_data.get("notice", ""))
            messages.success(request, _("Done."))
        except CheckFailed as failure:
            _refused(request, failure, Operation.MOVEMENTS_SUSPENDED, registry.registry_id, registry)
    context = {
        "registry": registry,
        "suspension_form": SuspensionForm(initial={"suspended": registry.movements_suspended, "notice": registry.suspension_notice}),
    }
    return render(request, "web/app/registry_admin.html", context)
