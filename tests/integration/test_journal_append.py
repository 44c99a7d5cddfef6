"""Appending to the journal: the body is made before the registry's lock and the entry and the new
head written after it (one statement on PostgreSQL), yet every entry is still chained onto the head
it read under that lock, a concurrent movement of the same registry waits for it, and the chain
verifies."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from registry.accounts.services import change_account_status
from registry.core.entries import AccountStatusChanged, Recorded, parse_body, write_body
from registry.core.journal import chain_hash
from registry.journal.models import JournalEntry
from registry.journal.services import append_entry
from registry.parties.models import Registry
from registry.transactions.services import transfer_units
from registry.verification import verify
from tests.factories import make_world


def test_an_entry_is_chained_onto_the_head_and_becomes_it(world):
    world.issue(100)
    before = Registry.objects.get(pk=world.mongolia.pk)
    moved = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=7)
    stored = JournalEntry.objects.get(transaction=moved)
    after = Registry.objects.get(pk=world.mongolia.pk)
    recorded = parse_body(stored.body)
    assert stored.body == write_body(Recorded("MNG01", before.journal_length + 1, stored.recorded_at, recorded.entry))
    assert (stored.sequence, stored.previous_hash, stored.hash) == (
        before.journal_length + 1,
        before.journal_head,
        chain_hash(before.journal_head, stored.body),
    )
    assert (after.journal_head, after.journal_length) == (stored.hash, stored.sequence)
    assert verify().ok


@pytest.mark.parametrize("copy", ["deferred", "stale"])
def test_the_body_names_the_registry_its_locked_row_names_whatever_copy_the_caller_holds(world, copy):
    registry = Registry.objects.only("pk").get(pk=world.mongolia.pk)
    if copy == "stale":
        registry = Registry.objects.get(pk=world.mongolia.pk)
        registry.registry_id = "XXX01"  # never saved: the row still says MNG01
    entry = AccountStatusChanged(world.seller.number, world.seller.type, "blocked", None, "")
    with transaction.atomic():
        stored = append_entry(registry, entry, timezone.now())
    row = JournalEntry.objects.get(pk=stored.pk)
    assert parse_body(row.body).registry == "MNG01"
    assert (row.body, row.hash, row.sequence) == (stored.body, stored.hash, stored.sequence)
    assert Registry.objects.get(pk=world.mongolia.pk).journal_head == row.hash


@pytest.mark.usefixtures("committed_db")
def test_a_movement_of_the_same_registry_waits_for_the_head_and_chains_onto_the_new_one():
    world = make_world()
    world.issue(100)
    holding, held, moved, failures = threading.Event(), threading.Event(), threading.Event(), []

    def change_and_hold() -> None:
        try:
            with transaction.atomic():
                change_account_status(world.admin_mn, world.government_mn, "blocked")  # the registry row locked till commit
                holding.set()
                held.wait(timeout=30)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    def transfer() -> None:
        try:
            holding.wait(timeout=30)
            transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=3)
            moved.set()
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    first, second = threading.Thread(target=change_and_hold), threading.Thread(target=transfer)
    first.start()
    second.start()
    assert holding.wait(timeout=30)
    assert not moved.wait(timeout=1.5), "the transfer journaled while another transaction held the registry's journal head"
    held.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not failures, failures
    assert moved.is_set()
    status, movement = JournalEntry.objects.filter(registry=world.mongolia).order_by("-sequence")[:2][::-1]
    assert (status.kind, movement.kind) == ("account_status_changed", "transaction")
    assert (movement.sequence, movement.previous_hash) == (status.sequence + 1, status.hash)
    assert verify().ok
