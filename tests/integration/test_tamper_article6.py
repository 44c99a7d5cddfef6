"""Whoever edits an Article 6 record behind the services' back is caught by ``verify``, which names
the row and the field; the AEF, ``registry adjustments`` and the movement rules read what the journal
proves, so a forged row reaches none of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.article6.adjustments import adjustment_totals
from registry.article6.aef import build_annual_information
from registry.article6.models import Authorization, CorrespondingAdjustment, FirstTransfer
from registry.article6.services import create_authorization, record_authorization_version
from registry.core.serials import SerialRange
from registry.parties.models import Entity, Party
from registry.transactions.authorization_services import authorize_units
from registry.transactions.models import Transaction, TransactionType
from registry.transactions.services import cancel_units, retire_units, transfer_externally
from registry.verification import verify


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


@pytest.fixture
def year_of_itmos(world):
    """1-100 authorised for NDC use (60 transferred to Japan and 20 used there towards its NDC);
    101-200 for NDC and OIMP with first transfer at use (10 cancelled for CORSIA by an airline)."""
    entity = Entity.objects.get(name="Darkhan Solar LLC")
    world.issue(300)
    ndc = create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier="MN-NDC",
        date=dt.date(2025, 1, 10),
        cooperative_approach=world.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter 1",
        authorized_parties=[Party.objects.get(alpha2="JP")],
    )
    both = create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier="MN-OIMP",
        date=dt.date(2025, 2, 1),
        cooperative_approach=world.approach,
        purposes="NDC and OIMP",
        oimp_purposes="CORSIA",
        first_transfer_definition="use_or_cancellation",
        document_reference="Letter 2",
        authorized_entities=[entity],
    )
    authorize_units(actor=world.admin_mn, authorization=ndc, ranges=mn(1, 100))
    authorize_units(actor=world.admin_mn, authorization=both, ranges=mn(101, 200))
    open_account(world.admin_mn, world.mongolia, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
    transfer_externally(actor=world.admin_mn, from_account=world.seller, to_account=world.japanese, ranges=mn(1, 60))
    retire_units(actor=world.admin_jp, account=world.japanese, ranges=mn(1, 20), ndc_year=2030)
    cancel_units(actor=world.admin_mn, account=world.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(101, 110), using_entity=entity)
    report = verify()
    assert report.ok, report.problems
    return world


def problems() -> str:
    report = verify()
    assert not report.ok, "verify did not notice the tampering"
    return "\n".join(report.problems)


def test_an_authorisation_whose_date_and_purposes_were_edited_is_named_with_both_fields(year_of_itmos):
    Authorization.objects.filter(identifier="MN-NDC").update(date=dt.date(2024, 1, 1), purposes="NDC and OIMP")
    found = problems()
    assert "MNG01 authorisation MN-NDC differs from the journal in date" in found
    assert (
        "MNG01 authorisation MN-NDC differs from the journal in purposes: the database holds 'NDC and OIMP', the journal says 'NDC'"
        in found
    )


def test_the_aef_reports_the_journaled_authorisation_not_the_forged_row(year_of_itmos):
    Authorization.objects.filter(identifier="MN-NDC").update(date=dt.date(2024, 1, 1), purposes="NDC and OIMP", sectors="forged")
    rows = {r["Authorization ID"]: r for r in build_annual_information(year_of_itmos.mongolia, timezone.now().year).authorizations}
    assert (rows["MN-NDC"]["Date of authorization"], rows["MN-NDC"]["Purposes for authorization"]) == ("10/01/2025", "NDC")
    assert rows["MN-NDC"]["Sector(s)"] == "NA" and rows["MN-NDC"]["Authorized Party(ies) ID"] == "JPN"


def test_a_corsia_cancellation_relying_on_forged_purposes_is_refused_with_6002(year_of_itmos, unchanged):
    Authorization.objects.filter(identifier="MN-NDC").update(purposes="NDC and OIMP", oimp_purposes="CORSIA")
    w = year_of_itmos
    failure = unchanged(lambda: cancel_units(actor=w.admin_mn, account=w.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(61, 70)))
    assert failure.code == 6002 and "MNG01:61-70" in failure.message


def test_an_authorisation_the_journal_does_not_know_is_named_and_allows_nothing(year_of_itmos, unchanged):
    forged = Authorization.objects.create(
        registry=year_of_itmos.mongolia,
        identifier="MN-FORGED",
        date=dt.date(2025, 1, 1),
        cooperative_approach=year_of_itmos.approach,
        purposes="OIMP",
        first_transfer_definition="authorization",
        document_reference="none",
    )
    assert "MNG01 authorisation MN-FORGED: the database holds a row the journal does not know" in problems()
    from registry.units.models import UnitBlock

    UnitBlock.objects.filter(start=201).update(authorization=forged)  # and units pointed at it behind the services' back
    w = year_of_itmos
    failure = unchanged(lambda: cancel_units(actor=w.admin_mn, account=w.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(201, 205)))
    assert failure.code == 6002


def test_an_authorised_entity_removed_behind_the_services_back_is_named(year_of_itmos):
    Authorization.objects.get(identifier="MN-OIMP").authorized_entities.clear()
    assert "MNG01 authorisation MN-OIMP differs from the journal in authorized_entities" in problems()


def test_an_authorised_entitys_identity_edited_is_named(year_of_itmos):
    Entity.objects.filter(name="Darkhan Solar LLC").update(identification_number="FORGED-1")
    assert "MNG01 authorisation MN-OIMP differs from the journal in authorized_entities" in problems()


def test_an_adjustment_multiplied_by_ten_is_named_and_never_reaches_the_totals(year_of_itmos):
    before = adjustment_totals()
    use = CorrespondingAdjustment.objects.get(kind="use")
    CorrespondingAdjustment.objects.filter(pk=use.pk).update(quantity=use.quantity * 10)
    found = problems()
    assert (
        f"JPN01 corresponding adjustment transaction {use.transaction_id} use MN-NDC vintage 2023 differs from the journal in quantity"
        in found
    )
    assert "the database holds 200, the journal says 20" in found
    assert adjustment_totals() == before == {("MN", 2023): 60 + 10, ("JP", 2030): -20}


def test_an_adjustment_deleted_or_added_is_named(year_of_itmos):
    first = CorrespondingAdjustment.objects.filter(kind="first_transfer").order_by("pk").first()
    CorrespondingAdjustment.objects.create(
        party=first.party,
        kind="first_transfer",
        transaction=first.transaction,
        authorization=first.authorization,
        quantity=5,
        vintage=2022,
        year=2022,
    )
    CorrespondingAdjustment.objects.filter(pk=first.pk).delete()
    found = problems()
    assert "vintage 2022: the database holds a row the journal does not know" in found
    assert f"MNG01 corresponding adjustment transaction {first.transaction_id} first_transfer" in found
    assert "the journal records it" in found


def test_a_first_transfer_edited_or_deleted_is_named(year_of_itmos):
    FirstTransfer.objects.filter(start=1).update(end=100, vintage=2022)
    FirstTransfer.objects.filter(start=101).delete()
    found = problems()
    assert "MNG01 first transfer MNG01 1 differs from the journal in end: the database holds 100, the journal says 60" in found
    assert "MNG01 first transfer MNG01 1 differs from the journal in vintage" in found
    assert "MNG01 first transfer MNG01 101: the journal records it" in found


def test_the_using_entity_and_purpose_of_a_cancellation_edited_are_named(year_of_itmos):
    corsia = Transaction.objects.get(type=TransactionType.CANCELLATION, cancellation_kind="oimp")
    other = Entity.objects.get(name="Ulaanbaatar Energy LLC")
    Transaction.objects.filter(pk=corsia.pk).update(using_entity=other, oimp_purpose="forged", purpose="x")
    found = problems()
    for field in ("using_entity", "oimp_purpose", "purpose"):
        assert f"MNG01 use or cancellation transaction {corsia.pk} differs from the journal in {field}" in found


def test_the_using_party_and_year_of_a_use_edited_are_named(year_of_itmos):
    use = Transaction.objects.get(type=TransactionType.RETIREMENT)
    Transaction.objects.filter(pk=use.pk).update(ndc_year=2031, using_party=Party.objects.get(alpha2="MN"))
    found = problems()
    assert f"JPN01 use or cancellation transaction {use.pk} differs from the journal in ndc_year" in found
    assert f"JPN01 use or cancellation transaction {use.pk} differs from the journal in using_party" in found


def test_a_cancellation_kind_edited_is_named(year_of_itmos):
    corsia = Transaction.objects.get(type=TransactionType.CANCELLATION, cancellation_kind="oimp")
    Transaction.objects.filter(pk=corsia.pk).update(cancellation_kind="voluntary")
    assert f"MNG01 use or cancellation transaction {corsia.pk} differs from the journal in cancellation_kind" in problems()


def test_a_change_is_a_new_journaled_version_which_the_rules_and_the_aef_follow(year_of_itmos):
    w = year_of_itmos
    ndc = Authorization.objects.get(identifier="MN-NDC")
    record_authorization_version(
        w.admin_mn,
        ndc,
        purposes="NDC and OIMP",
        oimp_purposes="CORSIA",
        first_transfer_definition="use_or_cancellation",
        authorized_quantity=500,
    )
    assert Authorization.objects.get(identifier="MN-NDC").version == 2
    report = verify()
    assert report.ok, report.problems
    cancel_units(actor=w.admin_mn, account=w.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(61, 70))  # allowed by version 2
    rows = build_annual_information(w.mongolia, timezone.now().year).authorizations
    versions = [
        (r["Version of the authorization"], r["Purposes for authorization"], r["Authorized quantity"])
        for r in rows
        if r["Authorization ID"] == "MN-NDC"
    ]
    assert versions == [(1, "NDC", "NA"), (2, "NDC and OIMP", 500)]


def test_a_row_edited_to_look_like_a_new_version_is_named(year_of_itmos):
    Authorization.objects.filter(identifier="MN-NDC").update(version=2, authorized_quantity=10**6)
    found = problems()
    assert "MNG01 authorisation MN-NDC differs from the journal in version: the database holds 2, the journal says 1" in found
    assert "MNG01 authorisation MN-NDC differs from the journal in authorized_quantity" in found
