"""The REST API: ``/api/v1/``, its OpenAPI document at ``/api/openapi.json``, docs at ``/api/docs``.

Every answer that is not a success is a problem details object (RFC 9457), whatever raised it.
"""

from __future__ import annotations

import contextlib
import logging
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from registry.access.audit import client_address
from registry.access.models import Operation
from registry.access.services import log_operation
from registry.api import accounts, administration, inbox, peer, public, transactions
from registry.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from registry.api.models import ApiToken
from registry.api.parsing import AmbiguousJson, StrictParser
from registry.api.problems import problem, refusal, respond
from registry.api.security import Denied, RateThrottle, TokenAuth
from registry.core.checks import Check, CheckFailed
from registry.outages import OUTAGES, RETRY_AFTER_SECONDS, OutcomeUnknown, is_outage, record

logger = logging.getLogger("registry.api")

DESCRIPTION = """A national carbon-credit registry: JCM credits, J-Credits and Article 6.2 ITMOs.

Machine clients send `Authorization: Bearer <token>` with a token a user creates on the web
(`/app/tokens/`). A token acts as its user, within its scope (read, or read and write) and its
accounts; every rule of the registry applies as on the web, four eyes included: a proposal by a
representative completes only when another person approves it.

Writes accept an `Idempotency-Key` header: the same key with the same request is applied at most
once, and a retry gets the first answer. Refusals are problem details (RFC 9457) with the
registry's check code (`code`, and `type` links to `/api/v1/check-codes/{code}`). Lists continue
with `next_cursor`. Each token (and each address, for public operations) has a rate limit;
beyond it the answer is 429 with `Retry-After`.
"""

api = NinjaAPI(
    title="Carbon registry API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[RateThrottle()],
    parser=StrictParser(),
)
token = TokenAuth()
api.add_router("/v1/", public.router)
api.add_router("/v1/", peer.router)
api.add_router("/v1/", accounts.router, auth=token)
api.add_router("/v1/", transactions.router, auth=token)
api.add_router("/v1/", administration.router, auth=token)
api.add_router("/v1/", inbox.router, auth=token)


WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _record_refusal(request: HttpRequest, outcome: str) -> None:
    """Every refusal is on record with address and user (the token's, if one was accepted)."""
    token = getattr(request, "auth", None)
    user = token.user if isinstance(token, ApiToken) else None
    with contextlib.suppress(*OUTAGES):  # the database is down: the outage handler logs the request
        log_operation(user, Operation.REQUEST_REFUSED, target=f"{request.method} {request.path}", outcome=outcome[:200])


@api.exception_handler(CheckFailed)
def _check_failed(request: HttpRequest, failure: CheckFailed) -> HttpResponse:
    status, body = refusal(failure)
    _record_refusal(request, f"refused {failure.code}")  # e.g. 2001 on an administrator's read
    return respond(status, body)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    if isinstance(error, Denied):
        error.log(request)
    return respond(404, problem(404, "Not found", "No such resource, or not one this token may see."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}" for e in error.errors)
    if request.method in WRITES:
        _record_refusal(request, f"422 {detail}")
    return respond(422, problem(422, "Invalid request", detail, Check.VALUE_INVALID.code))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    _record_refusal(request, "401")
    detail = "Send a valid API token: Authorization: Bearer <token>."
    return respond(401, problem(401, "Unauthenticated", detail), {"WWW-Authenticate": "Bearer"})


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    # Not recorded one by one: the limit is there to shed a flood, not to write it to the database.
    wait = max(1, math.ceil(error.wait or 1))
    detail = f"The rate limit is reached; retry in {wait} s."
    return respond(429, problem(429, "Too many requests", detail), {"Retry-After": str(wait)})


def _too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.REGISTRY_MAX_BODY_BYTES
    _record_refusal(request, f"413 larger than {limit} bytes")
    failure = CheckFailed(Check.REQUEST_TOO_LARGE, limit=f"{limit:,}")
    return respond(413, problem(413, "Request too large", failure.message, failure.code))


@api.exception_handler(RequestDataTooBig)
def _body_too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return _too_large(request)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # What the framework refuses before an operation runs, e.g. a body that is not JSON (400).
    cause = error.__cause__
    if isinstance(cause, RequestDataTooBig):
        return _too_large(request)
    if isinstance(cause, OUTAGES):
        return _outage(request, cause)
    detail = f"{error}: {cause}" if isinstance(cause, AmbiguousJson | ValueError) else str(error)
    if request.method in WRITES:
        _record_refusal(request, f"{error.status_code} {detail}")
    return respond(error.status_code, problem(error.status_code, "Bad request", detail, Check.VALUE_INVALID.code))


def _outage(request: HttpRequest, error: BaseException) -> HttpResponse:
    token = getattr(request, "auth", None)
    record(
        error, request.method or "", request.path, token.user.get_username() if isinstance(token, ApiToken) else "", client_address(request)
    )
    if isinstance(error, OutcomeUnknown):
        detail = "The connection to the database broke while the change was being committed: it may or may not have been made. " + (
            f"Retrying with the same {IDEMPOTENCY_HEADER} is safe: it is applied at most once."
            if request.headers.get(IDEMPOTENCY_HEADER)
            else f"Read the current state before retrying; send an {IDEMPOTENCY_HEADER} to make retries safe."
        )
    else:
        detail = "The registry's database is unavailable; nothing was changed. Retry later."
    return respond(503, problem(503, "Service unavailable", detail), {"Retry-After": str(RETRY_AFTER_SECONDS)})


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    if is_outage(error):  # not a defect: no traceback, and the truth about the write
        return _outage(request, error)
    # A defect, never the client's fault: logged with its traceback, answered as a problem.
    logger.error("API error on %s %s", request.method, request.path, exc_info=error)
    token = getattr(request, "auth", None)
    with contextlib.suppress(*OUTAGES):
        log_operation(
            token.user if isinstance(token, ApiToken) else None,
            Operation.SERVER_ERROR,
            target=f"{request.method} {request.path}",
            outcome="500",
        )
    return respond(500, problem(500, "Internal error", "The registry could not answer; nothing was changed. The error is logged."))


urlpatterns = [path("", api.urls)]
