"""At most once: a write sent with an ``Idempotency-Key`` is applied once per token and key.

The answer is recorded (a row with a unique constraint on token and key) in the same database
transaction as the write itself, after it, in one statement. The constraint alone decides: nothing
is looked up before the write (a first request, by far the most common, pays no statement for its
key). A retry does its write, then fails to record its answer (on PostgreSQL a concurrent one waits
on the first request's row until that commits): its whole transaction, write included, rolls back,
and it answers with the stored first result, which it reads then. A retry whose write now fails
in another way (its account no longer reached: 404) answers with the stored result too. A refusal
is a result too: the retry gets the same refusal. The same key with another method, path or body
is refused (422), whatever its write would have done: it is a client's mistake, not a retry.

If the database connection breaks during the commit, nobody can tell whether the write (and its
key) was kept: that is ``OutcomeUnknown``, answered 503 saying a retry with the same key is safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from registry import rows
from registry.access.models import Operation
from registry.access.services import log_operation
from registry.api.models import ApiToken, IdempotencyRecord
from registry.api.problems import problem, refusal, respond
from registry.api.security import require_write, user_of
from registry.core.checks import Check, CheckFailed
from registry.core.journal import canonical_json
from registry.outages import OUTAGES, OutcomeUnknown
from registry.parties.services import administrators_remembered

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

Write = Callable[[], tuple[int, dict[str, Any]]]


def _fingerprint(request: HttpRequest) -> str:
    """Method, path and body; a JSON body by its meaning, so a retry that serialises the same
    values with other spacing or key order is the same request."""
    body = request.body
    with contextlib.suppress(ValueError, TypeError, AttributeError):  # not JSON: compared byte for byte
        body = canonical_json(json.loads(body)).encode() if body else b""
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def _replay(record: tuple[str, int, Any], fingerprint: str) -> HttpResponse:
    stored_fingerprint, status, body = record
    if stored_fingerprint != fingerprint:
        detail = f"This {HEADER} was already used for another request; use a new key for a new request."
        return respond(422, problem(422, "Idempotency key reused", detail, Check.VALUE_INVALID.code))
    return respond(status, body, {"Idempotent-Replayed": "true"})


def _stored(token: ApiToken, key: str) -> tuple[str, int, Any] | None:
    found = rows.fetch(_record(), [token.pk, key])
    if not found:
        return None
    record = rows.build_some(IdempotencyRecord, RECORDED, found[0])
    return record.fingerprint, record.status, record.body


RECORDED = ("fingerprint", "status", "body")


@rows.statement
def _record() -> str:
    # Hand-written (``registry.rows``), as the record's INSERT: every write with a key sends both.
    chosen = ", ".join(rows.column(IdempotencyRecord, name) for name in RECORDED)
    return (
        f"SELECT {chosen} FROM {rows.table(IdempotencyRecord)}"
        f" WHERE {rows.column(IdempotencyRecord, 'token_id')} = %s AND {rows.column(IdempotencyRecord, 'key')} = %s"
    )


def _log_refusal(request: HttpRequest, action: Operation, failure: CheckFailed) -> None:
    log_operation(user_of(request), action, target=request.path, outcome=f"refused {failure.code}")


def apply_once(request: HttpRequest, action: Operation, write: Write) -> HttpResponse:
    """Run ``write`` (returning status and body) in one database transaction, at most once per key.

    A refusal is logged as ``action`` with its check code, as the web logs its refusals.
    """
    try:
        token = require_write(request)
    except CheckFailed as failure:
        _log_refusal(request, action, failure)
        return respond(*refusal(failure))
    key = request.headers.get(HEADER, "")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        detail = f"The {HEADER} must be printable and at most {MAX_KEY_LENGTH} characters long."
        return respond(400, problem(400, "Invalid idempotency key", detail, Check.VALUE_INVALID.code))
    fingerprint = _fingerprint(request)
    committing = False
    try:
        with transaction.atomic(), administrators_remembered():
            try:
                status, body = write()
            except CheckFailed as failure:
                status, body = refusal(failure)
                _log_refusal(request, action, failure)
            if key:
                rows.insert(
                    IdempotencyRecord(token=token, key=key, fingerprint=fingerprint, status=status, body=body, created_at=timezone.now())
                )
            committing = True  # what fails from here on fails in the COMMIT
    except OUTAGES as error:
        if committing:
            raise OutcomeUnknown(str(error)) from error
        raise
    except IntegrityError:
        # Another request with this key committed first: answer as it did. Without a key, a
        # concurrent request made the same unique thing first: nothing of this one was kept.
        if key and (found := _stored(token, key)) is not None:
            return _replay(found, fingerprint)
        detail = "A concurrent request changed the same records first; nothing was changed. Read the current state and retry."
        return respond(409, problem(409, "Conflict", detail))
    except Exception:
        # Rolled back: a retry's write that fails otherwise (not found, a defect) answers as the
        # first request did, as it would have had it looked the key up first.
        if key and (found := _stored(token, key)) is not None:
            return _replay(found, fingerprint)
        raise
    return respond(status, body)
