"""Every check code the registry can raise: the bad request is refused with that code and nothing changes.

Article 6 codes (6xxx) not covered here are in ``test_article6_rules.py``. A final test proves the
two files together reach every code in the table.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from registry.accounts.models import AccountType
from registry.accounts.services import change_account_status, get_account, open_account
from registry.article6.services import create_authorization
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange, parse_range
from registry.parties.models import CooperativeApproach, Party
from registry.parties.services import create_party, create_registry, get_party, get_registry, register_entity, register_project
from registry.transactions.authorization_services import authorize_units
from registry.transactions.models import Transaction, TransactionStatus
from registry.transactions.services import (
    approve_transaction,
    cancel_transaction,
    cancel_units,
    correct_transaction,
    issue_units,
    retire_units,
    transfer_units,
)
from registry.verification import verify
from tests.factories import make_user

HERE = Path(__file__).resolve().parent


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


@pytest.fixture
def held(world):
    """The Mongolian seller holds serials 1-100."""
    world.issue(100)
    return world


def refused(unchanged, action) -> int:
    return unchanged(action).code


def transfer(w, **kwargs):
    kwargs.setdefault("actor", w.admin_mn)
    kwargs.setdefault("from_account", w.seller)
    kwargs.setdefault("to_account", w.buyer)
    return lambda: transfer_units(**kwargs)


# 1xxx request and data integrity ------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -5])
def test_transfer_of_no_or_negative_units_is_refused_with_1001(held, unchanged, quantity):
    assert refused(unchanged, transfer(held, quantity=quantity)) == 1001


def test_issuing_zero_units_is_refused_with_1001(world, unchanged):
    assert refused(unchanged, lambda: world.issue(0)) == 1001


def test_a_backwards_serial_range_is_refused_with_1002(held, unchanged):
    assert refused(unchanged, lambda: transfer(held, ranges=[("MNG01", parse_range("9-3"))])()) == 1002


@pytest.mark.parametrize("amount", [{"quantity": 5, "ranges": mn(1, 5)}, {}])
def test_naming_both_or_neither_quantity_and_ranges_is_refused_with_1003(held, unchanged, amount):
    assert refused(unchanged, transfer(held, **amount)) == 1003


@pytest.mark.parametrize("vintage", [1999, dt.date.today().year + 1])
def test_a_vintage_out_of_range_is_refused_with_1004(world, unchanged, vintage):
    assert refused(unchanged, lambda: world.issue(10, vintage=vintage)) == 1004


def test_an_unknown_registry_is_refused_with_1005(db, unchanged):
    assert refused(unchanged, lambda: get_registry("XYZ01")) == 1005


def test_a_correction_without_reason_is_refused_with_1006(held, unchanged):
    tx = transfer(held, quantity=5)()
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_mn, transaction=tx, reason="  ")) == 1006


def test_issuing_an_unknown_unit_type_is_refused_with_1007(held, unchanged):
    options = {"registry": "MNG01", "actor": "admin-mn", "account": held.seller.number, "project": "MN001", "vintage": 2023, "quantity": 5}
    assert "[1007]" in str(unchanged(lambda: call_command("issue", unit_type="XX", **options)))


def test_issuing_for_a_project_of_another_registry_is_refused_with_1008(world, unchanged):
    action = lambda: issue_units(
        actor=world.admin_mn, account=world.seller, project=world.project_jp, unit_type=world.jcredit, vintage=2022, quantity=5
    )
    assert refused(unchanged, action) == 1008


def test_correcting_an_unknown_transaction_is_refused_with_1009(held, unchanged):
    failure = unchanged(lambda: call_command("correct", registry="MNG01", actor="admin-mn", transaction=999999, reason="typo"))
    assert "[1009]" in str(failure)


def test_an_unknown_party_is_refused_with_1010(db, unchanged):
    assert refused(unchanged, lambda: get_party("XX")) == 1010


def test_opening_an_account_for_an_entity_of_another_registry_is_refused_with_1011(world, unchanged):
    japanese_entity = world.japanese.entity
    action = lambda: open_account(world.admin_mn, world.mongolia, account_type="entity_holding", name="x", entity=japanese_entity)
    assert refused(unchanged, action) == 1011


def test_an_unknown_cancellation_kind_is_refused_with_1012(held, unchanged):
    assert refused(unchanged, lambda: cancel_units(actor=held.admin_mn, account=held.seller, kind="lost", quantity=1)) == 1012


def test_an_unreadable_serial_range_is_refused_with_1013(db, unchanged):
    assert refused(unchanged, lambda: parse_range("ten-20")) == 1013


# 2xxx authentication and permission -------------------------------------------------------------


def test_issuing_without_being_an_administrator_is_refused_with_2001(world, unchanged):
    stranger = make_user()
    action = lambda: issue_units(
        actor=stranger, account=world.seller, project=world.project_mn, unit_type=world.jcm, vintage=2023, quantity=5
    )
    assert refused(unchanged, action) == 2001


def test_correcting_without_being_an_administrator_is_refused_with_2001(held, unchanged):
    tx = transfer(held, quantity=5)()
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_jp, transaction=tx, reason="typo")) == 2001


def test_moving_units_of_another_registrys_account_is_refused_with_2002(held, unchanged):
    assert refused(unchanged, transfer(held, actor=held.admin_jp, quantity=5)) == 2002


def test_approving_ones_own_proposal_is_refused_with_2003(held, unchanged):
    tx = transfer(held, quantity=5, require_approval=True)()
    assert refused(unchanged, lambda: approve_transaction(actor=held.admin_mn, transaction=tx)) == 2003


def test_cancelling_someone_elses_pending_transfer_is_refused_with_2004(held, unchanged):
    tx = transfer(held, quantity=5, require_approval=True)()
    assert refused(unchanged, lambda: cancel_transaction(actor=make_user(), transaction=tx)) == 2004


def test_account_holders_cannot_move_units_while_movements_are_suspended_2005(held, unchanged):
    from registry.access.services import grant_right, set_movements_suspended

    representative = make_user()
    grant_right(held.admin_mn, held.seller, representative, "initiate")
    set_movements_suspended(held.admin_mn, held.mongolia, True, "maintenance until 18:00 JST")
    failure = unchanged(transfer(held, actor=representative, quantity=5))
    assert failure.code == 2005
    assert "maintenance until 18:00 JST" in failure.message


def test_approving_without_the_right_to_approve_is_refused_with_2006(held, unchanged):
    from registry.access.services import grant_right

    proposer, initiator = make_user(), make_user()
    grant_right(held.admin_mn, held.seller, proposer, "initiate")
    grant_right(held.admin_mn, held.seller, initiator, "initiate")
    tx = transfer(held, actor=proposer, quantity=5)()
    assert refused(unchanged, lambda: approve_transaction(actor=initiator, transaction=tx)) == 2006


def test_account_holders_cannot_move_units_outside_operating_hours_2007(held, unchanged):
    from datetime import time

    from registry.access.services import grant_right
    from registry.parties.hours import check_open_for_movements
    from registry.parties.models import Registry

    representative = make_user()
    grant_right(held.admin_mn, held.seller, representative, "initiate")
    Registry.objects.filter(pk=held.mongolia.pk).update(open_weekdays="0-4", opens_at=time(9), closes_at=time(23), time_zone="Asia/Tokyo")
    registry = Registry.objects.get(pk=held.mongolia.pk)
    saturday_noon = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)  # 12:00 JST on a Saturday
    monday_night = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)  # 23:30 JST on a Monday
    monday_morning = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
    for closed in (saturday_noon, monday_night):
        with pytest.raises(CheckFailed) as failure:
            check_open_for_movements(registry, closed)
        assert failure.value.code == 2007 and "Mon-Fri 09:00-23:00" in failure.value.message
    check_open_for_movements(registry, monday_morning)  # open: no refusal
    Registry.objects.filter(pk=held.mongolia.pk).update(opens_at=time(0), closes_at=time(0, 1), open_weekdays="")
    assert refused(unchanged, transfer(held, actor=representative, quantity=5)) == 2007


def test_account_holders_cannot_move_units_during_a_maintenance_window_2008(held, unchanged):
    from django.utils import timezone

    from registry.access.services import grant_right
    from registry.parties.models import Notice

    representative = make_user()
    grant_right(held.admin_mn, held.seller, representative, "initiate")
    now = timezone.now()
    Notice.objects.create(
        kind="maintenance",
        title_en="Database upgrade",
        title_ja="更新",
        published_at=now,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=1),
    )
    failure = unchanged(transfer(held, actor=representative, quantity=5))
    assert failure.code == 2008 and "Database upgrade" in failure.message
    transfer(held, quantity=5)()  # administrators may still act


def test_a_login_id_outside_the_character_set_is_refused_with_2020(held, unchanged):
    from registry.access.services import reissue_login_id

    user = make_user("holder-2020")
    failure = unchanged(lambda: reissue_login_id(held.admin_mn, held.mongolia, user, "r\u0410"))  # Cyrillic A
    assert failure.code == 2020
    user.refresh_from_db()
    assert user.username == "holder-2020"


def test_a_login_id_like_an_existing_one_is_refused_with_2021(held, unchanged):
    from registry.access.services import reissue_login_id

    make_user("madmin")
    user = make_user("holder-2021")
    failure = unchanged(lambda: reissue_login_id(held.admin_mn, held.mongolia, user, "MadmIn"))
    assert failure.code == 2021 and "madmin" in failure.message  # the ID asked for, in normal form
    user.refresh_from_db()
    assert user.username == "holder-2021"


# 4xxx unit blocks ---------------------------------------------------------------------------------


def test_serials_held_by_another_account_are_refused_with_4001(held, unchanged):
    transfer(held, ranges=mn(1, 10))()
    assert refused(unchanged, transfer(held, ranges=mn(5, 15))) == 4001


def test_serials_never_issued_are_refused_with_4001(held, unchanged):
    failure = unchanged(transfer(held, ranges=mn(95, 120)))
    assert (failure.code, failure.blocks) == (4001, ("MNG01:101-120",))


def test_reserved_serials_are_refused_with_4002(held, unchanged):
    transfer(held, ranges=mn(1, 10), require_approval=True)()
    assert refused(unchanged, transfer(held, ranges=mn(10, 12))) == 4002


def test_sending_from_a_final_account_is_refused_with_4003(held, unchanged):
    retire_units(actor=held.admin_mn, account=held.seller, quantity=10)
    assert refused(unchanged, transfer(held, from_account=held.retirement_mn, quantity=1)) == 4003


def test_more_units_than_held_are_refused_with_4004(held, unchanged):
    failure = unchanged(transfer(held, quantity=101))
    assert failure.code == 4004
    assert "has 100 units available" in failure.message


def test_more_units_than_available_beside_reserved_ones_are_refused_with_4004(held, unchanged):
    transfer(held, quantity=60, require_approval=True)()
    assert refused(unchanged, transfer(held, quantity=41)) == 4004


def test_overlapping_ranges_are_refused_with_4005(held, unchanged):
    assert refused(unchanged, transfer(held, ranges=mn(1, 10) + mn(10, 20))) == 4005


def test_ranges_out_of_order_are_refused_with_4006(held, unchanged):
    assert refused(unchanged, transfer(held, ranges=mn(20, 30) + mn(1, 10))) == 4006


# 5xxx per transaction type ------------------------------------------------------------------------


def test_issuing_into_a_retirement_account_is_refused_with_5001(world, unchanged):
    assert refused(unchanged, lambda: world.issue(5, account=world.retirement_mn)) == 5001


def test_issuing_units_of_another_programme_is_refused_with_5002(world, unchanged):
    action = lambda: issue_units(
        actor=world.admin_mn, account=world.seller, project=world.project_mn, unit_type=world.jcredit, vintage=2023, quantity=5
    )
    assert refused(unchanged, action) == 5002


def test_a_transfer_to_the_same_account_is_refused_with_5101(held, unchanged):
    assert refused(unchanged, transfer(held, to_account=held.seller, quantity=5)) == 5101


def test_a_transfer_into_a_cancellation_account_is_refused_with_5102(held, unchanged):
    from registry.accounts.services import system_account

    cancellation = system_account(held.mongolia, AccountType.VOLUNTARY_CANCELLATION)
    assert refused(unchanged, transfer(held, to_account=cancellation, quantity=5)) == 5102


@pytest.fixture
def bare_registry(world):
    """Thailand's registry, created without system accounts, with one entity holding 10 units."""
    thailand = create_party("TH", "THA", "Thailand")
    registry = create_registry(thailand, "THA01", "Thailand Registry")
    admin = make_user("admin-th", administers=registry)
    project = register_project(
        admin, registry, identifier="TH001", name="Biogas", programme=world.project_mn.programme, host_party=thailand
    )
    entity = register_entity(admin, registry, name="Siam Biogas", country="TH")
    account = open_account(admin, registry, account_type=AccountType.ENTITY_HOLDING, name="Siam Biogas", entity=entity)
    issue_units(actor=admin, account=account, project=project, unit_type=world.jcm, vintage=2024, quantity=10)
    return admin, account


