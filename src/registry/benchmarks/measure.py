"""The measurements, each run in a process whose database is the scratch registry.

A *transfer* here is the real use case: ``transfer_units`` by an administrator (it completes at
once), with every check, the row locks and the journal entry. It is compared with two limits:

- its *own statements* (the yardstick): the exact SQL one transfer issues, captured from the engine
  in the same run, replayed as bare SQL through the same driver in one transaction from this
  process. What a transfer costs above that is our Python (Django, the checks, the journal's hash);
- the *raw* limit: one transaction with the same number of row writes (bare INSERTs), and one commit.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from registry.benchmarks.ledger import World
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock

RAW_TABLE = "bench_raw"


def ensure_raw_table() -> None:
    key = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id {key}, worker INTEGER NOT NULL, payload TEXT NOT NULL)")


def transfer(world: World, index: int) -> None:
    sender, receiver = world.pairs[index]
    transfer_units(actor=world.admin, from_account=sender, to_account=receiver, quantity=1)


def row_writes_per_transfer(world: World) -> int:
    """How many statements that write rows one transfer executes (inserts, updates, deletes)."""
    writes = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal writes
        if sql.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        transfer(world, 0)
    return writes


def raw_transaction(index: int, writes: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(writes):
            cursor.execute(f"INSERT INTO {RAW_TABLE} (worker, payload) VALUES (%s, %s)", [index, "x" * 100])


def work_until(operation: Callable[[], None], start_at: float, until: float) -> int:
    """Wait for ``start_at`` (all workers start together), then repeat ``operation`` until ``until``;
    return how many completed within the window."""
    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))
    done = 0
    while time.time() < until:
        operation()
        if time.time() <= until:
            done += 1
    return done


def transfer_latency(world: World, samples: int, warmup: int = 20) -> dict[str, float]:
    """p50 and p99 of one transfer out of the most fragmented account (milliseconds)."""
    fragmented, other = world.receivers
    timings = []
    for number in range(warmup + samples):
        began = time.perf_counter()
        transfer_units(actor=world.admin, from_account=fragmented, to_account=other, quantity=1)
        if number >= warmup:
            timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {"p50_ms": statistics.median(timings), "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))]}


#: Transaction control is the replay's own (one transaction, one commit), not replayed statement by statement.
CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
#: How Django's SQLite backend turns its ``%s`` placeholders into the driver's ``?``.
QMARK = re.compile(r"(?<!%)%s")


class _Undone(Exception):
    """Raised inside the captured transfer so that its transaction rolls back."""


@dataclass(frozen=True)
class Statements:
    """The SQL one transfer issued, in order, and how many transaction-control statements it added
    (savepoints, BEGIN), which the replay does not repeat."""

    executed: list[tuple[str, Any]]
    control: int


def capture_transfer(world: World, index: int) -> Statements:
    """The statements of the next transfer of pair ``index``, captured from the engine and then
    rolled back, so that replaying them performs exactly that transfer.

    PostgreSQL's sequences do not roll back: they are set back too, so the replay's inserts get the
    ids the captured statements refer to.
    """
    sequences = _sequence_values()
    executed: list[tuple[str, Any]] = []
    control = 0

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal control
        if CONTROL.match(sql):
            control += 1
        else:
            executed.append((sql, params))
        return execute(sql, params, many, context)

    try:
        with transaction.atomic(), connection.execute_wrapper(record):
            transfer(world, index)
            raise _Undone
    except _Undone:
        pass
    _restore_sequences(sequences)
    return Statements(executed, control)


def _sequence_values() -> dict[str, tuple[int, bool]]:
    if connection.vendor != "postgresql":
        return {}  # SQLite's AUTOINCREMENT counter rolls back with the transaction
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences WHERE last_value IS NOT NULL")
        return {name: (int(value), True) for name, value in cursor.fetchall()}


def _restore_sequences(values: dict[str, tuple[int, bool]]) -> None:
    if not values:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences WHERE last_value IS NOT NULL")
        for name, value in cursor.fetchall():
            before = values.get(name)
            if before is None:
                cursor.execute("SELECT setval(%s, 1, false)", [name])
            elif int(value) != before[0]:
                cursor.execute("SELECT setval(%s, %s, true)", [name, before[0]])


def replay(statements: Statements) -> float:
    """Run ``statements`` as bare SQL on the driver's own cursor, in one transaction with one commit,
    reading every row they return; return the seconds it took."""
    connection.ensure_connection()
    raw = connection.connection
    sqlite = connection.vendor == "sqlite"
    prepared = [(QMARK.sub("?", sql).replace("%%", "%") if sqlite else sql, params) for sql, params in statements.executed]
    began = time.perf_counter()
    cursor = raw.cursor()
    # Outside Django's transactions both drivers are in autocommit mode: without a BEGIN of its own
    # each statement would be a transaction with its own commit (on PostgreSQL, an fsync each).
    # SQLite's begins as the engine's transactions begin (settings: transaction_mode).
    cursor.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
    for sql, params in prepared:
        cursor.execute(sql, params)
        if cursor.description is not None:
            cursor.fetchall()
    cursor.execute("COMMIT")
    elapsed = time.perf_counter() - began
    cursor.close()
    return elapsed


def own_statements(world: World, samples: int, warmup: int = 10) -> dict[str, float]:
    """p50 of a transfer and of its own statements replayed bare, alternately in this process.

    Each round times one real transfer, then captures the next one (rolled back) and times its
    statements replayed bare, which performs it. Both commit; every transfer moves one unit.
    """
    transfers: list[float] = []
    bare: list[float] = []
    statements = capture_transfer(world, 0)
    for number in range(warmup + samples):
        began = time.perf_counter()
        transfer(world, 0)
        took = time.perf_counter() - began
        statements = capture_transfer(world, 0)
        replayed = replay(statements)
        if number >= warmup:
            transfers.append(took * 1000)
            bare.append(replayed * 1000)
    transfer_ms, bare_ms = statistics.median(transfers), statistics.median(bare)
    return {
        "transfer_p50_ms": transfer_ms,
        "bare_p50_ms": bare_ms,
        "ratio": bare_ms / transfer_ms,
        "statements": len(statements.executed),
        "control_statements": statements.control,
    }


def acknowledged_transfers(world: World, answers: list[dict[str, Any]]) -> dict[str, int]:
    """How many of the API's acknowledgements (transaction bodies) are real: distinct completed
    one-unit transfers from pair 0's sender to its receiver, and units the receiver really holds
    (it receives nothing else, and every unit it holds came in a completed transfer)."""
    sender, receiver = world.pairs[0]
    ids = {int(answer["id"]) for answer in answers if answer.get("status") == TransactionStatus.COMPLETED}
    real = Transaction.objects.filter(
        pk__in=ids,
        type=TransactionType.INTERNAL_TRANSFER,
        status=TransactionStatus.COMPLETED,
        from_account=sender,
        to_account=receiver,
        quantity=1,
    ).count()
    completed = Transaction.objects.filter(to_account=receiver, status=TransactionStatus.COMPLETED).count()
    held = sum(block.end - block.start + 1 for block in UnitBlock.objects.filter(account=receiver))
    return {"answers": len(answers), "real": real, "completed_to_receiver": completed, "units_held": held}
