"""A year of JCM life between MNG01 and JPN01, and both registries' AEF compared cell by cell with
the expectation worked out by hand below.

The year (every action happens this calendar year; serials are MNG01's):
1. Mongolia authorises for NDC use (MN-NDC-2025: 400 units, vintages 2023-2024, Japan authorised,
   first transfer at the first international transfer), with Darkhan Solar LLC as authorised entity.
2. It issues 300 units of vintage 2023 to its government (1-300) and 200 to Darkhan Solar (301-500)
   and authorises 1-400 under MN-NDC-2025: one contiguous range that two accounts hold, one row.
3. Darkhan Solar transfers 301-350 to Sakura Trading in Japan, the government 1-100: each is the
   units' first transfer (Mongolia's addition) and Japan's acquisition.
4. Japan uses 1-60 towards its NDC for 2030.
5. Mongolia authorises for OIMP (MN-OIMP-2025: CORSIA, vintage 2024, first transfer at use or
   cancellation) and issues 100 units of vintage 2024 to Darkhan Solar (501-600) under it.
6. Darkhan Solar cancels 30 units by quantity for CORSIA, naming the airline that uses them: the
   oldest units it holds (vintage 2023) are not authorised for OIMP, so 501-530 are chosen; the
   cancellation is their first transfer.
7. Darkhan Solar cancels 381-390 voluntarily for OMGE.

Holdings at the end: MNG01 101-300 (government), 351-380 and 391-400 (Darkhan Solar, NDC) and
531-600 (OIMP); 401-500 were never authorised, so they are no ITMOs. JPN01: 61-100 and 301-350.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from registry.accounts.models import AccountType
from registry.accounts.services import open_account, system_account
from registry.article6.adjustments import adjustment_totals
from registry.article6.aef import ACTION_COLUMNS, ENTITY_COLUMNS, HOLDING_COLUMNS, build_annual_information, snapshot_note
from registry.article6.aef_check import check_annual_information, check_report
from registry.article6.services import authorize_entity, create_authorization
from registry.core.serials import SerialRange
from registry.parties.models import Party
from registry.parties.services import register_entity
from registry.transactions.authorization_services import authorize_units
from registry.transactions.models import Transaction
from registry.transactions.services import cancel_units, issue_units, retire_units, transfer_externally
from registry.verification import verify

NA = "NA"


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


@pytest.fixture
def year(world):
    w = world
    admin = w.admin_mn
    japan = Party.objects.get(alpha2="JP")
    government = system_account(w.mongolia, AccountType.PARTY_HOLDING)
    open_account(admin, w.mongolia, account_type=AccountType.USE, name="CORSIA use", purpose="CORSIA")
    ndc = create_authorization(
        admin,
        w.mongolia,
        identifier="MN-NDC-2025",
        date=dt.date(2025, 3, 1),
        cooperative_approach=w.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter of authorisation MN-NDC-2025",
        authorized_quantity=400,
        authorized_parties=[japan],
        sectors="Energy generation",
        activity_types="Solar power",
        timeframe=(2023, 2024),
        terms="Use towards Japan's NDC only",
    )
    authorize_entity(
        admin,
        ndc,
        name="Darkhan Solar LLC",
        country="MN",
        identification_number="MN-REG-0042",
        conditions="Transfers only to Japanese entities",
        change_and_revocation_conditions="Revocable on 90 days' notice",
    )
    issue = {"actor": admin, "project": w.project_mn, "unit_type": w.jcm, "first_transferring_party": w.party_mn}
    issue_units(account=government, vintage=2023, quantity=300, **issue)  # 1-300
    issue_units(account=w.seller, vintage=2023, quantity=200, **issue)  # 301-500
    t = {"authorize_ndc": authorize_units(actor=admin, authorization=ndc, ranges=mn(1, 400))}
    t["to_japan_1"] = transfer_externally(actor=admin, from_account=w.seller, to_account=w.japanese, ranges=mn(301, 350))
    t["to_japan_2"] = transfer_externally(actor=admin, from_account=government, to_account=w.japanese, ranges=mn(1, 100))
    t["ndc_use"] = retire_units(actor=w.admin_jp, account=w.japanese, ranges=mn(1, 60), ndc_year=2030, purpose="Japan's NDC")
    oimp = create_authorization(
        admin,
        w.mongolia,
        identifier="MN-OIMP-2025",
        date=dt.date(2025, 6, 30),
        cooperative_approach=w.approach,
        purposes="OIMP",
        oimp_purposes="CORSIA",
        first_transfer_definition="use_or_cancellation",
        document_reference="Letter of authorisation MN-OIMP-2025",
        timeframe=(2024, 2024),
    )
    t["issue_oimp"] = issue_units(account=w.seller, vintage=2024, quantity=100, authorization=oimp, **issue)  # 501-600
    airline = register_entity(admin, w.mongolia, name="MIAT Mongolian Airlines", country="MN", identification_number="ICAO-MGL")
    t["corsia"] = cancel_units(actor=admin, account=w.seller, kind="oimp", oimp_purpose="CORSIA", quantity=30, using_entity=airline)
    t["omge"] = cancel_units(actor=admin, account=w.seller, kind="omge", ranges=mn(381, 390))
    for name in ("to_japan_1", "to_japan_2", "corsia"):
        t[f"first_{name}"] = Transaction.objects.get(type="first_transfer", trigger=t[name])
    t["acquisition_1"], t["acquisition_2"] = t["to_japan_1"].counterpart, t["to_japan_2"].counterpart
    w.t = t
    return w


def at(tx: Transaction) -> str:
    return tx.completed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def units(authorization: str, registry: str, first: int, last: int, vintage: int) -> dict[str, object]:
    """The unit columns of a row, as the AEF reports MNG01's JCM credits of project MN001."""
    return {
        "Cooperative approach ID": "CA0001",
        "Authorization ID": authorization,
        "First transferring participating Party ID": "MNG",
        "Party ITMO registry ID": registry,
        "First ID": f"CA0001-MNG01-MNG-{first}-{vintage}",
        "Last ID": f"CA0001-MNG01-MNG-{last}-{vintage}",
        "Underlying unit registry ID": "JCM",
        "First unit ID": first,
        "Last unit ID": last,
        "Metric": "GHG",
        "Applicable GWP value(s)": "AR5",
        "Applicable non-GHG metric": NA,
        "Quantity (t CO2 eq)": last - first + 1,
        "Quantity (in non-GHG metric)": NA,
        "Mitigation type": "Emission reductions",
        "Vintage": vintage,
    }