def test_retiring_in_a_registry_without_retirement_account_is_refused_with_5201(bare_registry, unchanged):
    admin, account = bare_registry
    assert refused(unchanged, lambda: retire_units(actor=admin, account=account, quantity=1)) == 5201


def test_cancelling_in_a_registry_without_cancellation_account_is_refused_with_5301(bare_registry, unchanged):
    admin, account = bare_registry
    assert refused(unchanged, lambda: cancel_units(actor=admin, account=account, kind="voluntary", quantity=1)) == 5301


def test_using_for_oimp_without_a_use_account_is_refused_with_5302(held, unchanged):
    action = lambda: cancel_units(actor=held.admin_mn, account=held.seller, kind="oimp", oimp_purpose="CORSIA", quantity=1)
    assert refused(unchanged, action) == 5302


def test_correcting_a_pending_transaction_is_refused_with_5401(held, unchanged):
    tx = transfer(held, quantity=5, require_approval=True)()
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_mn, transaction=tx, reason="typo")) == 5401


def test_correcting_a_retirement_is_refused_with_5402(held, unchanged):
    tx = retire_units(actor=held.admin_mn, account=held.seller, quantity=5)
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_mn, transaction=tx, reason="typo")) == 5402


def test_correcting_an_issuance_is_refused_with_5402(held, unchanged):
    issuance = Transaction.objects.get(type="issuance")
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_mn, transaction=issuance, reason="typo")) == 5402


