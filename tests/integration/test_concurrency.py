"""Many clients racing for the same units: no serial ends up in two places and the books balance.

Runs on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row locks), each thread
with its own database connection, against committed data.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import F, Sum

from registry.accounts.models import Account
from registry.core.checks import CheckFailed
from registry.core.serials import SerialRange
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.transactions.services import retire_units, transfer_units
from registry.units.models import UnitBlock
from registry.verification import verify
from tests.factories import make_world

pytestmark = pytest.mark.usefixtures("committed_db")

THREADS = 8


def race(worker: Callable[[int], None], threads: int = THREADS) -> list[BaseException]:
    """Start ``threads`` workers at once; return every unexpected exception they raised."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            worker(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a worker hung (deadlock?)"
    return errors


def held(account: Account) -> int:
    return int(UnitBlock.objects.filter(account=account).aggregate(n=Sum(F("end") - F("start") + 1))["n"] or 0)


def test_racing_retirements_of_the_same_serials_retire_them_exactly_once():
    world = make_world()
    world.issue(100)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def retire_the_same_range(_: int) -> None:
        try:
            retire_units(actor=world.admin_mn, account=world.seller, ranges=[("MNG01", SerialRange(11, 60))])
            result = "retired"
        except CheckFailed as failure:
            result = str(failure.code)
        with lock:
            outcomes[result] += 1

    assert race(retire_the_same_range) == []
    assert outcomes["retired"] == 1
    assert outcomes["4001"] == THREADS - 1  # the serials are no longer held by the seller
    assert held(world.retirement_mn) == 50
    assert held(world.seller) == 50
    assert verify().ok


def test_random_transfers_and_retirements_from_many_clients_keep_every_invariant():
    world = make_world()
    world.issue(400, vintage=2022)
    world.issue(400, vintage=2023)
    accounts = [world.seller, world.buyer, world.government_mn]
    operations = 12
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def trade(index: int) -> None:
        rng = random.Random(index)
        for _ in range(operations):
            sender, receiver = rng.sample(accounts, 2)
            try:
                if rng.random() < 0.25:
                    retire_units(actor=world.admin_mn, account=sender, quantity=rng.randint(1, 40))
                elif rng.random() < 0.3:
                    first = rng.randint(1, 780)
                    transfer_units(
                        actor=world.admin_mn,
                        from_account=sender,
                        to_account=receiver,
                        ranges=[("MNG01", SerialRange(first, first + rng.randint(0, 20)))],
                    )
                else:
                    transfer_units(actor=world.admin_mn, from_account=sender, to_account=receiver, quantity=rng.randint(1, 120))
                result = "completed"
            except CheckFailed as failure:
                result = str(failure.code)
            with lock:
                outcomes[result] += 1

    assert race(trade) == []
    assert sum(outcomes.values()) == THREADS * operations
    assert outcomes["completed"] > 0
    assert set(outcomes) <= {"completed", "4001", "4004"}, outcomes

    report = verify()
    assert report.ok, report.problems
    # Every account holds what its completed transactions say it should.
    completed = Transaction.objects.filter(status=TransactionStatus.COMPLETED)
    for account in [*accounts, world.retirement_mn]:
        received = completed.filter(to_account=account).aggregate(n=Sum("quantity"))["n"] or 0
        sent = completed.filter(from_account=account).exclude(type=TransactionType.ISSUANCE).aggregate(n=Sum("quantity"))["n"] or 0
        assert held(account) == received - sent, account.number
    assert sum(held(a) for a in [*accounts, world.retirement_mn]) == 800
