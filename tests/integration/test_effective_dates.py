"""An imported action is journaled with the moment it took effect beside the moment it was recorded;
the AEF dates it, and counts it in the year, by when it took effect. A live entry carries no
effective date, so every body written before stays byte for byte."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from registry.article6.aef import build_annual_information
from registry.core import entries as e
from registry.journal.models import JournalEntry
from registry.journal.services import append_entry
from registry.parties.models import Party, Registry

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
AUTHORISED = dt.datetime(2023, 2, 1, tzinfo=dt.UTC)
ISSUED = dt.datetime(2023, 3, 1, 9, 30, tzinfo=dt.UTC)


def _version() -> e.AuthorizationVersion:
    return e.AuthorizationVersion(
        identifier="TS-NDC-2023",
        version=1,
        date=AUTHORISED.date(),
        cooperative_approach="CA0009",
        purposes="ndc",
        oimp_purposes="",
        first_transfer_definition="first_international_transfer",
        authorized_quantity=100,
        document_reference="Letter",
        authorized_parties=(),
        authorized_entities=(),
        sectors="",
        activity_types="",
        timeframe="",
        terms="",
        recorded_by=None,
    )


def _issuance() -> e.Issuance:
    block = e.JournalBlock("TST01", 1, 100, "JCM", "TS001", 2022, "CA0009", "TSL", 1, "TS-NDC-2023", False)
    return e.Issuance(transaction=1, proposed_by=None, to_account="TS-100-0001", blocks=(block,))


def test_a_body_carries_its_effective_date_only_when_it_has_one():
    live = e.Recorded("TST01", 1, NOW, _issuance())
    imported = e.Recorded("TST01", 1, NOW, _issuance(), effective=ISSUED)
    assert "effective" not in e.write_body(live)
    assert e.parse_body(e.write_body(live)) == live and live.took_effect == NOW
    assert e.parse_body(e.write_body(imported)) == imported and imported.took_effect == ISSUED
    assert e.write_body(imported) != e.write_body(live)


def test_the_aef_counts_an_imported_action_in_the_year_it_took_effect(db):
    party = Party.objects.create(alpha2="TS", alpha3="TSL", name="Testland")
    registry = Registry.objects.create(registry_id="TST01", party=party, name="Testland registry")
    with transaction.atomic():
        append_entry(registry, e.AccountOpened("TS-100-0001", "party_holding", "open", None, ""), NOW, effective=AUTHORISED)
        append_entry(registry, _version(), NOW, effective=AUTHORISED)
        append_entry(registry, _issuance(), NOW, effective=ISSUED)
    assert JournalEntry.objects.filter(registry=registry, recorded_at=NOW).count() == 3

    in_2023 = build_annual_information(registry, 2023)
    assert [(r["Action date"], r["Action type"], r["Quantity (t CO2 eq)"]) for r in in_2023.actions] == [
        ("2023-03-01T09:30:00Z", "Authorization", 100)
    ]
    assert (in_2023.reconciliation.opening, in_2023.reconciliation.authorized, in_2023.reconciliation.closing) == (0, 100, 100)
    assert len(in_2023.authorizations) == 1  # Table 2: the version dated 2023

    in_2024 = build_annual_information(registry, 2024)
    assert in_2024.actions == [] and in_2024.reconciliation.opening == in_2024.reconciliation.closing == 100
    this_year = build_annual_information(registry, NOW.year)
    assert this_year.actions == []