def test_correcting_twice_is_refused_with_5403(held, unchanged):
    tx = transfer(held, quantity=5)()
    correct_transaction(actor=held.admin_mn, transaction=tx, reason="typo")
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_mn, transaction=tx, reason="again")) == 5403


def test_correcting_after_the_receiver_moved_the_units_on_is_refused_with_5404(held, unchanged):
    tx = transfer(held, ranges=mn(1, 10))()
    transfer(held, from_account=held.buyer, to_account=held.government_mn, ranges=mn(5, 5))()
    assert refused(unchanged, lambda: correct_transaction(actor=held.admin_mn, transaction=tx, reason="typo")) == 5404


def test_approving_a_cancelled_transaction_is_refused_with_5501(held, unchanged):
    tx = transfer(held, quantity=5, require_approval=True)()
    cancel_transaction(actor=held.admin_mn, transaction=tx)
    assert refused(unchanged, lambda: approve_transaction(actor=make_user(administers=held.mongolia), transaction=tx)) == 5501


def test_approving_twice_is_refused_with_5501(held, unchanged):
    tx = transfer(held, quantity=5, require_approval=True)()
    approver = make_user(administers=held.mongolia)
    approve_transaction(actor=approver, transaction=tx)
    assert refused(unchanged, lambda: approve_transaction(actor=approver, transaction=tx)) == 5501


