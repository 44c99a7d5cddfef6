"""The REST API: ``/api/v1/``, its OpenAPI document at ``/api/openapi.json``, docs at ``/api/docs``.

Every answer that is not a success is a problem details object (RFC 9457), whatever raised it.
"""

from __future__ import annotations

import logging
import math

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from registry.api import accounts, administration, inbox, public, transactions
from registry.api.problems import problem, refusal, respond
from registry.api.security import Denied, RateThrottle, TokenAuth
from registry.core.checks import Check, CheckFailed

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
)
token = TokenAuth()
api.add_router("/v1/", public.router)
api.add_router("/v1/", accounts.router, auth=token)
api.add_router("/v1/", transactions.router, auth=token)
api.add_router("/v1/", administration.router, auth=token)
api.add_router("/v1/", inbox.router, auth=token)


@api.exception_handler(CheckFailed)
def _check_failed(request: HttpRequest, failure: CheckFailed) -> HttpResponse:
    return respond(*refusal(failure))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    if isinstance(error, Denied):
        error.log(request)
    return respond(404, problem(404, "Not found", "No such resource, or not one this token may see."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}" for e in error.errors)
    return respond(422, problem(422, "Invalid request", detail, Check.VALUE_INVALID.code))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    detail = "Send a valid API token: Authorization: Bearer <token>."
    return respond(401, problem(401, "Unauthenticated", detail), {"WWW-Authenticate": "Bearer"})


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    wait = max(1, math.ceil(error.wait or 1))
    detail = f"The rate limit is reached; retry in {wait} s."
    return respond(429, problem(429, "Too many requests", detail), {"Retry-After": str(wait)})


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # What the framework refuses before an operation runs, e.g. a body that is not JSON (400).
    return respond(error.status_code, problem(error.status_code, "Bad request", str(error), Check.VALUE_INVALID.code))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    # A defect, never the client's fault: logged with its traceback, answered as a problem.
    logger.error("API error on %s %s", request.method, request.path, exc_info=error)
    return respond(500, problem(500, "Internal error", "The registry could not answer; nothing was changed. The error is logged."))


urlpatterns = [path("", api.urls)]
