"""Appending to the journal. Only ledger services call this, inside their database transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, cast

from django.db import transaction

from registry import rows
from registry.core.entries import AuthorizationVersion, Entry, Unsequenced, entry_kind, parse_body
from registry.core.journal import chain_hash
from registry.journal.heads import write_entry_and_head
from registry.journal.models import JournalEntry
from registry.parties.models import Registry

#: The journal's ``kind`` of an authorisation's version.
AUTHORIZATION_VERSION_KIND = "authorization_version"

#: When the actions journaled now took effect, while an import replays them (``taking_effect``).
_taking_effect: ContextVar[datetime | None] = ContextVar("taking_effect", default=None)
#: Who the imported history says proposed, approved or recorded the actions journaled now.
_recorded_by: ContextVar[Mapping[str, str | None] | None] = ContextVar("recorded_by", default=None)


def importing() -> bool:
    """Whether the actions journaled now are imported history (inside ``taking_effect``)."""
    return _taking_effect.get() is not None


@contextmanager
def taking_effect(moment: datetime, recorded_by: Mapping[str, str | None] | None = None) -> Iterator[None]:
    """Every entry appended inside is an imported action that took effect at ``moment``.

    Only the import of a registry's history (``registry.interchange.importing``) uses it: the
    services it calls journal as always, dated now, and each entry carries ``moment`` beside.
    ``recorded_by`` (``proposed_by``, ``approved_by``, ``recorded_by``) names the people the history
    names: each entry that has such a field names them, not whoever runs the import.
    """
    token = _taking_effect.set(moment)
    names = _recorded_by.set(recorded_by)
    try:
        yield
    finally:
        _recorded_by.reset(names)
        _taking_effect.reset(token)


def _as_recorded(entry: Entry) -> Entry:
    names = _recorded_by.get()
    if not names:
        return entry
    carried = {f.name: names[f.name] for f in fields(entry) if f.name in names}
    return cast(Entry, replace(cast(Any, entry), **carried)) if carried else entry


def lock_registry(registry: Registry) -> Registry:
    """Lock the registry row: its serial counter and journal head change only under this lock.

    Ledger services take it last (after account and block locks), so lock order is always the same;
    a transaction touching two registries locks them in id order first (``lock_registries``).
    """
    # NO KEY UPDATE: rows inserted earlier in the same transaction hold KEY SHARE on the registry
    # (their foreign keys); a plain FOR UPDATE would let two such transactions deadlock.
    return Registry.objects.select_for_update(no_key=True).get(pk=registry.pk)


def append_entry(
    registry: Registry, entry: Entry, at: datetime, transaction_id: int | None = None, effective: datetime | None = None
) -> JournalEntry:
    """Chain ``entry`` onto the registry's journal, inside the caller's ledger transaction.

    The head is read afresh under the registry lock, so callers may hold any copy of ``registry``.
    ``effective`` only for an imported action (when it took effect, before ``at``; by default the
    moment of ``taking_effect`` around the call); a live action is always dated now.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal entries are appended only inside a ledger transaction")
    effective = effective or _taking_effect.get()
    entry = _as_recorded(entry)
    # The body is written before the lock (every concurrent movement of the registry waits on it):
    # under it only the sequence goes in, and the hash is taken.
    assumed = registry.__dict__.get("registry_id")
    unsequenced = Unsequenced.of(assumed, at, entry, effective) if assumed else None
    # The registry's row locked as ``lock_registry`` locks it, reading only the chain's end;
    # hand-written, as the writes after it (every ledger change sends them).
    registry_id, head, length = _lock_journal_head(registry.pk)
    if unsequenced is None or unsequenced.registry != registry_id:
        unsequenced = Unsequenced.of(registry_id, at, entry, effective)
    sequence = length + 1
    text = unsequenced.text(sequence)
    stored = JournalEntry(
        registry_id=registry.pk,
        sequence=sequence,
        kind=entry_kind(entry),
        transaction_id=transaction_id,
        recorded_at=at,
        body=text,
        previous_hash=head,
        hash=chain_hash(head, text),
    )
    write_entry_and_head(stored)
    return stored


def _lock_journal_head(registry: int) -> tuple[str, str, int]:
    """The registry id, journal head and length of registry row ``registry``, locked (NO KEY UPDATE)."""
    found = rows.fetch(_journal_head(), [registry], locking=True)
    if not found:
        raise Registry.DoesNotExist(f"registry {registry}")
    registry_id, head, length = found[0]
    return str(registry_id), str(head), int(length)


@rows.statement
def _journal_head() -> str:
    columns = ", ".join(rows.column(Registry, name) for name in ("registry_id", "journal_head", "journal_length"))
    return f"SELECT {columns} FROM {rows.table(Registry)} WHERE {rows.column(Registry, 'id')} = %s{rows.lock_rows(Registry)}"


def lock_registries(registries: list[Registry]) -> None:
    """Lock several registry rows in id order (an external transfer writes two journals)."""
    ids = sorted({r.pk for r in registries})
    list(Registry.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))


def journaled_authorizations(registry: Registry, identifiers: Iterable[str]) -> dict[str, AuthorizationVersion]:
    """The version in force of each of ``identifiers`` as the registry's journal records it (the
    hash-chained record, which ``verify`` proves; the ``Authorization`` row is only its copy)."""
    wanted = set(identifiers)
    found: dict[str, AuthorizationVersion] = {}
    if not wanted:
        return found
    bodies = (
        JournalEntry.objects.filter(registry=registry, kind=AUTHORIZATION_VERSION_KIND).order_by("sequence").values_list("body", flat=True)
    )
    for body in bodies.iterator(chunk_size=500):
        entry = parse_body(body).entry
        if isinstance(entry, AuthorizationVersion) and entry.identifier in wanted:
            found[entry.identifier] = entry
    return found