def test_approving_or_cancelling_an_issuance_is_refused_with_5501(held, unchanged):
    issuance = Transaction.objects.get(type="issuance")
    approver = make_user(administers=held.mongolia)
    assert refused(unchanged, lambda: approve_transaction(actor=approver, transaction=issuance)) == 5501
    assert refused(unchanged, lambda: cancel_transaction(actor=approver, transaction=issuance)) == 5501


# 6xxx Article 6 (those not in test_article6_rules.py) ----------------------------------------------


def _authorization(world, identifier="A-1", approach=None):
    return create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier=identifier,
        date=dt.date(2025, 1, 1),
        cooperative_approach=approach or world.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter",
    )


def test_authorising_units_of_a_project_another_party_hosts_is_refused_with_6010(world, unchanged):
    foreign = register_project(
        world.admin_mn,
        world.mongolia,
        identifier="JP-H",
        name="Hosted by Japan",
        programme=world.project_mn.programme,
        host_party=Party.objects.get(alpha2="JP"),
    )
    issue_units(actor=world.admin_mn, account=world.seller, project=foreign, unit_type=world.jcm, vintage=2023, quantity=5)
    authorization = _authorization(world)
    assert refused(unchanged, lambda: authorize_units(actor=world.admin_mn, authorization=authorization, ranges=mn(1, 5))) == 6010


