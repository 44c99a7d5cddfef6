"""The benchmarks' bulk-grown ledger is a ledger like any other: it verifies, and the services go on
working on it (the benchmarks measure the real thing, not a shortcut)."""

from __future__ import annotations

from itertools import pairwise

from registry.benchmarks import measure
from registry.benchmarks.ledger import grow_ledger, prepare_world
from registry.transactions.models import Transaction
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock
from registry.verification import verify


def test_a_bulk_grown_ledger_verifies_and_the_services_go_on_working_on_it(db):
    world = prepare_world(clients=2)
    before = UnitBlock.objects.count()
    added = grow_ledger(world, blocks=before + 1500, batch=400)
    assert added == 1500 and UnitBlock.objects.count() == before + 1500
    odd = list(UnitBlock.objects.filter(account=world.receivers[0]).order_by("start").values_list("start", "end")[:3])
    assert all(first == last for first, last in odd) and [b[0] - a[0] for a, b in pairwise(odd)] == [2, 2]  # never merged
    report = verify()
    assert report.ok, report.problems
    moved = transfer_units(actor=world.admin, from_account=world.receivers[0], to_account=world.receivers[1], quantity=5)
    assert moved.status == "completed"
    assert grow_ledger(world, blocks=UnitBlock.objects.count() + 10) == 10
    assert verify().ok
    assert prepare_world(clients=2).pairs == world.pairs  # a second call finds the same world


def test_the_grown_ledger_never_leaves_neighbours_unmerged_whatever_the_batches(db):
    world = prepare_world(clients=1)
    grow_ledger(world, blocks=UnitBlock.objects.count() + 7, batch=3)  # odd batches, and a second call
    grow_ledger(world, blocks=UnitBlock.objects.count() + 4, batch=4)
    grown = list(UnitBlock.objects.filter(account__in=world.receivers).order_by("start").values_list("start", "end", "account"))
    assert len(grown) == 11
    assert all(a[1] + 1 == b[0] and a[2] != b[2] for a, b in pairwise(grown))  # the engine would have merged same-holder neighbours
    assert verify().ok


def test_a_transfers_own_statements_replayed_bare_perform_that_transfer_exactly(committed_db):
    # The yardstick of `registry bench`: the captured statements are the engine's own, rolled back,
    # and their bare replay does what the transfer would have done (the journal verifies after it).
    world = prepare_world(clients=1)
    sender, receiver = world.pairs[0]
    transfer_units(actor=world.admin, from_account=sender, to_account=receiver, quantity=1)
    blocks_before = list(UnitBlock.objects.filter(account__in=world.pairs[0]).order_by("start").values_list("account", "start", "end"))
    statements = measure.capture_transfer(world, 0)
    assert list(UnitBlock.objects.filter(account__in=world.pairs[0]).order_by("start").values_list("account", "start", "end")) == (
        blocks_before
    )  # captured, then rolled back
    assert any(sql.lstrip().upper().startswith("INSERT") for sql, _ in statements.executed)
    assert measure.replay(statements) > 0
    assert sum(b.quantity for b in UnitBlock.objects.filter(account=receiver)) == 2
    assert Transaction.objects.filter(to_account=receiver, status="completed").count() == 2
    measure.replay(measure.capture_transfer(world, 0))  # ids and the journal's chain continue from the replay
    transfer_units(actor=world.admin, from_account=sender, to_account=receiver, quantity=1)
    assert sum(b.quantity for b in UnitBlock.objects.filter(account=receiver)) == 4
    report = verify()
    assert report.ok, report.problems
