"""Whoever edits the database behind the services' back is caught by ``verify``."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from registry.core.checks import CheckFailed
from registry.journal.models import JournalEntry
from registry.parties.models import Registry
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock
from registry.verification import verify


@pytest.fixture
def ledger(world):
    world.issue(100)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=40)
    assert verify().ok
    return world


def raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def without_journal_guard(sql: str, params: list[object] | None = None) -> None:
    """Run ``sql`` as an attacker with owner rights would: with the append-only triggers off."""
    if connection.vendor == "postgresql":
        raw("SET session_replication_role = replica")  # superuser only: triggers do not fire
        raw(sql, params)
        raw("SET session_replication_role = origin")
    else:
        raw("DROP TRIGGER journal_no_update")
        raw("DROP TRIGGER journal_no_delete")
        raw(sql, params)


def problems() -> str:
    report = verify()
    assert not report.ok, "verify did not notice the tampering"
    return "\n".join(report.problems)


def test_the_database_refuses_to_update_a_journal_entry(ledger):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        JournalEntry.objects.filter(sequence=1).update(kind="edited")


def test_the_database_refuses_to_delete_a_journal_entry(ledger):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        JournalEntry.objects.filter(sequence=1).delete()


def test_verify_catches_an_edited_journal_body(ledger):
    entry = JournalEntry.objects.filter(kind="transaction").order_by("-sequence").first()
    body = json.loads(entry.body)
    body["to"] = ledger.seller.number
    edited = json.dumps(body, sort_keys=True, separators=(",", ":"))
    without_journal_guard("UPDATE journal_journalentry SET body = %s WHERE id = %s", [edited, entry.pk])
    assert "entry edited" in problems()


def test_verify_catches_a_deleted_journal_entry(ledger):
    entry = JournalEntry.objects.filter(kind="transaction").order_by("sequence").first()
    without_journal_guard("DELETE FROM journal_journalentry WHERE id = %s", [entry.pk])
    assert "entry missing or inserted" in problems()


def test_verify_catches_a_rewritten_chain_head(ledger):
    Registry.objects.filter(registry_id="MNG01").update(journal_head="f" * 64)
    assert "head" in problems()


def test_verify_catches_a_block_moved_to_another_account(ledger):
    block = UnitBlock.objects.get(account=ledger.buyer)
    raw("UPDATE units_unitblock SET account_id = %s WHERE id = %s", [ledger.government_mn.pk, block.pk])
    assert "differ from the replayed journal" in problems()


def test_verify_catches_a_block_stretched_to_forge_units(ledger):
    block = UnitBlock.objects.order_by("-end").first()
    raw('UPDATE units_unitblock SET "end" = "end" + 5 WHERE id = %s', [block.pk])
    assert " brought 100 units, blocks hold 105" in problems()


def test_verify_catches_overlapping_blocks(ledger):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses overlapping blocks itself (next test)")
    block = UnitBlock.objects.get(account=ledger.buyer)
    raw('UPDATE units_unitblock SET "end" = "end" + 5 WHERE id = %s', [block.pk])
    assert "overlaps" in problems()


@pytest.mark.postgres_only
def test_postgresql_refuses_two_blocks_sharing_a_serial(ledger):
    block = UnitBlock.objects.get(account=ledger.buyer)
    with pytest.raises(IntegrityError, match="block_serials_never_overlap"), transaction.atomic():
        raw('UPDATE units_unitblock SET "end" = "end" + 5 WHERE id = %s', [block.pk])


def test_verify_catches_a_deleted_block(ledger):
    block = UnitBlock.objects.get(account=ledger.buyer)
    raw("DELETE FROM units_unitblock WHERE id = %s", [block.pk])
    assert "blocks hold 60" in problems()


def test_verify_catches_a_changed_vintage(ledger):
    raw("UPDATE units_unitblock SET vintage = 2021 WHERE account_id = %s", [ledger.buyer.pk])
    assert "differ from the replayed journal" in problems()


def transfer_of(ledger) -> Transaction:
    return Transaction.objects.get(type=TransactionType.INTERNAL_TRANSFER, to_account=ledger.buyer)


def test_verify_catches_a_transaction_marked_completed_behind_the_journal(ledger):
    with pytest.raises(CheckFailed):
        transfer_units(actor=ledger.admin_mn, from_account=ledger.seller, to_account=ledger.buyer, quantity=1000)
    refused = Transaction.objects.get(status=TransactionStatus.REJECTED)
    raw("UPDATE transactions_transaction SET status = %s WHERE id = %s", [TransactionStatus.COMPLETED, refused.pk])
    assert f"completed transaction {refused.pk} has no journal entry" in problems()


def test_verify_catches_a_journaled_transaction_marked_not_completed(ledger):
    transfer = transfer_of(ledger)
    raw("UPDATE transactions_transaction SET status = %s WHERE id = %s", [TransactionStatus.REJECTED, transfer.pk])
    assert f"journal entry for transaction {transfer.pk}, which is not completed" in problems()


def test_verify_catches_a_transaction_journaled_twice(ledger):
    transfer = transfer_of(ledger)
    copy = JournalEntry.objects.get(transaction=transfer)
    last = JournalEntry.objects.order_by("-sequence").first()
    JournalEntry.objects.create(
        registry=copy.registry,
        sequence=last.sequence + 1,
        kind=copy.kind,
        transaction=transfer,
        recorded_at=copy.recorded_at,
        body=copy.body,
        previous_hash=last.hash,
        hash=copy.hash,
    )
    assert f"transaction {transfer.pk} is journaled 2 times" in problems()


def test_verify_catches_blocks_naming_something_other_than_an_issuance(ledger):
    transfer = transfer_of(ledger)
    raw("UPDATE units_unitblock SET issuance_id = %s WHERE account_id = %s", [transfer.pk, ledger.buyer.pk])
    found = problems()
    assert f"40 units in blocks name issuance {transfer.pk}, which is not a completed issuance" in found
    assert " brought 100 units, blocks hold 60" in found


def test_verify_catches_an_issuance_whose_quantity_was_erased(ledger):
    issuance = Transaction.objects.get(type=TransactionType.ISSUANCE)
    raw("UPDATE transactions_transaction SET quantity = NULL WHERE id = %s", [issuance.pk])
    assert " brought None units, blocks hold 100" in problems()


@pytest.mark.parametrize("forged", [{"to": ["not", "an", "account"]}, {"ranges": [["MNG01", 2**63, 2**63 + 5]]}])
def test_verify_reports_a_journal_entry_with_impossible_values_instead_of_failing(ledger, forged):
    entry = JournalEntry.objects.filter(kind="transaction").order_by("-sequence").first()
    body = json.loads(entry.body) | forged
    without_journal_guard("UPDATE journal_journalentry SET body = %s WHERE id = %s", [json.dumps(body, sort_keys=True), entry.pk])
    assert f"entry {entry.sequence} does not replay" in problems()


def test_verify_catches_a_block_cut_in_two_behind_the_services(ledger):
    block = UnitBlock.objects.get(account=ledger.buyer)  # 1-40 after the transfer
    raw('UPDATE units_unitblock SET "end" = 20 WHERE id = %s', [block.pk])
    twin = UnitBlock.objects.get(pk=block.pk)
    twin.pk, twin.start, twin.end = None, 21, 40
    twin.save(force_insert=True)
    assert "MNG01 1-20 and 21-40 of one account share every attribute" in problems()