def test_issuing_under_another_registrys_authorisation_is_refused_with_6011(world, unchanged):
    from registry.article6.models import Authorization

    japanese = Authorization.objects.create(
        registry=world.japan,
        identifier="JP-A",
        date=dt.date(2025, 1, 1),
        cooperative_approach=world.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="x",
    )
    action = lambda: issue_units(
        actor=world.admin_mn,
        account=world.seller,
        project=world.project_mn,
        unit_type=world.jcm,
        vintage=2023,
        quantity=5,
        authorization=japanese,
    )
    assert refused(unchanged, action) == 6011


def test_authorising_units_of_another_approach_is_refused_with_6013(held, unchanged):
    other = CooperativeApproach.objects.create(identifier="CA0002", name="Another approach")
    other.parties.add(held.party_mn)
    authorization = _authorization(held, approach=other)
    assert refused(unchanged, lambda: authorize_units(actor=held.admin_mn, authorization=authorization, ranges=mn(1, 5))) == 6013


def test_authorising_a_project_with_nothing_left_to_authorise_is_refused_with_6014(world, unchanged):
    authorization = _authorization(world)
    action = lambda: authorize_units(actor=world.admin_mn, authorization=authorization, project=world.project_mn)
    assert refused(unchanged, action) == 6014


# 7xxx accounts ------------------------------------------------------------------------------------


def test_an_unknown_acquiring_account_is_refused_with_7020(held, unchanged):
    command = lambda: call_command(
        "transfer", registry="MNG01", actor="admin-mn", from_account=held.seller.number, to_account="MNG01-999999", quantity=1
    )
    assert "[7020]" in str(unchanged(command))


def test_an_unknown_transferring_account_is_refused_with_7021(held, unchanged):
    command = lambda: call_command(
        "transfer", registry="MNG01", actor="admin-mn", from_account="MNG01-999999", to_account=held.buyer.number, quantity=1
    )
    assert "[7021]" in str(unchanged(command))


@pytest.mark.parametrize(("status", "code"), [("blocked", 7101), ("closed", 7102)])
def test_transfer_from_a_blocked_or_closed_account_is_refused(held, unchanged, status, code):
    sender = held.buyer
    if status == "closed":
        change_account_status(held.admin_mn, sender, "closed")  # empty, so it may close
    else:
        transfer(held, ranges=mn(1, 10))()
        change_account_status(held.admin_mn, sender, "blocked")
    assert refused(unchanged, transfer(held, from_account=sender, to_account=held.seller, quantity=1)) == code


@pytest.mark.parametrize(("status", "code"), [("blocked", 7103), ("closed", 7104)])
def test_transfer_to_a_blocked_or_closed_account_is_refused(held, unchanged, status, code):
    change_account_status(held.admin_mn, held.buyer, status)
    assert refused(unchanged, transfer(held, quantity=1)) == code


def test_transfer_to_another_registrys_account_is_refused_with_7105(held, unchanged):
    assert refused(unchanged, transfer(held, to_account=held.japanese, quantity=1)) == 7105