def action(tx: Transaction, kind: str, subtype: str, unit_columns: dict[str, object], **filled: object) -> dict[str, object]:
    row = {
        "Action date": at(tx),
        "Action type": kind,
        "Action subtype": subtype,
        **unit_columns,
        "Transferring participating Party ID": NA,
        "Acquiring participating Party ID": NA,
        "Purpose for which the ITMO has been used towards or cancelled for OIMP": NA,
        "Using/cancelling participating Party ID": NA,
        "Using/cancelling authorized entity ID": NA,
        "Calendar year for which the ITMOs are used towards the Party's NDC": NA,
        "Result of the consistency checks*": "",
        "Additional explanatory information": f"registry transaction {tx.pk}",
    }
    names = {
        "transferring": "Transferring participating Party ID",
        "acquiring": "Acquiring participating Party ID",
        "purpose": "Purpose for which the ITMO has been used towards or cancelled for OIMP",
        "using_party": "Using/cancelling participating Party ID",
        "using_entity": "Using/cancelling authorized entity ID",
        "ndc_year": "Calendar year for which the ITMOs are used towards the Party's NDC",
        "explanation": "Additional explanatory information",
    }
    for key, value in filled.items():
        row[names[key]] = value
    assert list(row) == list(ACTION_COLUMNS)
    return row


