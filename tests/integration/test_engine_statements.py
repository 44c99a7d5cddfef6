"""The movement engine's hand-written statements (``registry.rows``): the rows they read are the
rows the ORM reads, what they write the ORM reads back, and a transfer still locks what it locked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import DatabaseError, connection
from django.utils import timezone

from registry import rows
from registry.access.models import Representative
from registry.accounts.models import Account, Right
from registry.notifications.models import Notification
from registry.parties.models import Registry
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock
from tests.factories import make_user


def read(model: type[Any], pk: int) -> Any:
    found = rows.fetch(f"SELECT {rows.columns(model)} FROM {rows.table(model)} WHERE {rows.column(model, 'id')} = %s", [pk])
    return rows.build(model, found[0])


def fields_of(instance: Any) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_rows_read_by_hand_are_the_rows_the_orm_reads(world):
    world.issue(100)
    moved = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=30)
    block = UnitBlock.objects.filter(account=world.buyer).first()
    assert block is not None
    # Datetimes, booleans, JSON, nullable keys: each converted as the ORM converts it, on each database.
    for model, pk in ((Account, world.buyer.pk), (Registry, world.mongolia.pk), (UnitBlock, block.pk), (Transaction, moved.pk)):
        by_hand = read(model, pk)
        assert fields_of(by_hand) == fields_of(model.objects.get(pk=pk)), model.__name__
        assert not by_hand._state.adding and by_hand._state.db == "default"


def test_a_transaction_written_by_hand_reads_back_the_same_through_the_orm(world):
    now = timezone.now()
    written = Transaction(
        registry=world.mongolia,
        type=TransactionType.INTERNAL_TRANSFER,
        status=TransactionStatus.REJECTED,
        from_account=world.seller,
        to_account=world.buyer,
        quantity=5,
        created_at=now,
        check_code=4001,
        check_message="not held",
        check_params={"ranges": "MNG01:1-5", "nested": {"n": 1}},
    )
    rows.insert(written)
    assert written.pk is not None and not written._state.adding
    assert fields_of(Transaction.objects.get(pk=written.pk)) == fields_of(written)


def test_several_rows_inserted_at_once_get_their_own_ids_in_order(world):
    users = [make_user() for _ in range(3)]
    made = [Notification(user=u, kind=f"kind-{i}", params={"i": i}, created_at=timezone.now()) for i, u in enumerate(users)]
    rows.insert_many(made)
    for i, notification in enumerate(made):
        stored = Notification.objects.get(pk=notification.pk)
        assert (stored.user_id, stored.kind, stored.params) == (users[i].pk, f"kind-{i}", {"i": i})


def test_updating_a_row_that_is_gone_is_refused_as_the_orm_refuses_it(world):
    world.issue(10)
    block = UnitBlock.objects.get(account=world.seller)
    UnitBlock.objects.filter(pk=block.pk).delete()
    block.end = 5
    with pytest.raises(DatabaseError):
        rows.update(block, "end")


def statements_of(operation: Callable[[], object]) -> list[str]:
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        operation()
    return sent


@pytest.mark.postgres_only
def test_a_transfer_locks_the_accounts_the_blocks_it_takes_and_the_registry_row(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite's writers hold the database's write lock")
    world.issue(100)
    sent = statements_of(lambda: transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=30))
    locking = [sql for sql in sent if "FOR " in sql]
    for table in ("accounts_account", "units_unitblock", "parties_registry"):
        assert any(sql.startswith("SELECT") and sql.endswith(f'FOR NO KEY UPDATE OF "{table}"') for sql in locking), table
    # Lock order: accounts, then blocks, then the registry (the journal's head) last.
    order = [next(t for t in ("accounts_account", "units_unitblock", "parties_registry") if sql.endswith(f'"{t}"')) for sql in locking]
    assert order == ["accounts_account", "units_unitblock", "parties_registry"]


def test_the_receivers_representatives_are_told_and_emailed_after_the_commit(world, django_capture_on_commit_callbacks):
    world.issue(100)
    holder = make_user("receiver-rep")
    holder.email = "rep@example.org"
    holder.save()
    silent = make_user("no-email-rep")
    for user in (holder, silent):
        Representative.objects.create(user=user, account=world.buyer, right=Right.READ_ONLY, granted_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        moved = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=7)
    told = Notification.objects.filter(kind="units_received", params__transaction=moved.pk)
    assert sorted(told.values_list("user__username", flat=True)) == ["no-email-rep", "receiver-rep"]
    assert [m.to for m in mail.outbox if "rep@example.org" in m.to] == [["rep@example.org"]]


def test_a_part_taken_is_written_once_into_the_block_that_absorbs_it(world):
    world.issue(100)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10)
    sent = statements_of(lambda: transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10))
    # The seller's block shrinks, the buyer's grows: no row inserted only to be merged and deleted.
    written = [sql.split(" ", 1)[0] for sql in sent if '"units_unitblock"' in sql and not sql.startswith("SELECT")]
    assert written == ["UPDATE", "UPDATE"]
    assert list(UnitBlock.objects.filter(account=world.buyer).values_list("start", "end")) == [(1, 20)]


def test_a_copied_row_is_a_new_instance_as_the_model_makes_it(world):
    world.issue(10)
    block = UnitBlock.objects.get(account=world.seller)
    copy = rows.copied(block, start=11, end=12)
    made = UnitBlock(**{**fields_of(block), "id": None, "start": 11, "end": 12})
    assert fields_of(copy) == fields_of(made)
    assert copy._state.adding and copy._state.db is None and copy.pk is None
