"""The measurements, each run in a process whose database is the scratch registry.

A *transfer* here is the real use case: ``transfer_units`` by an administrator (it completes at
once), with every check, the row locks and the journal entry. The *raw* operation it is compared
with is what the database can do at best for the same work: one transaction with the same number
of row writes, and one commit.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from registry.benchmarks.ledger import World
from registry.transactions.services import transfer_units

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