def test_mongolias_actions_are_the_hand_worked_rows_cell_by_cell(year):
    t = year.t
    ndc = lambda first, last: units("MN-NDC-2025", "MNG01", first, last, 2023)
    oimp = lambda first, last: units("MN-OIMP-2025", "MNG01", first, last, 2024)
    expected = [
        action(t["authorize_ndc"], "Authorization", NA, ndc(1, 400)),  # held by the government and Darkhan Solar: one row
        action(t["first_to_japan_1"], "First transfer", "First transfer to another Party", ndc(301, 350), acquiring="JPN"),
        action(t["to_japan_1"], "Transfer", NA, ndc(301, 350), acquiring="JPN"),
        action(t["first_to_japan_2"], "First transfer", "First transfer to another Party", ndc(1, 100), acquiring="JPN"),
        action(t["to_japan_2"], "Transfer", NA, ndc(1, 100), acquiring="JPN"),
        action(t["issue_oimp"], "Authorization", NA, oimp(501, 600)),  # born authorised
        action(t["first_corsia"], "First transfer", "Use or cancellation", oimp(501, 530)),
        action(
            t["corsia"],
            "Use",
            NA,
            oimp(501, 530),
            purpose="IMP",
            using_party="MNG",
            using_entity="ICAO-MGL",
            explanation=f"registry transaction {t['corsia'].pk}; used for CORSIA",
        ),
        action(t["omge"], "Voluntary Cancellation", "Voluntary cancellation to deliver OMGE", ndc(381, 390), using_party="MNG"),
    ]
    report = build_annual_information(year.mongolia, dt.datetime.now(dt.UTC).year)
    assert len(report.actions) == len(expected)
    for number, (got, wanted) in enumerate(zip(report.actions, expected, strict=True), start=2):
        for column in ACTION_COLUMNS:
            assert got[column] == wanted[column], f"Table 3 row {number} [{column}]"


def test_mongolias_holdings_authorisations_and_entities_are_the_hand_worked_rows(year):
    report = build_annual_information(year.mongolia, dt.datetime.now(dt.UTC).year)
    assert report.holdings == [
        units("MN-NDC-2025", "MNG01", 101, 300, 2023),
        units("MN-NDC-2025", "MNG01", 351, 380, 2023),
        units("MN-NDC-2025", "MNG01", 391, 400, 2023),
        units("MN-OIMP-2025", "MNG01", 531, 600, 2024),
    ]
    assert all(list(h) == list(HOLDING_COLUMNS) for h in report.holdings)
    # Every version: MN-NDC-2025 as recorded, then with its authorised entity (version 2).
    first, ndc, oimp = report.authorizations
    assert first == {**ndc, "Version of the authorization": 1, "Authorized entity(ies) ID": NA}
    assert ndc == {
        "Authorization ID": "MN-NDC-2025",
        "Date of authorization": "01/03/2025",
        "Cooperative approach ID": "CA0001",
        "Version of the authorization": 2,
        "Authorized quantity": 400,
        "Metric": "GHG",
        "Applicable GWP value(s)": "AR5",
        "Applicable non-GHG metric": NA,
        "Sector(s)": "Energy generation",
        "Activity type(s)": "Solar power",
        "Purposes for authorization": "NDC",
        "Authorized Party(ies) ID": "JPN",
        "Authorized entity(ies) ID": "MN-REG-0042",
        "OIMP authorized by the Party": NA,
        "Authorized timeframe": "2023-2024",
        "Authorization terms and conditions": "Use towards Japan's NDC only",
        "Authorization documentation*": "",
        "First transfer definition for OIMP": NA,
        "Additional explanatory information": "document: Letter of authorisation MN-NDC-2025",
    }
    assert (oimp["Purposes for authorization"], oimp["OIMP authorized by the Party"]) == ("OIMP", "CORSIA")
    assert (oimp["First transfer definition for OIMP"], oimp["Authorized timeframe"], oimp["Authorized quantity"]) == (
        "Use or Cancellation",
        "2024",
        NA,
    )
    assert report.entities == [
        dict(
            zip(
                ENTITY_COLUMNS,
                [
                    "01/03/2025",
                    "Darkhan Solar LLC",
                    "MN",
                    "MN-REG-0042",
                    "CA0001",
                    "Transfers only to Japanese entities",
                    "Revocable on 90 days' notice",
                    "",
                ],
                strict=True,
            )
        )
    ]
    r = report.reconciliation
    assert (r.opening, r.authorized, r.acquired, r.transferred, r.used, r.cancelled, r.closing) == (0, 500, 0, 150, 30, 10, 310)


def test_japans_aef_is_the_hand_worked_rows_cell_by_cell(year):
    t = year.t
    ndc = lambda first, last: units("MN-NDC-2025", "JPN01", first, last, 2023)
    expected = [
        action(t["acquisition_1"], "Acquisition", NA, ndc(301, 350), transferring="MNG"),
        action(t["acquisition_2"], "Acquisition", NA, ndc(1, 100), transferring="MNG"),
        action(t["ndc_use"], "Use", NA, ndc(1, 60), purpose="NDC", using_party="JPN", ndc_year=2030),
    ]
    report = build_annual_information(year.japan, dt.datetime.now(dt.UTC).year)
    assert report.actions == expected
    assert report.holdings == [ndc(61, 100), ndc(301, 350)]
    assert (report.authorizations, report.entities) == ([], [])
    assert report.submission[0]["Party"] == "JPN"


