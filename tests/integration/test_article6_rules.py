"""The Article 6 rules that must never bend, each refused with its check code and changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.article6.models import CorrespondingAdjustment, FirstTransfer
from registry.article6.services import create_authorization
from registry.core.serials import SerialRange
from registry.parties.models import Party
from registry.transactions.article6_services import record_first_transfer
from registry.transactions.authorization_services import authorize_units
from registry.transactions.services import cancel_units, issue_units, retire_units, transfer_externally
from registry.units.models import UnitBlock


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


def authorization(world, identifier: str, purposes: str, definition: str, quantity: int | None = None):
    return create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier=identifier,
        date=dt.date(2025, 1, 10),
        cooperative_approach=world.approach,
        purposes=purposes,
        first_transfer_definition=definition,
        document_reference="Letter",
        authorized_quantity=quantity,
    )


@pytest.fixture
def itmos(world):
    """Serials 1-100 authorised for NDC use, 101-200 for OIMP only (first transfer when used)."""
    world.issue(200)
    authorize_units(
        actor=world.admin_mn, authorization=authorization(world, "NDC-1", "NDC", "first_international_transfer"), ranges=mn(1, 100)
    )
    authorize_units(actor=world.admin_mn, authorization=authorization(world, "OIMP-1", "OIMP", "use_or_cancellation"), ranges=mn(101, 200))
    open_account(world.admin_mn, world.mongolia, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
    return world


def test_a_first_transfer_is_never_recorded_twice_for_a_unit(itmos, unchanged):
    transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.japanese, ranges=mn(1, 10))
    block = UnitBlock.objects.get(start=1)
    assert block.first_transferred
    failure = unchanged(lambda: record_first_transfer(block.issuance, [block], timezone.now()))
    assert failure.code == 6006
    assert FirstTransfer.objects.filter(start__lte=10, end__gte=1).count() == 1


@pytest.mark.postgres_only
def test_postgresql_itself_refuses_a_second_first_transfer_of_a_serial(itmos):
    transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.japanese, ranges=mn(1, 10))
    first = FirstTransfer.objects.get(start=1)
    with pytest.raises(IntegrityError, match="first_transfer_never_twice"), transaction.atomic():
        FirstTransfer.objects.create(
            transaction=first.transaction,
            authorization=first.authorization,
            first_transferring_party=first.first_transferring_party,
            originating_registry="MNG01",
            start=5,
            end=5,
            vintage=2023,
            at=timezone.now(),
        )
    assert connection.vendor == "postgresql"


def test_units_move_on_after_their_first_transfer_without_a_second_one(itmos):
    transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.japanese, ranges=mn(1, 10))
    from registry.transactions.services import transfer_units

    transfer_units(actor=itmos.admin_jp, from_account=itmos.japanese, to_account=_japanese_government(itmos), ranges=mn(1, 10))
    assert FirstTransfer.objects.count() == 1
    assert CorrespondingAdjustment.objects.count() == 1


def _japanese_government(world):
    from registry.accounts.services import system_account

    return system_account(world.japan, AccountType.PARTY_HOLDING)


def test_unauthorised_units_of_a_foreign_project_cannot_be_used_towards_an_ndc(world, unchanged):
    from registry.parties.services import register_project

    hosted_in_japan = register_project(
        world.admin_mn,
        world.mongolia,
        identifier="JP-HOSTED",
        name="A project Japan hosts",
        programme=world.project_mn.programme,
        host_party=Party.objects.get(alpha2="JP"),
    )
    issue_units(actor=world.admin_mn, account=world.seller, project=hosted_in_japan, unit_type=world.jcm, vintage=2023, quantity=10)
    failure = unchanged(lambda: retire_units(actor=world.admin_mn, account=world.seller, quantity=10))
    assert failure.code == 6001


def test_domestic_units_are_used_towards_the_own_ndc_without_authorisation_or_adjustment(world):
    world.issue(50)
    retire_units(actor=world.admin_mn, account=world.seller, quantity=10)
    assert not CorrespondingAdjustment.objects.exists()


def test_unauthorised_units_cannot_leave_for_another_registry(world, unchanged):
    world.issue(50)
    failure = unchanged(lambda: transfer_externally(actor=world.admin_mn, from_account=world.seller, to_account=world.japanese, quantity=5))
    assert failure.code == 6003


def test_unauthorised_units_cannot_be_used_for_oimp(world, unchanged):
    world.issue(50)
    open_account(world.admin_mn, world.mongolia, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
    failure = unchanged(lambda: cancel_units(actor=world.admin_mn, account=world.seller, kind="oimp", oimp_purpose="CORSIA", quantity=5))
    assert failure.code == 6002


def test_units_authorised_only_for_ndc_cannot_be_cancelled_for_oimp(itmos, unchanged):
    failure = unchanged(
        lambda: cancel_units(actor=itmos.admin_mn, account=itmos.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(1, 5))
    )
    assert failure.code == 6002


def test_units_authorised_only_for_oimp_cannot_count_towards_an_ndc_abroad(itmos, unchanged):
    transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.japanese, ranges=mn(101, 110))
    failure = unchanged(lambda: retire_units(actor=itmos.admin_jp, account=itmos.japanese, ranges=mn(101, 110)))
    assert failure.code == 6001


def test_units_authorised_for_ndc_and_oimp_are_first_transferred_at_the_first_international_transfer(itmos):
    # Whatever the authorisation says for OIMP (here: at use), the NDC part's first transfer is the
    # first international transfer (2/CMA.3 annex para 2(a)): Japan may then use them for its NDC.
    authorize = authorization(itmos, "BOTH-1", "NDC and OIMP", "use_or_cancellation")
    itmos.issue(10)  # serials 201-210
    authorize_units(actor=itmos.admin_mn, authorization=authorize, ranges=mn(201, 210))
    transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.japanese, ranges=mn(201, 210))
    assert list(FirstTransfer.objects.values_list("start", "end", "acquiring_party__alpha2")) == [(201, 210, "JP")]
    retire_units(actor=itmos.admin_jp, account=itmos.japanese, ranges=mn(201, 210))
    assert sorted(CorrespondingAdjustment.objects.values_list("party__alpha2", "kind", "quantity")) == [
        ("JP", "use", 10),
        ("MN", "first_transfer", 10),
    ]


def test_units_not_first_transferred_cannot_count_towards_an_ndc_abroad(itmos, unchanged):
    # Units authorised for OIMP only travel without a first transfer (at use); towards an NDC they
    # are refused for want of an NDC authorisation before their missing first transfer is named.
    transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.japanese, ranges=mn(101, 110))
    assert not FirstTransfer.objects.exists()
    failure = unchanged(lambda: retire_units(actor=itmos.admin_jp, account=itmos.japanese, ranges=mn(101, 110)))
    assert failure.code == 6001


def test_use_for_oimp_first_transfers_units_defined_so_and_adjusts_once(itmos):
    cancel_units(actor=itmos.admin_mn, account=itmos.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(101, 120))
    assert list(CorrespondingAdjustment.objects.values_list("party__alpha2", "kind", "quantity", "year")) == [
        ("MN", "first_transfer", 20, 2023)
    ]


def test_an_ndc_authorisation_has_its_first_transfer_at_the_first_international_transfer(world, unchanged):
    failure = unchanged(lambda: authorization(world, "BAD", "NDC", "issuance"))
    assert failure.code == 6012


def test_an_authorisation_id_is_recorded_once(world, unchanged):
    from registry.article6.models import Authorization

    authorization(world, "ONCE", "NDC", "first_international_transfer")
    failure = unchanged(lambda: authorization(world, "ONCE", "OIMP", "authorization"))
    assert failure.code == 1013 and "already recorded" in failure.message
    assert Authorization.objects.get(identifier="ONCE").purposes == "NDC"


def test_authorising_beyond_the_authorised_quantity_is_refused(world, unchanged):
    world.issue(100)
    limited = authorization(world, "LIM", "NDC", "first_international_transfer", quantity=60)
    authorize_units(actor=world.admin_mn, authorization=limited, ranges=mn(1, 50))
    failure = unchanged(lambda: authorize_units(actor=world.admin_mn, authorization=limited, ranges=mn(51, 61)))
    assert failure.code == 6009


def test_units_cannot_be_authorised_twice(itmos, unchanged):
    again = authorization(itmos, "AGAIN", "NDC", "first_international_transfer")
    failure = unchanged(lambda: authorize_units(actor=itmos.admin_mn, authorization=again, ranges=mn(50, 60)))
    assert failure.code == 6008


def test_a_party_authorises_only_units_of_projects_it_hosts(world, unchanged):
    world.issue(10, account=world.japanese, vintage=2022)
    japanese = create_authorization(
        world.admin_jp,
        world.japan,
        identifier="JP-1",
        date=dt.date(2025, 1, 1),
        cooperative_approach=world.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter",
    )
    failure = unchanged(lambda: authorize_units(actor=world.admin_jp, authorization=japanese, ranges=[("JPN01", SerialRange(1, 5))]))
    assert failure.code == 6005  # J-Credits are domestic units: never ITMOs


def test_j_credits_retired_for_voluntary_offsetting_abroad_never_adjust(world):
    world.issue(100, account=world.japanese, vintage=2022)
    singapore = Party.objects.create(alpha2="SG", alpha3="SGP", name="Singapore")
    tx = retire_units(
        actor=world.admin_jp,
        account=world.japanese,
        quantity=40,
        towards_ndc=False,
        using_party=singapore,
        purpose="voluntary offsetting abroad",
    )
    assert tx.status == "completed"
    assert (tx.towards_ndc, tx.using_party, tx.ndc_year) == (False, singapore, None)
    assert not CorrespondingAdjustment.objects.exists()


def test_j_credits_cannot_count_towards_another_countrys_ndc(world, unchanged):
    world.issue(100, account=world.japanese, vintage=2022)
    singapore = Party.objects.create(alpha2="SG", alpha3="SGP", name="Singapore")
    failure = unchanged(lambda: retire_units(actor=world.admin_jp, account=world.japanese, quantity=10, using_party=singapore))
    assert failure.code == 6004


def test_j_credits_never_leave_japan(world, unchanged):
    world.issue(100, account=world.japanese, vintage=2022)
    failure = unchanged(
        lambda: transfer_externally(actor=world.admin_jp, from_account=world.japanese, to_account=world.seller, quantity=10)
    )
    assert failure.code == 6003


def test_an_external_transfer_within_one_registry_is_refused(itmos, unchanged):
    failure = unchanged(lambda: transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=itmos.buyer, quantity=5))
    assert failure.code == 7107


def test_units_issued_under_an_issuance_authorisation_are_first_transferred_at_issuance(world):
    at_issuance = authorization(world, "ISS-1", "OIMP", "issuance")
    issue_units(
        actor=world.admin_mn,
        account=world.seller,
        project=world.project_mn,
        unit_type=world.jcm,
        vintage=2024,
        quantity=30,
        authorization=at_issuance,
    )
    block = UnitBlock.objects.get()
    assert (block.authorization, block.first_transferred) == (at_issuance, True)
    assert list(CorrespondingAdjustment.objects.values_list("party__alpha2", "quantity", "year")) == [("MN", 30, 2024)]
