"""The cache every server process shares: rate limits and sign-in notices are counted in it.

Django's database cache, in the registry's own database, with one change: ``incr`` is atomic
across processes (Django's reads the value, then writes it back, so two processes counting at
once would count one). The row is locked for the increment (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite every write transaction already begins with ``BEGIN IMMEDIATE``).

A counter need not survive a power cut, so its commit does not wait for the disk (PostgreSQL's
``synchronous_commit = off`` for that transaction; SQLite's ``synchronous = NORMAL`` for it, which
in WAL mode still survives a crash of the server): the ledger's commits keep their full sync.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction


class DatabaseCache(DjangoDatabaseCache):
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