def test_the_year_adjusts_as_worked_by_hand_and_verifies(year):
    assert adjustment_totals() == {("MN", 2023): 150, ("MN", 2024): 30, ("JP", 2030): -60}
    assert year.t["corsia"].using_entity.name == "MIAT Mongolian Airlines"
    assert verify().ok


def test_both_registries_pass_the_consistency_checks(year):
    this_year = dt.datetime.now(dt.UTC).year
    assert check_annual_information(year.mongolia, this_year) == []
    assert check_annual_information(year.japan, this_year) == []


def test_a_year_not_ended_says_so_and_the_holdings_state_their_snapshot(year):
    report = build_annual_information(year.mongolia, dt.datetime.now(dt.UTC).year)
    assert not report.complete
    assert "has not ended" in snapshot_note(report)
    past = build_annual_information(year.mongolia, 2024)
    assert past.complete and snapshot_note(past) == "Holdings at the end of 2024 (snapshot 2025-01-01T00:00:00Z)."


# The consistency checks find what is wrong, with table and row -------------------------------------


def _findings(registry, mutate):
    report = build_annual_information(registry, dt.datetime.now(dt.UTC).year)
    mutate(report)
    return [(f.table, f.row, f.column) for f in check_report(registry, report)]


def test_the_checks_find_a_value_outside_the_controlled_list(year):
    def mutate(report):
        report.actions[7]["Purpose for which the ITMO has been used towards or cancelled for OIMP"] = "CORSIA"

    column = "Purpose for which the ITMO has been used towards or cancelled for OIMP"
    assert ("Table 3 Actions", 9, column) in _findings(year.mongolia, mutate)


def test_the_checks_find_an_acquisition_without_a_matching_transfer(year):
    def mutate(report):
        report.actions[0]["Quantity (t CO2 eq)"] = 49
        report.actions[0]["Last ID"] = "CA0001-MNG01-MNG-349-2023"
        report.actions[0]["Last unit ID"] = 349

    assert ("Table 3 Actions", 2, None) in _findings(year.japan, mutate)


def test_the_checks_find_a_second_first_transfer_and_one_without_authorisation(year):
    def mutate(report):
        twice = dict(report.actions[1], **{"Action date": report.actions[4]["Action date"]})
        report.actions.insert(5, twice)  # 301-350 first transferred again
        report.actions[0]["Last unit ID"] = 200  # the authorisation row now covers only 1-200
        report.actions[0]["Last ID"] = "CA0001-MNG01-MNG-200-2023"
        report.actions[0]["Quantity (t CO2 eq)"] = 200

    found = _findings(year.mongolia, mutate)
    assert ("Table 3 Actions", 3, None) in found  # 301-350 first transferred without authorisation
    assert ("Table 3 Actions", 7, None) in found  # and a second time


def test_the_checks_find_holdings_that_do_not_follow_from_the_actions(year):
    def mutate(report):
        del report.holdings[1]

    assert ("Table 4 Holdings", None, None) in _findings(year.mongolia, mutate)


def test_the_checks_find_malformed_identifiers(year):
    def mutate(report):
        report.holdings[0]["First ID"] = "CA0001-MNG01-MNG-102-2023"
        report.actions[2]["Acquiring participating Party ID"] = "JP"

    found = _findings(year.mongolia, mutate)
    assert ("Table 4 Holdings", 2, "First ID") in found
    assert ("Table 3 Actions", 4, "Acquiring participating Party ID") in found


def test_registry_aef_check_lists_findings_and_exits_1(year, capsys):
    create_authorization(
        year.admin_mn,
        year.mongolia,
        identifier="MN-MINING",
        date=dt.date(2025, 1, 1),
        cooperative_approach=year.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter",
        sectors="Mining",
    )
    this_year = dt.datetime.now(dt.UTC).year
    with pytest.raises(SystemExit) as exited:
        call_command("aef", "--registry", "MNG01", "--year", str(this_year), "--check")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "Table 2 Authorizations row 2 [Sector(s)]: 'Mining' is not one of the controlled values" in out
    assert "MNG01 " + str(this_year) + ": 1 finding" in out
    call_command("aef", "--registry", "JPN01", "--year", str(this_year), "--check")
    assert "JPN01 " + str(this_year) + ": 0 findings (consistent)" in capsys.readouterr().out