def test_an_account_number_of_another_registry_is_refused_with_7105(held, unchanged):
    assert refused(unchanged, lambda: get_account(held.mongolia, held.japanese.number)) == 7105


def test_a_second_retirement_account_is_refused_with_7201(world, unchanged):
    action = lambda: open_account(world.admin_mn, world.mongolia, account_type=AccountType.RETIREMENT, name="Another")
    assert refused(unchanged, action) == 7201


def test_closing_an_account_that_holds_units_is_refused_with_7202(held, unchanged):
    assert refused(unchanged, lambda: change_account_status(held.admin_mn, held.seller, "closed")) == 7202


def test_an_entity_holding_account_without_entity_is_refused_with_7203(world, unchanged):
    action = lambda: open_account(world.admin_mn, world.mongolia, account_type=AccountType.ENTITY_HOLDING, name="Nobody")
    assert refused(unchanged, action) == 7203


def test_blocking_a_blocked_account_is_refused_with_7204(world, unchanged):
    change_account_status(world.admin_mn, world.buyer, "blocked")
    assert refused(unchanged, lambda: change_account_status(world.admin_mn, world.buyer, "blocked")) == 7204


def test_reopening_a_closed_account_is_refused_with_7205(world, unchanged):
    change_account_status(world.admin_mn, world.buyer, "closed")
    assert refused(unchanged, lambda: change_account_status(world.admin_mn, world.buyer, "open")) == 7205


def test_more_than_the_accounts_transaction_limit_is_refused_with_7301(held, unchanged):
    from registry.access.services import grant_right

    representative = make_user()
    grant_right(held.admin_mn, held.seller, representative, "initiate")
    held.seller.transaction_limit = 50
    held.seller.save()
    assert refused(unchanged, transfer(held, actor=representative, quantity=51)) == 7301
    transfer(held, actor=representative, quantity=50)()  # at the limit is fine


def test_an_unknown_account_number_is_refused_with_7206(world, unchanged):
    assert refused(unchanged, lambda: get_account(world.mongolia, "MNG01-424242")) == 7206


# The whole table ----------------------------------------------------------------------------------


def test_a_refused_transfer_is_kept_as_a_rejected_transaction_with_its_code(held, unchanged):
    unchanged(transfer(held, quantity=500))
    rejected = Transaction.objects.get(status=TransactionStatus.REJECTED)
    assert (rejected.check_code, rejected.from_account, rejected.quantity) == (4004, held.seller, 500)
    assert "has 100 units available" in rejected.check_message
    assert verify().ok


def test_every_check_code_in_the_table_has_a_refusal_test():
    tested = set()
    for path in (
        HERE / "test_refusals.py",
        HERE / "test_article6_rules.py",
        HERE / "test_article6_tracking.py",
        HERE / "test_uploads.py",
        HERE / "test_api_hostile.py",
        HERE / "test_use_purposes.py",
        HERE / "test_web_confirmation.py",
        HERE / "test_import_refusals.py",
        HERE.parent / "peers" / "test_peers.py",
        HERE.parent / "peers" / "test_reconcile.py",
        HERE.parent / "peers" / "test_protocol.py",
        HERE.parent / "peers" / "test_first_transfer_notices.py",
        HERE.parent / "unit" / "test_reconciliation.py",
        HERE / "test_peers_faults.py",
        HERE.parent / "unit" / "test_peer_messages.py",
    ):
        text = path.read_text(encoding="utf-8")
        tested |= {int(code) for code in re.findall(r"\b([124567]\d{3})\b", text)}
    missing = sorted(check.code for check in Check if check.code not in tested)
    assert missing == [], f"check codes without a refusal test: {missing}"


def test_check_failed_carries_code_message_and_blocks():
    failure = CheckFailed(Check.UNITS_NOT_HELD, blocks=["1-5"], ranges="1-5", account="MNG01-000007")
    assert (failure.code, failure.blocks) == (4001, ("1-5",))
    assert failure.message == "Serials 1-5 are not held by account MNG01-000007."
