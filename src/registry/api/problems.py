"""Problem details (RFC 9457): the body of every refusal the API gives, with our check code.

The ``type`` of a refusal that has a check code is the check's own address in this API
(``/api/v1/check-codes/4004``), so a client can look up what a code means.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from ninja import Schema

from registry.core.checks import Check, CheckFailed

PROBLEM_TYPE = "application/problem+json"

#: Refusals that mean "there is no such thing (that you may see)".
NOT_FOUND = {
    Check.TRANSACTION_UNKNOWN,
    Check.ACCOUNT_UNKNOWN,
    Check.ACQUIRING_ACCOUNT_UNKNOWN,
    Check.TRANSFERRING_ACCOUNT_UNKNOWN,
    Check.REGISTRY_UNKNOWN,
    Check.AUTHORIZATION_UNKNOWN,
}
#: Refusals that mean "the thing is no longer in a state that allows this".
CONFLICT = {Check.TRANSACTION_NOT_PENDING}


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: int | None = None
    blocks: list[str] = []


#: The refusals every operation may give; public operations never answer 401 or 403.
#: 413: a body over ``REGISTRY_MAX_BODY_BYTES``; 503 (with ``Retry-After``): the database is unavailable.
ERRORS: dict[int, type[Schema]] = {code: Problem for code in (400, 401, 403, 404, 409, 413, 422, 429, 503)}
PUBLIC_ERRORS: dict[int, type[Schema]] = {code: Problem for code in (400, 404, 413, 422, 429, 503)}


def problem(status: int, title: str, detail: str, code: int | None = None, blocks: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    kind = f"/api/v1/check-codes/{code}" if code else "about:blank"
    return {"type": kind, "title": title, "status": status, "detail": detail, "code": code, "blocks": list(blocks)}


def status_of(failure: CheckFailed) -> int:
    if failure.check in NOT_FOUND:
        return 404
    if failure.check in CONFLICT:
        return 409
    return 403 if failure.code // 1000 == 2 else 422


def refusal(failure: CheckFailed) -> tuple[int, dict[str, Any]]:
    """The status and problem body of a failed check."""
    status = status_of(failure)
    title = failure.check.name.replace("_", " ").capitalize()
    return status, problem(status, title, failure.message, failure.code, failure.blocks)


def respond(status: int, body: dict[str, Any] | list[Any], headers: dict[str, str] | None = None) -> HttpResponse:
    """A JSON answer; refusals (4xx) carry the problem details media type; 204 has no body."""
    response = (
        HttpResponse(status=204)
        if status == 204
        else JsonResponse(body, status=status, safe=False, content_type=PROBLEM_TYPE if status >= 400 else "application/json")
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
