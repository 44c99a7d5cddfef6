"""Refusals and failures the framework decides before (or instead of) a view: CSRF failures and
server errors, each on record with address and user; database outages answered 503; error pages in
the reader's language, styled like the rest, with a way back."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views import csrf

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.outages import RETRY_AFTER_SECONDS, current_outage, record

logger = logging.getLogger("registry.security")


def _user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def _record(request: HttpRequest, action: Operation, outcome: str) -> None:
    try:
        log_operation(_user(request), action, target=f"{request.method} {request.path}"[:200], outcome=outcome)
    except Exception:  # the log lives in the database too, which may be what failed: the file log must do
        logger.exception("could not record %s %s of %s", action, outcome, request.path)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: refused (403) and on record, as any refusal."""
    logger.warning("CSRF refusal on %s %s from %s: %s", request.method, request.path, request.META.get("REMOTE_ADDR"), reason)
    _record(request, Operation.REQUEST_REFUSED, f"403 CSRF: {reason}")
    return csrf.csrf_failure(request, reason)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: an outage becomes a 503 page in the user's language; a defect is recorded."""
    outage = current_outage()
    if outage is not None:
        cached = getattr(request, "_cached_user", None)  # asking for request.user would ask the database again
        user = cached.get_username() if cached is not None and cached.is_authenticated else ""
        record(outage, request.method or "", request.path, user, request.META.get("REMOTE_ADDR"))
        # Rendered without the request context: the menu and the session need the database.
        page = loader.render_to_string("web/outage.html", {"write": request.method not in ("GET", "HEAD", "OPTIONS")})
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    _record(request, Operation.SERVER_ERROR, "500")
    # No context processors: whatever failed (the database, say) must not fail this page too.
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "heading": _("You may not open this page"),
        "explanation": _("Your sign-in does not give access to this page. If you think it should, ask the registry's administrators."),
    }
    return render(request, "error.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "heading": _("Page not found"),
        "explanation": _("There is no such page, or it is not yours to see. Check the address, or start again from the menu."),
    }
    return render(request, "error.html", context, status=404)
