"""The ledger's use cases doing what they promise: which serials move, where, and how blocks are cut."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from registry.accounts.models import Account, AccountType
from registry.core.checks import CheckFailed
from registry.core.serials import SerialRange
from registry.journal.models import JournalEntry
from registry.transactions.models import TransactionStatus
from registry.transactions.services import (
    approve_transaction,
    cancel_transaction,
    cancel_units,
    complete_due_transactions,
    correct_transaction,
    reject_transaction,
    retire_units,
    transfer_units,
)
from registry.units.holdings import holdings
from registry.units.models import UnitBlock
from registry.verification import verify
from tests.factories import make_user, trust


def ranges_of(account: Account) -> list[tuple[int, int]]:
    return list(UnitBlock.objects.filter(account=account).order_by("start").values_list("start", "end"))


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


@pytest.fixture(autouse=True)
def _ledger_verifies_after_each_test(request, db):
    yield
    if "world" in request.fixturenames:
        report = verify()
        assert report.ok, report.problems


def test_issuance_allocates_contiguous_serials_per_registry(world):
    world.issue(100)
    world.issue(50, vintage=2024)
    world.issue(10, account=world.japanese, vintage=2022)
    assert ranges_of(world.seller) == [(1, 100), (101, 150)]
    assert ranges_of(world.japanese) == [(1, 10)]  # Japan's registry counts its own serials


def test_transfer_by_quantity_takes_the_oldest_vintage_and_lowest_serials_first(world):
    world.issue(100, vintage=2024)
    world.issue(100, vintage=2022)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=120)
    # 2022 units are serials 101-200: all of them go first, then the lowest 2024 serials.
    assert ranges_of(world.buyer) == [(1, 20), (101, 200)]
    assert ranges_of(world.seller) == [(21, 100)]


def test_a_partial_move_splits_a_block_at_most_twice(world):
    world.issue(100)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(40, 59))
    assert ranges_of(world.seller) == [(1, 39), (60, 100)]
    assert ranges_of(world.buyer) == [(40, 59)]
    assert UnitBlock.objects.count() == 3


def test_units_coming_back_merge_with_their_neighbours(world):
    world.issue(100)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(40, 59))
    transfer_units(actor=world.admin_mn, from_account=world.buyer, to_account=world.seller, quantity=tx.quantity)
    assert ranges_of(world.seller) == [(1, 100)]
    assert UnitBlock.objects.count() == 1


def test_a_part_taken_by_quantity_extends_the_block_its_holder_has_just_before_it(world):
    world.issue(100)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10)
    assert ranges_of(world.buyer) == [(1, 20)]
    assert ranges_of(world.seller) == [(21, 100)]


def test_a_part_taken_from_the_end_of_a_block_extends_the_block_its_holder_has_just_after_it(world):
    world.issue(30)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(21, 30))
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(15, 20))
    assert ranges_of(world.buyer) == [(15, 30)]
    assert ranges_of(world.seller) == [(1, 14)]


def test_touching_parts_of_one_block_arrive_as_one_block_with_the_holders_neighbour(world):
    world.issue(30)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(21, 30))
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(5, 10) + mn(11, 20))
    assert ranges_of(world.buyer) == [(5, 30)]
    assert ranges_of(world.seller) == [(1, 4)]


def test_a_middle_part_leaves_both_ends_with_their_holder(world):
    world.issue(30)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(1, 5))
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(8, 9) + mn(12, 14))
    assert ranges_of(world.buyer) == [(1, 5), (8, 9), (12, 14)]
    assert ranges_of(world.seller) == [(6, 7), (10, 11), (15, 30)]


def test_blocks_of_different_issuances_are_never_merged(world):
    world.issue(10)
    world.issue(10)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=20)
    assert ranges_of(world.buyer) == [(1, 10), (11, 20)]


def test_two_ranges_inside_one_block_are_cut_out_cleanly(world):
    world.issue(100)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(10, 19) + mn(50, 54))
    assert ranges_of(world.buyer) == [(10, 19), (50, 54)]
    assert ranges_of(world.seller) == [(1, 9), (20, 49), (55, 100)]


def test_a_range_may_span_several_adjacent_blocks(world):
    world.issue(10)
    world.issue(10)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(5, 15))
    assert ranges_of(world.buyer) == [(5, 10), (11, 15)]
    assert ranges_of(world.seller) == [(1, 4), (16, 20)]


def test_retirement_moves_units_to_the_retirement_account_for_good(world):
    world.issue(100)
    tx = retire_units(actor=world.admin_mn, account=world.seller, quantity=30, purpose="NDC 2030")
    assert tx.status == TransactionStatus.COMPLETED
    assert ranges_of(world.retirement_mn) == [(1, 30)]
    with pytest.raises(CheckFailed) as refused:
        transfer_units(actor=world.admin_mn, from_account=world.retirement_mn, to_account=world.seller, quantity=1)
    assert refused.value.code == 4003


@pytest.mark.parametrize(
    ("kind", "account_type"),
    [
        ("mandatory", AccountType.MANDATORY_CANCELLATION),
        ("voluntary", AccountType.VOLUNTARY_CANCELLATION),
        ("omge", AccountType.OMGE_CANCELLATION),
    ],
)
def test_each_cancellation_lands_in_its_own_account(world, kind, account_type):
    world.issue(10)
    tx = cancel_units(actor=world.admin_mn, account=world.seller, kind=kind, quantity=4)
    assert tx.to_account.type == account_type
    assert (tx.cancellation_kind, tx.purpose) == (kind, "")
    assert ranges_of(tx.to_account) == [(1, 4)]


def test_every_completed_transaction_is_journaled_once(world):
    issuance = world.issue(10)
    transfer = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=3)
    for tx in (issuance, transfer):
        assert JournalEntry.objects.filter(transaction=tx).count() == 1


def test_a_transfer_awaiting_approval_reserves_its_units_until_approved(world):
    world.issue(100)
    trust(world, (world.seller, world.buyer))
    approver = make_user(administers=world.mongolia)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=30, require_approval=True)
    assert tx.status == TransactionStatus.AWAITING_APPROVAL
    assert ranges_of(world.buyer) == []
    assert UnitBlock.objects.get(reserved_by=tx).quantity == 30
    with pytest.raises(CheckFailed) as refused:  # reserved units cannot be offered twice
        transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=71)
    assert refused.value.code == 4004
    approve_transaction(actor=approver, transaction=tx)
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.COMPLETED
    assert tx.decided_by == approver
    assert ranges_of(world.buyer) == [(1, 30)]


def test_a_rejected_transfer_frees_its_units_and_merges_them_back(world):
    world.issue(100)
    approver = make_user(administers=world.mongolia)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(20, 29), require_approval=True)
    reject_transaction(actor=approver, transaction=tx, reason="wrong buyer")
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.REJECTED
    assert ranges_of(world.seller) == [(1, 100)]
    assert not UnitBlock.objects.filter(reserved_by__isnull=False).exists()


def test_the_proposer_can_cancel_a_pending_transfer(world):
    world.issue(100)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10, require_approval=True)
    cancel_transaction(actor=world.admin_mn, transaction=tx)
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.CANCELLED
    assert ranges_of(world.seller) == [(1, 100)]


def test_a_delayed_transfer_completes_only_when_its_time_has_come(world):
    world.issue(100)
    later = timezone.now() + timedelta(hours=26)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10, execute_after=later)
    assert tx.status == TransactionStatus.DELAYED
    assert complete_due_transactions(at=later - timedelta(minutes=1)) == []
    assert ranges_of(world.buyer) == []
    assert [t.pk for t in complete_due_transactions(at=later)] == [tx.pk]
    assert ranges_of(world.buyer) == [(1, 10)]


def test_a_delayed_transfer_can_be_cancelled_during_the_delay(world):
    world.issue(100)
    tx = transfer_units(
        actor=world.admin_mn,
        from_account=world.seller,
        to_account=world.buyer,
        quantity=10,
        execute_after=timezone.now() + timedelta(hours=1),
    )
    cancel_transaction(actor=world.admin_mn, transaction=tx)
    assert complete_due_transactions(at=timezone.now() + timedelta(days=2)) == []
    assert ranges_of(world.seller) == [(1, 100)]


def test_a_correction_moves_exactly_the_same_serials_back(world):
    world.issue(100)
    wrong = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(10, 19) + mn(50, 54))
    correction = correct_transaction(actor=world.admin_mn, transaction=wrong, reason="sent to the wrong account")
    assert correction.corrects == wrong
    assert correction.reason == "sent to the wrong account"
    assert ranges_of(world.seller) == [(1, 100)]
    assert ranges_of(world.buyer) == []


def test_holdings_show_unique_identifiers(world):
    world.issue(130)
    world.issue(5, account=world.japanese, vintage=2022)
    assert [h.identifier for h in holdings(world.mongolia)] == ["CA0001-MNG01-MNG-1-130-2023"]
    assert [h.identifier for h in holdings(world.japan)] == ["JC-JPN01-NA-1-5-2022"]


def test_registries_do_not_see_each_others_accounts(world):
    world.issue(10)
    world.issue(10, account=world.japanese, vintage=2022)
    assert {h.account for h in holdings(world.japan)} == {world.japanese.number}
    assert {h.account for h in holdings(world.mongolia)} == {world.seller.number}
    with pytest.raises(CheckFailed) as refused:
        transfer_units(actor=world.admin_jp, from_account=world.japanese, to_account=world.seller, quantity=1)
    assert refused.value.code == 7105


def test_a_due_transfer_from_an_account_blocked_meanwhile_ends_refused_with_7101_and_its_units_free(world):
    from registry.accounts.services import change_account_status
    from registry.units.models import UnitBlock

    world.issue(100)
    later = timezone.now() + timedelta(hours=26)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10, execute_after=later)
    change_account_status(world.admin_mn, world.seller, "blocked")
    assert complete_due_transactions(at=later) == []
    tx.refresh_from_db()
    assert (tx.status, tx.check_code) == (TransactionStatus.REJECTED, 7101)
    assert ranges_of(world.buyer) == []
    assert not UnitBlock.objects.filter(reserved_by=tx).exists()
    assert verify().ok


def test_the_journal_names_who_proposed_and_who_approved(world):
    import json

    world.issue(100)
    trust(world, (world.seller, world.buyer))
    approver = make_user("approver", administers=world.mongolia)
    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=10, require_approval=True)
    approve_transaction(actor=approver, transaction=tx)
    body = json.loads(JournalEntry.objects.get(transaction=tx).body)
    assert (body["proposed_by"], body["approved_by"]) == ("admin-mn", "approver")
