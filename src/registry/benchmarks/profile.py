"""Where one API transfer spends its time: ``registry bench-part profile`` on a scratch registry.

It sends administrator's 1-unit transfers with an ``Idempotency-Key`` through the whole Django stack
in this process (Django's test client: every middleware, the API's authentication, rate limit,
schema validation, the idempotency record, the movement engine, the operation log, the response),
under ``cProfile``, and adds up the time of the functions that do each part. It also lists the SQL
statements one transfer sends. The parts overlap nowhere except where said ("of which").
"""

from __future__ import annotations

import cProfile
import json
import pstats
import time
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections
from django.test import Client, override_settings

from registry.api.models import Scope
from registry.api.tokens import create_token
from registry.benchmarks.ledger import World

#: (part, path fragment, function name); the time of a part is its functions' cumulative time.
PARTS: list[tuple[str, str, str]] = [
    ("whole request (Django's handler)", "django/core/handlers/base.py", "get_response"),
    ("the API operation (after the middleware)", "ninja/operation.py", "run"),
    ("token lookup", "registry/api/tokens.py", "find_token"),
    ("rate limit", "registry/api/security.py", "allow_request"),
    ("the write with its idempotency record", "registry/api/idempotency.py", "apply_once"),
    ("the use case (permissions, look-ups, engine)", "registry/api/transactions.py", "write"),
    ("API permission check and both accounts (accounts_for_transfer)", "registry/api/security.py", "accounts_for_transfer"),
    ("movement engine (transfer_units, in its savepoint)", "registry/transactions/engine.py", "run"),
    ("of which: picking blocks under lock", "registry/transactions/blocks.py", "pick_by_quantity"),
    ("of which: hand-over and merge", "registry/transactions/blocks.py", "hand_over_pieces"),  # completing at once
    ("of which: notifications", "registry/transactions/events.py", "completed"),
    ("of which: journal entry (canonical JSON, hash, head)", "registry/journal/services.py", "append_entry"),
    ("operation log", "registry/access/services.py", "log_operation"),
    ("response body (transaction_out)", "registry/api/transactions.py", "transaction_out"),
]


def _cumulative(stats: pstats.Stats, fragment: str, name: str) -> float | None:
    found = [
        figures[3]
        for (filename, _line, function), figures in stats.stats.items()  # type: ignore[attr-defined]
        if function == name and filename.replace("\\", "/").endswith(fragment)
    ]
    return max(found) if found else None


def profile_api_transfers(world: World, transfers: int) -> dict[str, Any]:
    """Profile ``transfers`` API transfers (after 20 unprofiled ones); milliseconds per transfer by part."""
    _token, secret = create_token(world.admin, "profile", Scope.WRITE, days=1)
    sender, receiver = world.pairs[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="127.0.0.1")  # an allowed host, as a local client
    body = json.dumps({"kind": "internal_transfer", "from_account": sender.number, "to_account": receiver.number, "quantity": 1})
    sent = 0

    def transfer() -> None:
        nonlocal sent
        sent += 1
        answer = client.post(
            "/api/v1/transactions",
            body,
            content_type="application/json",
            secure=True,
            HTTP_IDEMPOTENCY_KEY=f"profile-{time.time_ns()}-{sent}",
        )
        if answer.status_code != 201:
            raise RuntimeError(f"the API refused a transfer: {answer.content[:300]!r}")

    for _ in range(20):
        transfer()
    statements: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        transfer()
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(transfers):
        transfer()
    unprofiled_ms = (time.perf_counter() - began) * 1000 / transfers
    # This process's CPU time: on a loaded machine a steadier figure than the wall time.
    cpu_ms = (time.process_time() - cpu) * 1000 / transfers
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(transfers):
        transfer()
    profiler.disable()
    stats = pstats.Stats(profiler)
    parts = {}
    for part, fragment, name in PARTS:
        seconds = _cumulative(stats, fragment, name)
        parts[part] = None if seconds is None else seconds * 1000 / transfers
    return {
        "transfer_ms_unprofiled": unprofiled_ms,
        "cpu_ms_unprofiled": cpu_ms,
        "parts_ms_profiled": parts,
        "statements": [s[:120] for s in statements],
    }


def profile_public_pages(paths: list[str], requests: int) -> dict[str, Any]:
    """Each of ``paths`` asked ``requests`` times by an anonymous client without cookies (as the load
    generator asks) through the whole stack in this process, each request begun as a server begins
    it (the connection checked): milliseconds of CPU per request, the statements one request sends
    and the connection checks Django made besides them, and the functions that took most of the time (cProfile, cumulative).

    The public rate limit is raised as ``registry bench`` raises it for its server: the pages are
    measured, not the refusal of a flood (the limit's own cost stays in every request)."""
    with override_settings(REGISTRY_API_ANONYMOUS_RATE="1000000/60"):
        return _profile_public_pages(paths, requests)


def _profile_public_pages(paths: list[str], requests: int) -> dict[str, Any]:
    client = Client(HTTP_HOST="127.0.0.1")
    checks = 0
    usable = connection.is_usable

    def counted() -> bool:
        nonlocal checks
        checks += 1
        return usable()

    def get(path: str) -> int:
        client.cookies.clear()
        # A server's request boundary (the test client skips it): Django checks a kept connection
        # before the request's first statement, a round trip of its own on PostgreSQL unless the
        # request's statement is the check (registry.disclosure.published).
        close_old_connections()
        return client.get(path, secure=True).status_code

    connections[DEFAULT_DB_ALIAS].is_usable = counted  # type: ignore[method-assign]
    try:
        return _each_path(paths, requests, get, lambda: checks)
    finally:
        del connections[DEFAULT_DB_ALIAS].is_usable


def _each_path(paths: list[str], requests: int, get: Callable[[str], int], checks: Callable[[], int]) -> dict[str, Any]:

    found: dict[str, Any] = {}
    for path in paths:
        for _ in range(5):
            get(path)
        statements: list[str] = []

        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any, statements: list[str] = statements) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        checked = checks()
        with connection.execute_wrapper(record):
            status = get(path)
        checked = checks() - checked
        cpu = time.process_time()
        began = time.perf_counter()
        for _ in range(requests):
            get(path)
        wall_ms = (time.perf_counter() - began) * 1000 / requests
        cpu_ms = (time.process_time() - cpu) * 1000 / requests
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        top = sorted(
            ((figures[3] * 1000 / requests, f"{filename.rsplit('site-packages/', 1)[-1]}:{function}")
             for (filename, _line, function), figures in stats.stats.items()),  # type: ignore[attr-defined]
            reverse=True,
        )[:25]  # fmt: skip
        found[path] = {
            "status": status,
            "cpu_ms": cpu_ms,
            "wall_ms": wall_ms,
            "statements": [s[:120] for s in statements],
            "connection_checks": checked,  # a SELECT 1 each on PostgreSQL, not among the statements
            "top_ms_profiled": top,
        }
    return found
