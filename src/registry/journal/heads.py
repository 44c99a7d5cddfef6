"""A journal entry and the registry's new head, written together.

Every ledger change ends with these two writes, under the registry's lock (taken by the read of
the head before them). On PostgreSQL they are one statement (the entry's INSERT as a
data-modifying ``WITH`` of the head's UPDATE): one round trip less per movement, inside the
locked section that every concurrent movement of the registry waits on. SQLite runs in process
and knows no writes in ``WITH``: there they are the two statements they always were.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Field

from registry import rows
from registry.journal.models import JournalEntry
from registry.parties.models import Registry

#: Every column an entry is written with (all but its id): checked against the model when the
#: statement is made, so a field added later cannot be left out silently.
_WRITTEN = ("registry_id", "sequence", "kind", "transaction_id", "recorded_at", "body", "previous_hash", "hash")


def write_entry_and_head(stored: JournalEntry) -> None:
    """Insert ``stored`` (a new entry, its id given it here) and make its hash and sequence the
    head and length of its registry's journal; inside the caller's transaction, with the registry
    row already locked by the caller."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        rows.insert(stored)
        rows.execute(_new_head(), [stored.hash, stored.sequence, stored.registry_id])
        return
    fields = _fields()
    values = [f.get_db_prep_save(f.pre_save(stored, True), db) for f in fields]
    found = rows.fetch(_entry_and_head(), [*values, stored.hash, stored.sequence, stored.registry_id])
    if not found:
        raise DatabaseError(f"registry {stored.registry_id}: the row whose head to update is not there")
    stored.pk = found[0][0]
    stored._state.adding = False
    stored._state.db = db.alias


def _fields() -> list[Field[Any, Any]]:
    by_attname = {f.attname: f for f in JournalEntry._meta.concrete_fields if not f.primary_key}
    if set(by_attname) != set(_WRITTEN):
        raise RuntimeError(f"journal entries have the columns {sorted(by_attname)}, written here are {sorted(_WRITTEN)}")
    return [by_attname[name] for name in _WRITTEN]


@rows.statement
def _new_head() -> str:
    head, length = rows.assigned(Registry, "journal_head"), rows.assigned(Registry, "journal_length")
    return f"UPDATE {rows.table(Registry)} SET {head} = %s, {length} = %s WHERE {rows.column(Registry, 'id')} = %s"


@rows.statement
def _entry_and_head() -> str:
    columns = ", ".join(rows.assigned(JournalEntry, f.attname) for f in _fields())
    entry_id = rows.assigned(JournalEntry, "id")
    insert = f"INSERT INTO {rows.table(JournalEntry)} ({columns}) VALUES ({rows.placeholders(len(_WRITTEN))}) RETURNING {entry_id}"
    return f"WITH entry AS ({insert}) {_new_head()} RETURNING (SELECT {entry_id} FROM entry)"
