"""Reads that may go to a PostgreSQL streaming replica (``REGISTRY_REPLICA_URL``).

A registry outgrows one server through its database: the public pages, the credit search, exports
and the AEF are read-only and may be a moment behind, so they read from a standby; everything else
reads and writes the primary. Code opts in with ``reads_from_replica`` (a decorator for views and
functions, or a context manager); the router then sends that code's reads to the replica, unless it
runs inside a database transaction on the primary (a movement reads what it locks, on the primary,
and so does anything called from within one). Every write goes to the primary, always.

Without a replica configured, every read and write goes to the primary and this changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import StreamingHttpResponse

REPLICA = "replica"
#: What may be read from the replica: the ledger and what the public sees of it. Who a request is
#: (sessions, users, tokens, rights), its rate limits and lockouts (the cache) are always read
#: from the primary: a moment's lag there would let a revoked token or a locked login through.
LEDGER_APPS = frozenset({"parties", "accounts", "units", "transactions", "journal", "article6", "disclosure"})
P = ParamSpec("P")
R = TypeVar("R")

_on_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reads_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Ledger reads in this block may go to the replica (see the module's docstring)."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


def _streamed(chunks: Iterable[Any]) -> Iterator[Any]:
    # A streamed CSV reads its rows after the view has returned: while it is being sent.
    with replica_reads():
        yield from chunks


def reads_from_replica(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` (a view, or any read-only function) with its reads on the replica,
    including the rows of a streamed response it returns."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            result = function(*args, **kwargs)
        if isinstance(result, StreamingHttpResponse) and not result.is_async:
            result.streaming_content = _streamed(result.streaming_content)  # type: ignore[arg-type]
        return result

    return run


class ReplicaRouter:
    """Django's database router for ``REGISTRY_REPLICA_URL``."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        if (
            _on_replica.get()
            and model._meta.app_label in LEDGER_APPS  # type: ignore[attr-defined]
            and replica_configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
