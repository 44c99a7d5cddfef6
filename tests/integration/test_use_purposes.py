"""J-Credit nullification and JCM retirements and cancellations with a purpose of use: the purposes
are reference data per programme, the scheme's rules are refusals with their codes, and what is
declared (purpose, aim, credit user, country of use) is recorded and journaled."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from registry.accounts.models import AccountType
from registry.accounts.services import change_account_status, open_account
from registry.article6.models import CorrespondingAdjustment
from registry.core.checks import CheckFailed
from registry.core.serials import SerialRange
from registry.installation.seed import system_user
from registry.journal.models import JournalEntry
from registry.notifications.models import Notification
from registry.parties.models import UnitType, UsePurpose
from registry.parties.services import register_entity
from registry.transactions.blocks import UnitChoice, requested_units
from registry.transactions.models import Transaction, TransactionStatus
from registry.transactions.services import (
    approve_transaction,
    cancel_units,
    complete_due_transactions,
    issue_units,
    propose_movement,
    retire_units,
    transfer_units,
)
from registry.verification.ledger import verify
from tests.factories import make_user


@pytest.fixture
def singapore(world):
    """A Singapore company's J-Credit account in JPN01, holding 100 forestry J-Credits (serials
    1-100), 50 renewable-electricity ones (101-150) and 30 renewable-heat ones (151-180)."""
    entity = register_entity(system_user(), world.japan, name="Lion City Offsets Pte. Ltd.", country="SG")
    account = open_account(system_user(), world.japan, account_type=AccountType.ENTITY_HOLDING, name="Lion City Offsets", entity=entity)
    for code, quantity in (("JC", 100), ("JC-RE-E", 50), ("JC-RE-H", 30)):
        issue_units(
            actor=world.admin_jp,
            account=account,
            project=world.project_jp,
            unit_type=UnitType.objects.get(code=code),
            vintage=2022,
            quantity=quantity,
        )
    return account


def jc_ranges(first: int, last: int):
    return [("JPN01", SerialRange(first, last))]


def refused(action) -> int:
    with pytest.raises(CheckFailed) as failure:
        action()
    return failure.value.code


# The purposes as reference data ------------------------------------------------------------------


def test_each_programme_has_its_list_of_purposes_with_the_credit_types_they_accept(world):
    jcredit = list(UsePurpose.objects.filter(programme__code="J-Credit").values_list("code", flat=True))
    assert jcredit[:2] == ["jc-global-warming-act", "jc-energy-conservation-act"]
    assert {"jc-offset", "jc-cdp-sbt", "jc-re100", "jc-gx-ets", "jc-other"} <= set(jcredit)
    assert set(UsePurpose.objects.get(code="jc-cdp-sbt").unit_types.values_list("code", flat=True)) == {"JC-RE-E", "JC-RE-H"}
    assert list(UsePurpose.objects.get(code="jc-re100").unit_types.values_list("code", flat=True)) == ["JC-RE-E"]
    assert UsePurpose.objects.filter(programme__code="JCM", code="jcm-voluntary", towards_ndc=False).exists()


def test_setting_up_again_keeps_what_administrators_changed(world):
    from registry.installation.seed import seed_reference_data

    UsePurpose.objects.filter(code="jc-other").update(name="Other (describe the aim)")
    seed_reference_data()
    assert UsePurpose.objects.get(code="jc-other").name == "Other (describe the aim)"


# A Singapore company nullifies J-Credits for voluntary offsetting in Singapore ------------------


def test_a_voluntary_offset_in_singapore_is_recorded_with_purpose_aim_user_and_country(world, singapore):
    aim = "Offsetting the 2025 emissions of our Singapore office " * 10
    tx = retire_units(
        actor=world.admin_jp,
        account=singapore,
        quantity=40,
        choice=UnitChoice(unit_type=UnitType.objects.get(code="JC")),
        purpose_code="jc-offset",
        aim=aim,
        credit_user="Lion City Offsets Pte. Ltd.",
        use_country="SG",
    )
    assert tx.status == TransactionStatus.COMPLETED
    assert (tx.use_purpose.code, tx.credit_user, tx.use_country, tx.towards_ndc, tx.using_party) == (
        "jc-offset",
        "Lion City Offsets Pte. Ltd.",
        "SG",
        False,
        None,
    )
    assert tx.aim == aim.strip()
    body = json.loads(JournalEntry.objects.get(transaction_id=tx.pk).body)
    assert (body["purpose_code"], body["credit_user"], body["use_country"], body["towards_ndc"]) == (
        "jc-offset",
        "Lion City Offsets Pte. Ltd.",
        "SG",
        False,
    )
    assert body["aim"] == aim.strip()
    assert not CorrespondingAdjustment.objects.filter(transaction=tx).exists()
    assert verify().ok


def test_j_credits_never_count_towards_another_countrys_ndc_6015(world, singapore, unchanged):
    failure = unchanged(
        lambda: retire_units(actor=world.admin_jp, account=singapore, ranges=jc_ranges(1, 10), purpose_code="jc-ndc", use_country="SG")
    )
    assert failure.code == 6015
    assert "never used towards another country's NDC nor with a corresponding adjustment" in failure.message


def test_j_credits_count_towards_japans_ndc_when_used_in_japan(world, singapore):
    tx = retire_units(actor=world.admin_jp, account=singapore, ranges=jc_ranges(1, 10), purpose_code="jc-ndc", use_country="JP")
    assert (tx.towards_ndc, tx.using_party.alpha2, tx.status) == (True, "JP", "completed")


def test_jcm_credits_towards_another_countrys_ndc_are_refused_6004(world):
    world.issue(20)
    assert (
        refused(lambda: retire_units(actor=world.admin_mn, account=world.seller, quantity=5, purpose_code="jcm-ndc", use_country="JP"))
        == 6004
    )


def test_cdp_sbt_or_re100_for_renewable_energy_procured_abroad_is_refused_6016(world, singapore, unchanged):
    failure = unchanged(
        lambda: retire_units(actor=world.admin_jp, account=singapore, ranges=jc_ranges(101, 110), purpose_code="jc-re100", use_country="SG")
    )
    assert failure.code == 6016
    assert (
        refused(
            lambda: retire_units(
                actor=world.admin_jp, account=singapore, ranges=jc_ranges(101, 110), purpose_code="jc-cdp-sbt", use_country="SG"
            )
        )
        == 6016
    )


def test_cdp_sbt_reporting_takes_only_renewable_credit_types_6017(world, singapore, unchanged):
    failure = unchanged(
        lambda: retire_units(
            actor=world.admin_jp, account=singapore, ranges=jc_ranges(95, 105), purpose_code="jc-cdp-sbt", use_country="JP"
        )
    )
    assert failure.code == 6017 and failure.blocks == ("JPN01:95-100",)
    ok = retire_units(actor=world.admin_jp, account=singapore, ranges=jc_ranges(101, 160), purpose_code="jc-cdp-sbt", use_country="JP")
    assert ok.quantity == 60


def test_re100_takes_renewable_electricity_only_6017(world, singapore):
    assert (
        refused(
            lambda: retire_units(
                actor=world.admin_jp, account=singapore, ranges=jc_ranges(151, 160), purpose_code="jc-re100", use_country="JP"
            )
        )
        == 6017
    )
    assert (
        retire_units(
            actor=world.admin_jp, account=singapore, ranges=jc_ranges(101, 110), purpose_code="jc-re100", use_country="JP"
        ).quantity
        == 10
    )


def test_a_j_credit_purpose_never_takes_jcm_credits_6017(world):
    world.issue(20)
    assert (
        refused(lambda: retire_units(actor=world.admin_mn, account=world.seller, quantity=5, purpose_code="jc-offset", use_country="MN"))
        == 6017
    )


def test_an_unknown_or_retired_purpose_is_refused_1014(world, singapore):
    assert refused(lambda: retire_units(actor=world.admin_jp, account=singapore, quantity=5, purpose_code="wishful")) == 1014
    UsePurpose.objects.filter(code="jc-other").update(active=False)
    assert refused(lambda: retire_units(actor=world.admin_jp, account=singapore, ranges=jc_ranges(1, 5), purpose_code="jc-other")) == 1014


def test_a_cancellation_for_a_purpose_towards_an_ndc_is_refused_5303(world):
    world.issue(20)
    assert (
        refused(lambda: cancel_units(actor=world.admin_mn, account=world.seller, kind="voluntary", quantity=5, purpose_code="jcm-ndc"))
        == 5303
    )


def test_a_voluntary_jcm_cancellation_records_its_purpose_and_user(world):
    world.issue(20)
    tx = cancel_units(
        actor=world.admin_mn,
        account=world.seller,
        kind="voluntary",
        quantity=5,
        purpose_code="jcm-voluntary",
        aim="Offsetting an event",
        credit_user="Darkhan Events LLC",
        use_country="MN",
    )
    body = json.loads(JournalEntry.objects.get(transaction_id=tx.pk).body)
    assert (body["purpose_code"], body["credit_user"], body["aim"], "towards_ndc" in body) == (
        "jcm-voluntary",
        "Darkhan Events LLC",
        "Offsetting an event",
        False,  # a cancellation counts towards no NDC: nothing to say
    )


def test_an_approver_rechecks_the_purpose_rules(world, singapore):
    from registry.access.services import grant_right

    initiator, approver = make_user("sg-initiator"), make_user("sg-approver")
    grant_right(world.admin_jp, singapore, initiator, "initiate")
    grant_right(world.admin_jp, singapore, approver, "approve")
    tx = retire_units(actor=initiator, account=singapore, ranges=jc_ranges(101, 110), purpose_code="jc-re100", use_country="JP")
    assert tx.status == "awaiting_approval"
    UsePurpose.objects.get(code="jc-re100").unit_types.set(UnitType.objects.filter(code="JC-RE-H"))  # the administrators narrowed it
    assert refused(lambda: approve_transaction(actor=approver, transaction=tx)) == 6017


# Selection that never mixes unit types -----------------------------------------------------------


def test_by_quantity_without_a_unit_type_nothing_mixes_unit_types_4007(world, singapore, unchanged):
    failure = unchanged(lambda: retire_units(actor=world.admin_jp, account=singapore, quantity=120, purpose_code="jc-offset"))
    assert failure.code == 4007 and "JC, JC-RE-E" in failure.message


def test_by_quantity_with_a_unit_type_takes_only_that_type(world, singapore):
    tx = transfer_units(
        actor=world.admin_jp,
        from_account=singapore,
        to_account=world.japanese,
        quantity=40,
        choice=UnitChoice(unit_type=UnitType.objects.get(code="JC-RE-E")),
    )
    assert [(b.start, b.end) for b in tx.blocks.all()] == [(101, 140)]


def test_by_quantity_with_project_and_vintage(world, singapore):
    choice = UnitChoice(unit_type=UnitType.objects.get(code="JC"), project=world.project_jp, vintage=2021)
    assert (
        refused(lambda: transfer_units(actor=world.admin_jp, from_account=singapore, to_account=world.japanese, quantity=1, choice=choice))
        == 4004
    )


# Ranges as the holdings page shows them ----------------------------------------------------------


def test_a_unique_identifier_or_its_serials_name_units_of_another_registry(world):
    from tests.factories import trust

    world.issue(400)
    from registry.article6.models import FirstTransferDefinition, Purpose
    from registry.article6.services import create_authorization
    from registry.transactions.authorization_services import authorize_units

    authorization = create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier="MN-T-1",
        date=timezone.now().date(),
        cooperative_approach=world.approach,
        purposes=Purpose.NDC,
        first_transfer_definition=FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER,
        document_reference="letter",
    )
    authorize_units(actor=world.admin_mn, authorization=authorization, project=world.project_mn, vintages=(2023, 2023))
    from registry.transactions.services import transfer_externally

    transfer_externally(
        actor=world.admin_mn, from_account=world.seller, to_account=world.japanese, ranges=[("MNG01", SerialRange(281, 380))]
    )
    trust(world)
    assert requested_units("CA0001-MNG01-MNG-281-380-2023") == ("MNG01", SerialRange(281, 380))
    tx = transfer_units(
        actor=world.admin_jp,
        from_account=world.japanese,
        to_account=open_account(
            system_user(),
            world.japan,
            account_type=AccountType.ENTITY_HOLDING,
            name="Other",
            entity=register_entity(system_user(), world.japan, name="Other KK", country="JP"),
        ),
        ranges=[requested_units("281-300")],
    )
    assert [(b.originating_registry, b.start, b.end) for b in tx.blocks.all()] == [("MNG01", 281, 300)]


def test_serials_held_from_two_registries_need_the_identifier_4008(world, singapore):
    from registry.transactions.blocks import resolve_ranges
    from registry.units.models import UnitBlock

    block = UnitBlock.objects.filter(account=singapore).first()
    UnitBlock.objects.filter(pk=block.pk).update(originating_registry="MNG01")  # a look-alike from elsewhere (test data only)
    with pytest.raises(CheckFailed) as failure:
        resolve_ranges(singapore, [requested_units("1-200")])
    assert failure.value.code == 4008


# One code for one mistake ------------------------------------------------------------------------


def test_naming_both_quantity_and_ranges_is_1003_through_propose_movement(world, singapore):
    assert (
        refused(
            lambda: propose_movement(actor=world.admin_jp, kind="retirement", from_account=singapore, quantity=5, ranges=jc_ranges(1, 5))
        )
        == 1003
    )


# A delayed transfer that can no longer complete ---------------------------------------------------


def test_a_delayed_transfer_that_can_no_longer_complete_ends_refused_and_releases_its_units(world):
    from registry.access.services import grant_right
    from registry.units.models import UnitBlock

    world.issue(100)
    initiator, approver, receiver = make_user("i"), make_user("a"), make_user("r")
    grant_right(world.admin_mn, world.seller, initiator, "initiate")
    grant_right(world.admin_mn, world.seller, approver, "approve")
    grant_right(world.admin_mn, world.buyer, receiver, "read_only")
    start = timezone.now()
    tx = transfer_units(actor=initiator, from_account=world.seller, to_account=world.buyer, quantity=10)
    approve_transaction(actor=approver, transaction=tx, at=start)
    change_account_status(world.admin_mn, world.buyer, "blocked")
    assert complete_due_transactions(at=start + timedelta(hours=27)) == []
    tx.refresh_from_db()
    assert (tx.status, tx.check_code) == ("rejected", 7103)
    assert "blocked" in tx.check_message
    assert not UnitBlock.objects.filter(reserved_by=tx).exists()
    for person in (initiator, approver, receiver):
        assert Notification.objects.filter(user=person, kind="transaction_refused_when_due").exists(), person
    assert complete_due_transactions(at=start + timedelta(hours=28)) == []  # nothing left waiting
    assert Transaction.objects.filter(status="delayed").count() == 0
