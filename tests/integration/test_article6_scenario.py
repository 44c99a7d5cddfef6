"""A year of JCM life between Mongolia and Japan, checked number by number.

Mongolia hosts project MN001. It authorises its credits under four authorisations, one for each
definition of the first transfer, transfers some to a Japanese company, uses and cancels others.
Every figure below is worked out by hand in the comments; the AEF export and the corresponding
adjustments must show exactly these numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.article6.adjustments import adjustment_totals
from registry.article6.aef import build_annual_information, totals_by_action, write_csv, write_workbook
from registry.article6.services import create_authorization
from registry.core.serials import SerialRange
from registry.transactions.authorization_services import authorize_units
from registry.transactions.services import cancel_units, retire_units, transfer_externally
from registry.units.models import UnitBlock
from registry.verification import verify


def mn(first: int, last: int) -> list[tuple[str, SerialRange]]:
    return [("MNG01", SerialRange(first, last))]


@pytest.fixture
def year_of_jcm(world):
    w = world
    admin, japan_admin = w.admin_mn, w.admin_jp

    def authorization(identifier: str, purposes: str, definition: str, quantity: int | None = None):
        return create_authorization(
            admin,
            w.mongolia,
            identifier=identifier,
            date=dt.date(2024, 4, 1),
            cooperative_approach=w.approach,
            purposes=purposes,
            first_transfer_definition=definition,
            document_reference=f"Letter of authorisation {identifier}",
            authorized_quantity=quantity,
            oimp_purposes="CORSIA" if "OIMP" in purposes else "",
            sectors="Energy generation",
        )

    ndc = authorization("MN-NDC-1", "NDC", "first_international_transfer", quantity=1000)
    at_authorization = authorization("MN-OIMP-AUTH", "OIMP", "authorization")
    at_issuance = authorization("MN-OIMP-ISS", "OIMP", "issuance")
    at_use = authorization("MN-OIMP-USE", "OIMP", "use_or_cancellation")
    open_account(admin, w.mongolia, account_type=AccountType.USE, name="CORSIA use", purpose="CORSIA")
    open_account(japan_admin, w.japan, account_type=AccountType.USE, name="CORSIA use", purpose="CORSIA")

    w.issue(500, vintage=2023)  # serials 1-500, not yet ITMOs
    authorize_units(actor=admin, authorization=ndc, ranges=mn(1, 300))  # 300 authorised for NDC use
    w.issue(200, vintage=2024)  # serials 501-700
    authorize_units(actor=admin, authorization=at_authorization, project=w.project_mn, vintages=(2024, 2024))  # 200, first transferred now
    from registry.transactions.services import issue_units

    issue_units(  # serials 701-800, born authorised and first transferred at issuance
        actor=admin, account=w.seller, project=w.project_mn, unit_type=w.jcm, vintage=2025, quantity=100, authorization=at_issuance
    )
    w.issue(50, vintage=2025)  # serials 801-850
    authorize_units(actor=admin, authorization=at_use, ranges=mn(801, 850))  # 50, first transferred when used
    transfer_externally(actor=admin, from_account=w.seller, to_account=w.japanese, quantity=250)  # oldest first: 1-250, first transfer
    transfer_externally(actor=admin, from_account=w.seller, to_account=w.japanese, ranges=mn(501, 560))  # 60, already first transferred
    retire_units(actor=japan_admin, account=w.japanese, quantity=100, ndc_year=2030)  # 1-100 towards Japan's NDC
    cancel_units(actor=japan_admin, account=w.japanese, kind="oimp", oimp_purpose="CORSIA", ranges=mn(501, 530))  # 30 for CORSIA
    cancel_units(actor=admin, account=w.seller, kind="oimp", oimp_purpose="CORSIA", ranges=mn(801, 820))  # 20: first transfer at use
    cancel_units(actor=admin, account=w.seller, kind="voluntary", ranges=mn(701, 710))  # 10
    cancel_units(actor=admin, account=w.seller, kind="omge", ranges=mn(251, 260))  # 10
    retire_units(actor=admin, account=w.seller, ranges=mn(301, 310))  # domestic use of unauthorised units: not an ITMO action
    return w


def test_the_ledger_verifies_after_the_year(year_of_jcm):
    report = verify()
    assert report.ok, report.problems


def test_corresponding_adjustments_match_the_hand_worked_totals(year_of_jcm):
    assert adjustment_totals() == {
        ("MN", 2023): 250,  # first transfer to Japan of 1-250 (vintage 2023)
        ("MN", 2024): 200,  # first transfer at authorisation of 501-700 (vintage 2024)
        ("MN", 2025): 120,  # 100 first transferred at issuance + 20 at use for CORSIA (vintage 2025)
        ("JP", 2030): -100,  # Japan uses 100 towards its NDC for 2030
    }


def test_mongolias_aef_reports_every_action_with_the_hand_worked_figures(year_of_jcm):
    report = build_annual_information(year_of_jcm.mongolia, timezone.now().year)
    assert totals_by_action(report) == {
        "Authorization": 650,  # 300 + 200 + 100 (at issuance) + 50
        "First transfer": 570,  # 200 (authorisation) + 100 (issuance) + 250 (to Japan) + 20 (use)
        "Transfer": 310,  # 250 + 60
        "Use": 20,  # CORSIA
        "Voluntary Cancellation": 20,  # 10 other + 10 OMGE
    }
    subtypes = Counter((r["Action type"], r["Action subtype"]) for r in report.actions)
    assert subtypes == {
        ("Authorization", "NA"): 4,
        ("First transfer", "Authorization"): 1,
        ("First transfer", "Issuance"): 1,
        ("First transfer", "First transfer to another Party"): 1,
        ("First transfer", "Use or cancellation"): 1,
        ("Transfer", "NA"): 2,
        ("Use", "NA"): 1,
        ("Voluntary Cancellation", "Other cancellations"): 1,
        ("Voluntary Cancellation", "Voluntary cancellation to deliver OMGE"): 1,
    }
    first_to_japan = next(r for r in report.actions if r["Action subtype"] == "First transfer to another Party")
    assert first_to_japan["First ID"] == "CA0001-MNG01-MNG-1-2023"
    assert first_to_japan["Last ID"] == "CA0001-MNG01-MNG-250-2023"
    assert first_to_japan["Acquiring participating Party ID"] == "JPN"
    assert first_to_japan["Authorization ID"] == "MN-NDC-1"
    assert first_to_japan["Transferring participating Party ID"] == "NA"
    use = next(r for r in report.actions if r["Action type"] == "Use")
    assert (use["First unit ID"], use["Last unit ID"], use["Vintage"]) == (801, 820, 2025)
    assert use["Purpose for which the ITMO has been used towards or cancelled for OIMP"] == "IMP"  # CORSIA
    assert use["Additional explanatory information"].endswith("used for CORSIA")
    assert use["Calendar year for which the ITMOs are used towards the Party's NDC"] == "NA"


def test_mongolias_holdings_reconcile_with_its_actions(year_of_jcm):
    report = build_annual_information(year_of_jcm.mongolia, timezone.now().year)
    r = report.reconciliation
    assert (r.opening, r.authorized, r.acquired, r.transferred, r.used, r.cancelled, r.closing) == (0, 650, 0, 310, 20, 20, 300)
    assert r.balanced
    # 261-300 (NDC), 561-700 (at authorisation), 711-800 (at issuance), 821-850 (at use)
    held = [(h["First unit ID"], h["Last unit ID"], h["Authorization ID"]) for h in report.holdings]
    assert held == [(261, 300, "MN-NDC-1"), (561, 700, "MN-OIMP-AUTH"), (711, 800, "MN-OIMP-ISS"), (821, 850, "MN-OIMP-USE")]


def test_japans_aef_reports_acquisitions_and_uses(year_of_jcm):
    report = build_annual_information(year_of_jcm.japan, timezone.now().year)
    assert totals_by_action(report) == {"Acquisition": 310, "Use": 130}  # 250 + 60 acquired; 100 NDC + 30 CORSIA
    ndc_use = next(
        r
        for r in report.actions
        if r["Action type"] == "Use" and r["Purpose for which the ITMO has been used towards or cancelled for OIMP"] == "NDC"
    )
    assert ndc_use["Calendar year for which the ITMOs are used towards the Party's NDC"] == 2030
    assert ndc_use["Using/cancelling participating Party ID"] == "JPN"
    acquisition = next(r for r in report.actions if r["Action type"] == "Acquisition")
    assert acquisition["Transferring participating Party ID"] == "MNG"
    r = report.reconciliation
    assert (r.opening, r.acquired, r.used, r.closing) == (0, 310, 130, 180)
    assert r.balanced


def test_serials_and_identifiers_are_kept_across_registries(year_of_jcm):
    held_in_japan = list(
        UnitBlock.objects.filter(account=year_of_jcm.japanese).order_by("start").values_list("originating_registry", "start", "end")
    )
    assert held_in_japan == [("MNG01", 101, 250), ("MNG01", 531, 560)]


def test_the_aef_is_written_as_a_workbook_and_as_csv(year_of_jcm, tmp_path):
    report = build_annual_information(year_of_jcm.mongolia, timezone.now().year, submitted=dt.date(2027, 4, 15))
    write_workbook(report, tmp_path / "aef.xlsx")
    book = load_workbook(tmp_path / "aef.xlsx")
    assert book.sheetnames == [
        "Table 1 Submission",
        "Table 2 Authorizations",
        "Table 3 Actions",
        "Table 4 Holdings",
        "Table 5 Authorized entities",
    ]
    actions = book["Table 3 Actions"]
    assert actions.max_row == 1 + 13
    assert [c.value for c in book["Table 1 Submission"][2]][:4] == ["MNG", 1, timezone.now().year, "2027-04-15"]
    assert book["Table 2 Authorizations"].max_row == 1 + 4
    files = write_csv(report, tmp_path / "csv")
    assert [f.name for f in files][2] == f"MNG01-{timezone.now().year}-actions.csv"
    assert len((tmp_path / "csv" / files[2].name).read_text(encoding="utf-8").splitlines()) == 1 + 13


def test_administrators_download_the_aef_and_nobody_else(year_of_jcm, client):
    import io

    from tests.factories import make_user, sign_in

    year = timezone.now().year
    url = f"/registries/MNG01/aef/{year}.xlsx"
    assert client.get(url).status_code == 302  # to the login page
    sign_in(client, year_of_jcm.admin_jp)  # Japan's administrator: not Mongolia's
    assert client.get(url).status_code == 403
    sign_in(client, year_of_jcm.admin_mn)
    response = client.get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book["Table 3 Actions"].max_row == 1 + 13
    csv_text = b"".join(client.get(f"/registries/MNG01/aef/{year}.csv").streaming_content).decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1 + 13
    sign_in(client, make_user())
    assert client.get(url).status_code == 403
