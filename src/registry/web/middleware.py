"""Representatives, administrators and auditors use the registry only after their second factor;
every refusal on the web goes on record."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.audit import gathering_refusals
from registry.access.models import Operation
from registry.access.permissions import needs_second_factor
from registry.access.services import log_operation, must_change_password
from registry.accounts.models import Account
from registry.applications.models import Application
from registry.parties.models import Registry
from registry.transactions.models import Transaction

logger = logging.getLogger("registry.security")

OPEN_PATHS = ("/login/", "/logout/", "/2fa/", "/i18n/", "/static/", "/health", "/public/", "/apply/", "/api/")


class SecondFactorRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # The path first: the user (a session look-up, then the second factor's) is only looked up
        # where it matters, never for an API request (a bearer token, checked by the API itself).
        if (
            request.path != "/"
            and not request.path.startswith(OPEN_PATHS)
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
            and needs_second_factor(user)
        ):
            if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                logout(request)  # signed in without the second factor: start again
                return redirect(f"/login/?next={request.path}")
            return redirect("2fa-setup")
        return self.get_response(request)


#: What a user with a temporary password may still reach: the password page itself, signing out,
#: setting up the second factor (part of signing in), the language switch and what needs no login.
PASSWORD_CHANGE_PATHS = ("/app/password/", "/logout/", "/2fa/", "/i18n/", "/static/", "/health", "/public/", "/apply/", "/api/")


class TemporaryPasswordMustChange:
    """A password someone else chose (an administrator, an approval) opens only the page to choose
    one's own: everything else redirects there until it is done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.path != "/"
            and not request.path.startswith(PASSWORD_CHANGE_PATHS)
            and user.is_authenticated  # looked up only past the paths, as in SecondFactorRequired
            and must_change_password(user)
        ):
            return redirect("password-change")
        return self.get_response(request)


#: Paths whose refusals are recorded elsewhere (the API, with its problem details) or are not
#: refusals of anything a person asked for (static files, the load balancer's probe, what browsers
#: and crawlers ask for by themselves).
UNRECORDED_PATHS = ("/api/", "/static/", "/health", "/favicon.ico", "/robots.txt")
#: Answers that refuse: forbidden, not found (which is also how another account's page answers),
#: method not allowed, and a request the page could not read.
REFUSING_STATUSES = frozenset({400, 403, 404, 405})
#: Which object a page's ``pk`` names, by the page's URL name.
TRANSACTION_PAGES = frozenset({"transaction", "decide", "use-notice"})
APPLICATION_PAGES = frozenset({"application", "application-document", "application-certificate"})


class RecordRefusals:
    """Every refusal on the web goes on record, once, with address and user: a 400, 403, 404 or
    405 answer, and a form sent with invalid data (``registry.access.audit.RecordedForm``), unless
    the view already recorded the refusal itself (with the kind of what was attempted). The entry
    belongs to the registry the page names (its account, transaction, application or registry),
    so that registry's administrators and auditors see attempts on it, outsiders' included.

    Outermost but one (after ``RecordOrigin``): a 404 that ``CommonMiddleware`` turns into a
    redirect to the address with a slash is not a refusal.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UNRECORDED_PATHS):
            return self.get_response(request)
        with gathering_refusals() as gathered:
            response = self.get_response(request)
            if gathered.recorded:
                return response
            if response.status_code in REFUSING_STATUSES:
                outcome = f"refused {response.status_code}"
            elif gathered.invalid_forms and request.method == "POST":
                outcome = "refused: invalid " + "; ".join(gathered.invalid_forms)
            else:
                return response
            try:
                user = request.user if getattr(request, "user", None) is not None and request.user.is_authenticated else None
                log_operation(
                    user,
                    Operation.REQUEST_REFUSED,
                    registry=_registry_named(request),
                    target=f"{request.method} {request.path}",
                    outcome=outcome,
                )
            except Exception:  # the log lives in the database, which may be what failed: the file log must do
                logger.exception("could not record the refusal of %s %s", request.method, request.path)
        return response


def _registry_named(request: HttpRequest) -> Registry | None:
    """The registry of the account, transaction, application or registry the page's address names."""
    match = request.resolver_match
    if match is None:
        return None
    kwargs = match.kwargs
    if "registry_id" in kwargs:
        return Registry.objects.filter(registry_id=kwargs["registry_id"]).first()
    if "number" in kwargs:
        account = Account.objects.filter(number=kwargs["number"]).select_related("registry").first()
        return account.registry if account else None
    if "pk" in kwargs and match.url_name in TRANSACTION_PAGES:
        tx = Transaction.objects.filter(pk=kwargs["pk"]).select_related("registry").first()
        return tx.registry if tx else None
    if "pk" in kwargs and match.url_name in APPLICATION_PAGES:
        application = Application.objects.filter(pk=kwargs["pk"]).select_related("registry").first()
        return application.registry if application else None
    if "reference" in kwargs:
        application = Application.objects.filter(reference=kwargs["reference"]).select_related("registry").first()
        return application.registry if application else None
    return None
