"""The cache every server process shares: rate limits and sign-in notices are counted in it.

Django's database cache, in the registry's own database, with one change: ``incr`` is atomic
across processes (Django's reads the value, then writes it back, so two processes counting at
once would count one). The row is locked for the increment (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite every write transaction already begins with ``BEGIN IMMEDIATE``).

A counter need not survive a power cut, so its commit does not wait for the disk (PostgreSQL's
``synchronous_commit = off`` for that transaction; SQLite's ``synchronous = NORMAL`` for it, which
in WAL mode still survives a crash of the server): the ledger's commits keep their full sync.

Two uses keep the shared cache off the path of every request:

- **Counting requests** (``count_request``, the rate limits): with Redis each request is one
  increment there. With the database cache a process reserves, in one increment of the shared row,
  a run of the window's next counts (a lease: one sixteenth of what the limit left, at least one)
  and hands them out to its requests in memory, so a client far from its limit costs one database
  write per lease rather than per request. Every request still has its own place in one count all
  processes share, so the limit is never exceeded; a lease a process has not used up when the
  window ends is given back (until then it may refuse another process's request a little early).
  Within 32 requests of a limit the lease is one: every request is counted in the shared row.
- **Stamps** (``registry.stamps``) are kept in it too: the API tokens', the public pages'.
"""

from __future__ import annotations

import base64
import contextlib
import pickle
import threading
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction

#: A lease is this share (1/LEASE_SHARE) of what the limit left, at least one count.
LEASE_SHARE = 16


@dataclass
class _Tally:
    """One key's counts in one window, as this process holds them."""

    window: int
    limit: int
    next: int = 1  # the count the next request takes, if not past ``end``
    end: int = 0  # the last count of this process's lease
    lease: int = 1  # how many counts the next increment of the shared row reserves
    previous: int = 0  # the previous window's count, at the last increment


#: Per process (Django gives each thread its own cache object): every thread counts in one tally.
_tallies: dict[str, _Tally] = {}
_tallies_lock = threading.Lock()


def count_request(key: str, window: int, seconds: int, limit: int, now: float) -> tuple[int, int]:
    """Count one request under ``key`` in ``window`` (of ``seconds``): this window's count with it,
    and the previous window's count."""
    tallied = getattr(cache, "count_request", None)
    if tallied is not None:  # the database cache: by leases of counts reserved in the shared row
        counted: tuple[int, int] = tallied(key, window, seconds, limit, now)
        return counted
    current, before = f"{key}-{window}", f"{key}-{window - 1}"
    try:
        count = cache.incr(current)
    except ValueError:  # the window's first request (the key names its window: never reused)
        count = 1 if cache.add(current, 1, timeout=2 * seconds) else cache.incr(current)
    return count, cache.get(before, 0)


class DatabaseCache(DjangoDatabaseCache):
    def count_request(self, key: str, window: int, seconds: int, limit: int, now: float) -> tuple[int, int]:
        """``count_request`` for the database cache, by leases (see the module's description)."""
        with _tallies_lock:
            tally = _tallies.get(key)
            if tally is None or tally.window != window or tally.limit != limit:
                if tally is not None and tally.window == window - 1 and tally.next <= tally.end:
                    with contextlib.suppress(ValueError):  # the row is gone: nothing to give back
                        self.incr_reading(f"{key}-{window - 1}", None, tally.next - tally.end - 1)
                if len(_tallies) > 10_000:  # keys of windows gone by
                    for stale in [k for k, t in _tallies.items() if t.window < window - 1]:
                        del _tallies[stale]
                tally = _tallies[key] = _Tally(window, limit)
            if tally.next > tally.end:  # no count left in the lease: reserve the next run
                total, previous = self._add(f"{key}-{window}", tally.lease, 2 * seconds, reading=f"{key}-{window - 1}")
                tally.next, tally.end, tally.previous = total - tally.lease + 1, total, previous or 0
                left = limit - total - tally.previous * (1 - (now - window * seconds) / seconds)
                tally.lease = max(1, int(left // LEASE_SHARE))
            count = tally.next
            tally.next += 1
            return count, tally.previous

    def clear(self) -> None:
        super().clear()
        with _tallies_lock:
            _tallies.clear()  # what this process counted is gone with the rows

    def _add(self, key: str, delta: int, timeout: int, reading: str | None = None) -> tuple[int, Any]:
        """Add ``delta`` to ``key``'s count (made if absent); its new value and ``reading``'s."""
        try:
            return self.incr_reading(key, reading, delta)
        except ValueError:
            if self.add(key, delta, timeout=timeout):
                return delta, None if reading is None else self.get(reading)
            return self.incr_reading(key, reading, delta)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        return self.incr_reading(key, None, delta, version)[0]

    def incr_reading(self, key: Any, other: Any, delta: int = 1, version: int | None = None) -> tuple[Any, Any]:
        """``incr(key)``, and the value of ``other`` (``None`` if absent) read by the same statement.

        ``other``'s expiry is not looked at: a rate limit's previous window, the one caller, is
        read only while it lives (its row outlives the window after it).
        """
        stored_key = self.make_and_validate_key(key, version=version)
        other_key = None if other is None else self.make_and_validate_key(other, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]
        value_column, key_column = quote("value"), quote("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        own_transaction = not connection.in_atomic_block  # never loosen the sync of a caller's transaction
        sqlite = connection.vendor == "sqlite"
        with connection.cursor() as cursor:
            if own_transaction and sqlite:
                sync = _synchronous(connection, cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
            try:
                with transaction.atomic(using=db):
                    if own_transaction and connection.vendor == "postgresql":
                        cursor.execute("SET LOCAL synchronous_commit = off")
                    cursor.execute(
                        f"SELECT {key_column}, {value_column} FROM {table} WHERE {key_column} IN (%s, %s){lock}",
                        [stored_key, other_key or stored_key],
                    )
                    rows = {found_key: _decoded(found) for found_key, found in cursor.fetchall()}
                    if stored_key not in rows:
                        raise ValueError(f"Key '{key}' not found")
                    value = rows[stored_key] + delta  # our own rows, written by Django's cache
                    encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
                    cursor.execute(f"UPDATE {table} SET {value_column} = %s WHERE {key_column} = %s", [encoded, stored_key])
            finally:
                if own_transaction and sqlite:
                    cursor.execute(f"PRAGMA synchronous = {sync}")
        return value, None if other_key is None else rows.get(other_key)


def _decoded(value: str) -> Any:
    return pickle.loads(base64.b64decode(value.encode()))


def _synchronous(connection: Any, cursor: Any) -> int:
    """SQLite's ``synchronous`` setting of this connection, read once per connection (it is put
    back after each counter)."""
    raw = connection.connection
    known: tuple[int, int] | None = getattr(connection, "registry_synchronous", None)
    if known is None or known[0] != id(raw):
        cursor.execute("PRAGMA synchronous")
        known = (id(raw), int(cursor.fetchone()[0]))
        connection.registry_synchronous = known
    return known[1]
