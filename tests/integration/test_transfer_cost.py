"""The cost of a transfer does not grow with the ledger (the benchmarks' latency target, held here as
work done rather than time taken): SQLite's virtual machine steps for the same transfers, out of a
fragmented account, on a small ledger and on one a hundred times larger."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from registry.benchmarks.ledger import World, grow_ledger, prepare_world
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock

EVERY = 100  # steps between two calls of the counter


def steps(operation: Callable[[], object]) -> int:
    counted = 0

    def count() -> int:
        nonlocal counted
        counted += 1
        return 0  # go on

    connection.ensure_connection()
    connection.connection.set_progress_handler(count, EVERY)
    try:
        operation()
    finally:
        connection.connection.set_progress_handler(None, EVERY)
    return counted * EVERY


def transfers_out_of_the_fragmented_account(world: World) -> None:
    fragmented, other = world.receivers
    for _ in range(5):
        transfer_units(actor=world.admin, from_account=fragmented, to_account=other, quantity=1)


def test_a_transfer_costs_the_same_however_large_the_ledger(db):
    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite's virtual machine steps (the benchmarks measure PostgreSQL)")
    world = prepare_world(clients=1)
    grow_ledger(world, blocks=UnitBlock.objects.count() + 200)
    small = steps(lambda: transfers_out_of_the_fragmented_account(world))
    grow_ledger(world, blocks=UnitBlock.objects.count() + 20_000)
    large = steps(lambda: transfers_out_of_the_fragmented_account(world))
    assert large <= small * 1.5, f"{small:,} steps with 200 blocks, {large:,} with 20,000"
