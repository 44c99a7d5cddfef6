"""Administrators on the web: their registries, the people of each (users, representatives and
their rights, passwords and login IDs), and what waits for them on the home page.

Every write goes through a service of ``registry.access``, which checks again that the actor
administers the registry; a page of a registry one does not administer does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from registry.access.login_ids import find_user
from registry.access.models import Operation, Representative
from registry.access.permissions import administered_registries
from registry.access.services import create_user, grant_right, initialise_password, log_operation, reissue_login_id, revoke_right
from registry.accounts.models import Account
from registry.applications.models import Application, Status
from registry.core.checks import CheckFailed
from registry.parties.models import Notice, NoticeKind, Registry
from registry.parties.services import is_administrator
from registry.refusals import refusal_message
from registry.transactions.models import Transaction, TransactionStatus
from registry.web.forms import GrantRightForm, NewUserForm, RevokeRightForm, UserForm


@dataclass
class Worklist:
    """What waits for an administrator in the registries they administer."""

    applications: list[Application] = field(default_factory=list)
    awaiting_approval: list[Transaction] = field(default_factory=list)
    delayed: list[Transaction] = field(default_factory=list)
    maintenance: list[Notice] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.applications or self.awaiting_approval or self.delayed or self.maintenance)


def worklist(registries: QuerySet[Registry]) -> Worklist:
    pending = Transaction.objects.filter(registry__in=registries).select_related("registry", "from_account", "to_account")
    return Worklist(
        applications=list(
            Application.objects.filter(registry__in=registries, status__in=[Status.SUBMITTED, Status.UNDER_REVIEW]).select_related(
                "registry", "account"
            )[:50]
        ),
        awaiting_approval=list(pending.filter(status=TransactionStatus.AWAITING_APPROVAL).order_by("pk")[:50]),
        delayed=list(pending.filter(status=TransactionStatus.DELAYED).order_by("execute_after", "pk")[:50]),
        maintenance=list(
            Notice.objects.filter(kind=NoticeKind.MAINTENANCE, ends_at__gt=timezone.now(), registry__in=registries)
            .select_related("registry")
            .order_by("starts_at")
        )
        + list(Notice.objects.filter(kind=NoticeKind.MAINTENANCE, ends_at__gt=timezone.now(), registry__isnull=True).order_by("starts_at")),
    )


#: What each form on the people page does, as the operation log records a refusal of it.
PEOPLE_ACTIONS = {
    "create_user": Operation.USER_CREATED,
    "grant": Operation.GRANT_RIGHT,
    "revoke": Operation.RIGHT_REVOKED,
    "initialise_password": Operation.PASSWORD_INITIALISED,
    "reissue_login_id": Operation.LOGIN_ID_REISSUED,
}


def _administered(request: HttpRequest, registry_id: str) -> Registry:
    registry = get_object_or_404(Registry, registry_id=registry_id)
    if not is_administrator(request.user, registry):
        log_operation(request.user, Operation.REGISTRY_ADMIN, registry=registry, outcome="denied", ip=request.META.get("REMOTE_ADDR"))
        raise Http404
    return registry


@login_required
@require_GET
def registries(request: HttpRequest) -> HttpResponse:
    """The administrator's way in: each registry they administer, with its pages."""
    found = administered_registries(request.user).order_by("registry_id")
    if not found.exists():
        raise Http404
    return render(request, "web/app/registries.html", {"registries": found})


def _user(login_id: str) -> User:
    user = find_user(login_id)
    if user is None:
        raise Http404
    return user


@login_required
@require_http_methods(["GET", "POST"])
def people(request: HttpRequest, registry_id: str) -> HttpResponse:
    """Users and representatives of one registry: create a user, grant and revoke rights, initialise
    a password, reissue a login ID. A temporary password is shown once, on the page that made it."""
    registry = _administered(request, registry_id)
    temporary: tuple[str, str] | None = None
    forms: dict[str, Form] = {
        "new_user": NewUserForm(prefix="new"),
        "grant": GrantRightForm(prefix="grant"),
        "credentials": UserForm(prefix="credentials"),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create_user":
                forms["new_user"] = form = NewUserForm(request.POST, prefix="new")
                if form.is_valid():
                    user, password = create_user(
                        request.user,
                        registry,
                        form.cleaned_data["login_id"],
                        name=form.cleaned_data["name"],
                        email=form.cleaned_data["email"],
                    )
                    temporary = (user.username, password)
                    forms["new_user"] = NewUserForm(prefix="new")
                    forms["grant"] = GrantRightForm(prefix="grant", initial={"username": user.username})
                    messages.success(request, _("User %(login)s is created.") % {"login": user.username})
            elif action == "grant":
                forms["grant"] = grant = GrantRightForm(request.POST, prefix="grant")
                if grant.is_valid():
                    account = get_object_or_404(Account, number=grant.cleaned_data["account"].strip(), registry=registry)
                    user = _user(grant.cleaned_data["username"])
                    grant_right(request.user, account, user, grant.cleaned_data["right"])
                    messages.success(
                        request, _("%(login)s now represents account %(account)s.") % {"login": user.username, "account": account.number}
                    )
                    return redirect("registry-people", registry_id=registry.registry_id)
            elif action == "revoke":
                revoke = RevokeRightForm(request.POST)
                if revoke.is_valid():
                    account = get_object_or_404(Account, number=revoke.cleaned_data["account"], registry=registry)
                    user = _user(revoke.cleaned_data["username"])
                    revoke_right(request.user, account, user)
                    messages.success(
                        request,
                        _("%(login)s no longer represents account %(account)s.") % {"login": user.username, "account": account.number},
                    )
                    return redirect("registry-people", registry_id=registry.registry_id)
            elif action in ("initialise_password", "reissue_login_id"):
                forms["credentials"] = credentials = UserForm(request.POST, prefix="credentials")
                if credentials.is_valid():
                    user = _user(credentials.cleaned_data["username"])
                    if action == "initialise_password":
                        temporary = (user.username, initialise_password(request.user, registry, user))
                        messages.success(request, _("The password of %(login)s is initialised.") % {"login": user.username})
                    else:
                        reissue_login_id(request.user, registry, user, credentials.cleaned_data["new_login"])
                        messages.success(request, _("The login ID is now %(login)s.") % {"login": user.username})
                        return redirect("registry-people", registry_id=registry.registry_id)
            else:
                raise Http404
        except CheckFailed as failure:
            messages.error(request, refusal_message(failure))
            log_operation(
                request.user,
                PEOPLE_ACTIONS.get(action, Operation.REGISTRY_ADMIN),
                registry=registry,
                outcome=f"refused {failure.code}",
                ip=request.META.get("REMOTE_ADDR"),
            )
    accounts = (
        Account.objects.filter(registry=registry)
        .prefetch_related(Prefetch("representatives", queryset=Representative.objects.select_related("user").order_by("user__username")))
        .order_by("number")
    )
    grantable = [a for a in accounts if a.status != "closed"]
    forms["grant"].fields["account"].widget.attrs["list"] = "grantable-accounts"
    context = {"registry": registry, "accounts": accounts, "grantable": grantable, "temporary": temporary, **forms}
    return render(request, "web/app/people.html", context)
