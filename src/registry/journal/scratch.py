"""Blocks of a replay kept in a private scratch database, so a replay's memory does not grow with the ledger.

``verify`` and the AEF replay a registry's whole journal. Held in memory, 10^6 blocks took over
400 MiB; here they live in a temporary SQLite database (SQLite deletes it when the connection
closes) with a bounded page cache, and the replay's memory stays flat however large the ledger is.

Attributes are interned: each distinct value is stored once, as canonical JSON (so equal attributes
are one text and one number), and blocks carry its number. Both directions of the interning go
through bounded caches.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Hashable, Iterator
from functools import lru_cache
from typing import Any, Generic, TypeVar

from registry.core.serials import Block, SerialRange

A = TypeVar("A", bound=Hashable)

#: The scratch database's page cache, in KiB: what the replay's memory is bounded by.
CACHE_KIB = 4 * 1024
#: Distinct attributes remembered in memory each way (the rest are read back from the scratch database).
INTERNED_IN_MEMORY = 4096

SCHEMA = """
CREATE TABLE attributes (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
CREATE TABLE block (
    registry TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    holder TEXT NOT NULL,
    attributes INTEGER NOT NULL,
    PRIMARY KEY (registry, start)
) WITHOUT ROWID;
"""

INTERSECTING = """
SELECT start, "end", holder, attributes FROM block
WHERE registry = ?1 AND start <= ?3
  AND start >= coalesce((SELECT max(start) FROM block WHERE registry = ?1 AND start <= ?2), ?2)
ORDER BY start
"""

TOUCHING = """
SELECT start, "end", holder, attributes FROM block
WHERE registry = ?1 AND (start = ?3 + 1 OR start = (SELECT max(start) FROM block WHERE registry = ?1 AND start < ?2))
"""


class ScratchStore(Generic[A]):
    """A ``registry.core.ledger.Store`` in a temporary SQLite database. Close it when done.

    ``restore`` makes attributes again from their JSON (the JSON of a tuple is a list).
    """

    def __init__(self, restore: Callable[[Any], A]) -> None:
        self._restore = restore
        self._db = sqlite3.connect("", isolation_level=None)  # "": private, on disk, deleted on close
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("PRAGMA temp_store = FILE")
        self._db.executescript(SCHEMA)
        self._db.execute("BEGIN")  # one transaction for the whole replay: it is thrown away, never committed
        self._number_of = lru_cache(maxsize=INTERNED_IN_MEMORY)(self._intern)
        self._attributes_of = lru_cache(maxsize=INTERNED_IN_MEMORY)(self._load)

    def intersecting(self, originating_registry: str, wanted: SerialRange) -> list[Block[A]]:
        rows = self._db.execute(INTERSECTING, (originating_registry, wanted.start, wanted.end)).fetchall()
        return [
            Block(originating_registry, SerialRange(start, end), holder, self._attributes_of(number))
            for start, end, holder, number in rows
            if end >= wanted.start
        ]

    def touching(self, originating_registry: str, serials: SerialRange) -> tuple[Block[A] | None, Block[A] | None]:
        before = after = None
        for start, end, holder, number in self._db.execute(TOUCHING, (originating_registry, serials.start, serials.end)):
            if start == serials.end + 1:
                after = Block(originating_registry, SerialRange(start, end), holder, self._attributes_of(number))
            elif end == serials.start - 1:
                before = Block(originating_registry, SerialRange(start, end), holder, self._attributes_of(number))
        return before, after

    def insert(self, block: Block[A]) -> None:
        self._db.execute(
            "INSERT INTO block VALUES (?, ?, ?, ?, ?)",
            (block.originating_registry, block.range.start, block.range.end, block.holder, self._number_of(block.attributes)),
        )

    def delete(self, block: Block[A]) -> None:
        self._db.execute("DELETE FROM block WHERE registry = ? AND start = ?", (block.originating_registry, block.range.start))

    def blocks(self) -> Iterator[Block[A]]:
        rows = self._db.execute('SELECT registry, start, "end", holder, attributes FROM block ORDER BY registry, start')
        for registry, start, end, holder, number in rows:
            yield Block(registry, SerialRange(start, end), holder, self._attributes_of(number))

    def close(self) -> None:
        self._db.close()

    def _intern(self, attributes: A) -> int:
        value = json.dumps(attributes, separators=(",", ":"))
        self._db.execute("INSERT OR IGNORE INTO attributes (value) VALUES (?)", (value,))
        (number,) = self._db.execute("SELECT id FROM attributes WHERE value = ?", (value,)).fetchone()
        return int(number)

    def _load(self, number: int) -> A:
        (value,) = self._db.execute("SELECT value FROM attributes WHERE id = ?", (number,)).fetchone()
        return self._restore(json.loads(value))
