"""The Article 6.2 tracking rules of issue 15 section 3: when OIMP units are first transferred, the
authorised timeframe and quantity, choosing eligible blocks, and refusals naming the right units."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.article6 import rules
from registry.article6.models import Authorization, CorrespondingAdjustment, FirstTransfer
from registry.article6.services import create_authorization
from registry.core.serials import SerialRange
from registry.parties.models import Party
from registry.transactions.authorization_services import authorize_units
from registry.transactions.models import Transaction
from registry.transactions.services import cancel_units, issue_units, retire_units, transfer_externally, transfer_units
from registry.units.models import UnitBlock
from registry.verification import verify


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


def authorization(world, identifier: str, purposes: str, definition: str, **more):
    return create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier=identifier,
        date=dt.date(2025, 1, 10),
        cooperative_approach=world.approach,
        purposes=purposes,
        first_transfer_definition=definition,
        document_reference="Letter",
        **more,
    )


@pytest.fixture
def corsia(world):
    open_account(world.admin_mn, world.mongolia, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
    return world


# When OIMP units are first transferred ------------------------------------------------------------


@pytest.mark.parametrize("purposes", ["OIMP", "NDC and OIMP"])
def test_an_oimp_authorisation_that_does_not_say_when_the_first_transfer_happens_is_refused_with_6021(world, unchanged, purposes):
    failure = unchanged(lambda: authorization(world, "OIMP-FIT", purposes, "first_international_transfer"))
    assert failure.code == 6021
    assert not Authorization.objects.exists()


def test_a_cancellation_for_oimp_first_transfers_and_adjusts_units_not_yet_first_transferred(corsia):
    # An authorisation recorded before the rule (NDC and OIMP, "first international transfer"):
    # its units cancelled for CORSIA are first transferred, with Mongolia's addition, at that moment.
    both = authorization(corsia, "BOTH-OLD", "NDC and OIMP", "use_or_cancellation")
    _journal_a_version_from_before_the_rule(both, first_transfer_definition="first_international_transfer")
    corsia.issue(50)
    authorize_units(actor=corsia.admin_mn, authorization=both, ranges=mn(1, 50))
    tx = cancel_units(actor=corsia.admin_mn, account=corsia.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(1, 20))
    first = FirstTransfer.objects.get()
    assert (first.start, first.end, first.transaction.trigger) == (1, 20, tx)
    assert list(CorrespondingAdjustment.objects.values_list("party__alpha2", "kind", "quantity", "year")) == [
        ("MN", "first_transfer", 20, 2023)
    ]
    assert verify().ok


def _journal_a_version_from_before_the_rule(authorization, **fields):
    """A version as an earlier release recorded it (row and journal agree): no service records one now."""
    from dataclasses import replace

    from django.utils import timezone

    from registry.article6.services import authorization_version
    from registry.journal.services import append_entry

    Authorization.objects.filter(pk=authorization.pk).update(version=authorization.version + 1, **fields)
    authorization.refresh_from_db()
    append_entry(authorization.registry, replace(authorization_version(authorization), **fields), timezone.now())


# The authorised timeframe -------------------------------------------------------------------------


def test_authorising_units_of_a_vintage_outside_the_timeframe_is_refused_with_6022(world, unchanged):
    world.issue(10, vintage=2023)  # 1-10
    world.issue(10, vintage=2025)  # 11-20
    limited = authorization(world, "TF-2023", "NDC", "first_international_transfer", timeframe=(2023, 2023))
    failure = unchanged(lambda: authorize_units(actor=world.admin_mn, authorization=limited, ranges=mn(1, 20)))
    assert failure.code == 6022
    assert failure.blocks == ("MNG01:11-20",)
    assert "2025" in failure.message and "2023" in failure.message


def test_issuing_units_under_an_authorisation_outside_its_timeframe_is_refused_with_6022(world, unchanged):
    limited = authorization(world, "TF-ISS", "OIMP", "issuance", timeframe=(2021, 2023))
    failure = unchanged(
        lambda: issue_units(
            actor=world.admin_mn,
            account=world.seller,
            project=world.project_mn,
            unit_type=world.jcm,
            vintage=2024,
            quantity=10,
            authorization=limited,
        )
    )
    assert failure.code == 6022


def test_authorising_a_project_without_vintages_takes_only_the_vintages_of_the_timeframe(world):
    world.issue(10, vintage=2023)  # 1-10
    world.issue(10, vintage=2025)  # 11-20
    limited = authorization(world, "TF-PROJ", "NDC", "first_international_transfer", timeframe=(2024, None))
    authorize_units(actor=world.admin_mn, authorization=limited, project=world.project_mn)
    assert list(UnitBlock.objects.filter(authorization=limited).values_list("start", "end")) == [(11, 20)]
    assert limited.timeframe == "2024-"


def test_a_timeframe_ending_before_it_begins_is_refused_with_6023(world, unchanged):
    failure = unchanged(lambda: authorization(world, "TF-BAD", "NDC", "first_international_transfer", timeframe=(2025, 2023)))
    assert failure.code == 6023


# The authorised quantity --------------------------------------------------------------------------


def test_the_authorised_quantity_counts_units_that_have_left_the_registry_or_were_used(corsia, unchanged):
    corsia.issue(100)
    limited = authorization(corsia, "LIM-ALL", "NDC and OIMP", "use_or_cancellation", authorized_quantity=60)
    authorize_units(actor=corsia.admin_mn, authorization=limited, ranges=mn(1, 50))
    transfer_externally(actor=corsia.admin_mn, from_account=corsia.seller, to_account=corsia.japanese, ranges=mn(1, 20))
    cancel_units(actor=corsia.admin_mn, account=corsia.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(21, 30))
    failure = unchanged(lambda: authorize_units(actor=corsia.admin_mn, authorization=limited, ranges=mn(51, 61)))
    assert failure.code == 6009
    assert failure.params["already"] == 50
    authorize_units(actor=corsia.admin_mn, authorization=limited, ranges=mn(51, 60))  # exactly the rest


# Choosing eligible blocks -------------------------------------------------------------------------


def test_a_cancellation_for_oimp_by_quantity_takes_eligible_units_when_the_oldest_are_not(corsia):
    corsia.issue(50, vintage=2022)  # 1-50, authorised for NDC only: the oldest vintage
    corsia.issue(50, vintage=2023)  # 51-100, authorised for OIMP
    ndc = authorization(corsia, "NDC-ONLY", "NDC", "first_international_transfer")
    oimp = authorization(corsia, "OIMP-USE", "OIMP", "use_or_cancellation")
    authorize_units(actor=corsia.admin_mn, authorization=ndc, ranges=mn(1, 50))
    authorize_units(actor=corsia.admin_mn, authorization=oimp, ranges=mn(51, 100))
    tx = cancel_units(actor=corsia.admin_mn, account=corsia.seller, kind="oimp", oimp_purpose="CORSIA", quantity=30)
    assert [(b.start, b.end) for b in tx.blocks.all()] == [(51, 80)]
    assert FirstTransfer.objects.get().start == 51


def test_a_use_towards_an_ndc_by_quantity_takes_eligible_units_when_the_oldest_are_not(corsia):
    corsia.issue(30, vintage=2022)  # 1-30: OIMP only, the oldest
    corsia.issue(30, vintage=2023)  # 31-60: for NDC use
    oimp = authorization(corsia, "OIMP-AUTH", "OIMP", "authorization")
    ndc = authorization(corsia, "NDC-2", "NDC", "first_international_transfer")
    authorize_units(actor=corsia.admin_mn, authorization=oimp, ranges=mn(1, 30))
    authorize_units(actor=corsia.admin_mn, authorization=ndc, ranges=mn(31, 60))
    transfer_externally(actor=corsia.admin_mn, from_account=corsia.seller, to_account=corsia.japanese, ranges=mn(1, 60))
    tx = retire_units(actor=corsia.admin_jp, account=corsia.japanese, quantity=20)
    assert [(b.start, b.end) for b in tx.blocks.all()] == [(31, 50)]


def test_too_few_eligible_units_are_refused_naming_the_ineligible_ones_with_6002(corsia, unchanged):
    corsia.issue(20, vintage=2022)  # 1-20: NDC only
    corsia.issue(10, vintage=2023)  # 21-30: OIMP
    authorize_units(
        actor=corsia.admin_mn, authorization=authorization(corsia, "N", "NDC", "first_international_transfer"), ranges=mn(1, 20)
    )
    authorize_units(actor=corsia.admin_mn, authorization=authorization(corsia, "O", "OIMP", "use_or_cancellation"), ranges=mn(21, 30))
    failure = unchanged(lambda: cancel_units(actor=corsia.admin_mn, account=corsia.seller, kind="oimp", oimp_purpose="CORSIA", quantity=15))
    assert failure.code == 6002
    assert failure.blocks == ("MNG01:1-15",)


# Refusals name the right units --------------------------------------------------------------------


def test_authorising_a_reserved_piece_names_the_pending_transaction_that_reserves_it(world, unchanged):
    world.issue(100)
    pending = transfer_units(
        actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, ranges=mn(50, 60), require_approval=True
    )
    ndc = authorization(world, "RES", "NDC", "first_international_transfer")
    failure = unchanged(lambda: authorize_units(actor=world.admin_mn, authorization=ndc, ranges=mn(1, 100)))
    assert failure.code == 4002
    assert failure.blocks == ("MNG01:50-60",)
    assert failure.message == f"Serials MNG01:50-60 are reserved by pending transaction {pending.pk}."


def test_foreign_units_not_held_are_named_with_their_registry(corsia, unchanged):
    corsia.issue(20)
    authorize_units(
        actor=corsia.admin_mn, authorization=authorization(corsia, "N", "NDC", "first_international_transfer"), ranges=mn(1, 20)
    )
    transfer_externally(actor=corsia.admin_mn, from_account=corsia.seller, to_account=corsia.japanese, ranges=mn(1, 10))
    failure = unchanged(lambda: retire_units(actor=corsia.admin_jp, account=corsia.japanese, ranges=mn(5, 15)))
    assert (failure.code, failure.blocks) == (4001, ("MNG01:11-15",))
    assert "MNG01:11-15" in failure.message


def test_foreign_units_authorised_for_ndc_but_not_first_transferred_never_count_towards_another_ndc_6007(world):
    # Every service first transfers NDC units when they leave; the rule itself still refuses.
    world.issue(10)
    authorize_units(actor=world.admin_mn, authorization=authorization(world, "N7", "NDC", "first_international_transfer"), ranges=mn(1, 10))
    block = UnitBlock.objects.get()
    with pytest.raises(rules.CheckFailed) as raised:
        rules.check_use_towards_ndc([block], Party.objects.get(alpha2="JP"))
    assert raised.value.code == 6007
    assert Transaction.objects.filter(type="first_transfer").count() == 0


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2023", (2023, 2023)),
        ("2021-2030", (2021, 2030)),
        ("vintages 2021 to 2025", (2021, 2025)),
        ("NDC period", (None, None)),
        ("", (None, None)),
    ],
)
def test_free_text_timeframes_are_read_for_their_first_and_last_years(text, years):
    import importlib

    migration = importlib.import_module("registry.article6.migrations.0003_structured_timeframe_and_authorized_entities")
    assert migration.years_of(text) == years


# The timeframe and the conditions of authorised entities are journaled and verified ---------------


def test_a_timeframe_edited_in_the_database_is_named_by_verify(world):
    limited = authorization(world, "TF-V", "NDC", "first_international_transfer", timeframe=(2023, 2023))
    assert verify().ok
    Authorization.objects.filter(pk=limited.pk).update(timeframe_last_vintage=2030)
    problems = " ".join(verify().problems)
    assert "MNG01 authorisation TF-V differs from the journal in timeframe_last_vintage: the database holds 2030" in problems


def test_the_conditions_of_an_authorised_entity_edited_in_the_database_are_named_by_verify(world):
    from registry.article6.models import AuthorizedEntity
    from registry.article6.services import authorize_entity

    ndc = authorization(world, "ENT-V", "NDC", "first_international_transfer")
    authorize_entity(world.admin_mn, ndc, name="Darkhan Solar LLC", country="MN", conditions="Japanese buyers only")
    assert Authorization.objects.get(pk=ndc.pk).version == 2  # an authorised entity is a new version
    assert verify().ok
    AuthorizedEntity.objects.update(conditions="anyone")
    assert any("ENT-V differs from the journal in authorized_entities" in p for p in verify().problems)


def test_a_timeframe_widened_in_the_database_authorises_nothing_outside_the_journaled_one(world, unchanged):
    world.issue(10, vintage=2025)
    limited = authorization(world, "TF-FORGED", "NDC", "first_international_transfer", timeframe=(2023, 2023))
    Authorization.objects.filter(pk=limited.pk).update(timeframe_last_vintage=2030)
    limited.refresh_from_db()
    failure = unchanged(lambda: authorize_units(actor=world.admin_mn, authorization=limited, ranges=mn(1, 10)))
    assert failure.code == 6022
