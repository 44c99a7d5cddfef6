"""Appending to the journal. Only ledger services call this, inside their database transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from registry.core.entries import Entry, Recorded, entry_kind, write_body
from registry.core.journal import chain_hash
from registry.journal.models import JournalEntry
from registry.parties.models import Registry


def lock_registry(registry: Registry) -> Registry:
    """Lock the registry row: its serial counter and journal head change only under this lock.

    Ledger services take it last (after account and block locks), so lock order is always the same;
    a transaction touching two registries locks them in id order first (``lock_registries``).
    """
    # NO KEY UPDATE: rows inserted earlier in the same transaction hold KEY SHARE on the registry
    # (their foreign keys); a plain FOR UPDATE would let two such transactions deadlock.
    return Registry.objects.select_for_update(no_key=True).get(pk=registry.pk)


def append_entry(registry: Registry, entry: Entry, at: datetime, transaction_id: int | None = None) -> JournalEntry:
    """Chain ``entry`` onto the registry's journal, inside the caller's ledger transaction.

    The head is read afresh under the registry lock, so callers may hold any copy of ``registry``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal entries are appended only inside a ledger transaction")
    registry = lock_registry(registry)
    sequence = registry.journal_length + 1
    text = write_body(Recorded(registry.registry_id, sequence, at, entry))
    stored = JournalEntry.objects.create(
        registry=registry,
        sequence=sequence,
        kind=entry_kind(entry),
        transaction_id=transaction_id,
        recorded_at=at,
        body=text,
        previous_hash=registry.journal_head,
        hash=chain_hash(registry.journal_head, text),
    )
    registry.journal_head = stored.hash
    registry.journal_length = sequence
    registry.save(update_fields=["journal_head", "journal_length"])
    return stored


def lock_registries(registries: list[Registry]) -> None:
    """Lock several registry rows in id order (an external transfer writes two journals)."""
    ids = sorted({r.pk for r in registries})
    list(Registry.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
