"""The public pages, with figures from the ledger; the JCM registry's published summary reproduced."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from registry.accounts.models import AccountType
from registry.accounts.services import system_account
from registry.parties.models import CreditingProgramme, Notice, Party
from registry.parties.services import register_project
from registry.transactions.services import cancel_units, issue_units, retire_units, transfer_units
from registry.units.models import CorsiaEligibility


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def jcm_summary(world):
    """Japan's registry holds what its published summary shows: Government 130, Entities 622,798,
    Retirement 0, Mandatory cancellation 0, Voluntary cancellation 78,851 (tCO2)."""
    project = register_project(
        world.admin_jp,
        world.japan,
        identifier="MN-JP-001",
        name="JCM project in Mongolia, Japan's share",
        programme=CreditingProgramme.objects.get(code="JCM"),
        host_party=Party.objects.get(alpha2="MN"),
        cooperative_approach=world.approach,
    )
    issue_units(actor=world.admin_jp, account=world.japanese, project=project, unit_type=world.jcm, vintage=2022, quantity=701_779)
    government = system_account(world.japan, AccountType.PARTY_HOLDING)
    transfer_units(actor=world.admin_jp, from_account=world.japanese, to_account=government, quantity=130)
    cancel_units(actor=world.admin_jp, account=world.japanese, kind="voluntary", quantity=78_851)
    return world


PUBLISHED = {
    "party_holding": 130,
    "entity_holding": 622_798,
    "retirement": 0,
    "mandatory_cancellation": 0,
    "voluntary_cancellation": 78_851,
}


def test_the_public_amounts_page_shows_the_published_jcm_summary(jcm_summary, client):
    page = client.get("/public/JPN01/amounts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for label, units in [
        ("Party holding account", "130"),
        ("Entity holding account", "622,798"),
        ("Retirement account", "0"),
        ("Mandatory cancellation account", "0"),
        ("Voluntary cancellation account", "78,851"),
    ]:
        assert f'<tr><td>{label}</td><td>JCM</td><td class="number">{units}</td></tr>' in page
    assert "<svg" in page  # and as a chart


def test_the_public_amounts_csv_has_exactly_the_published_figures(jcm_summary, client):
    rows = rows_of(client.get("/public/JPN01/amounts/?format=csv"))
    assert rows[0] == ["account_type", "unit_type", "units"]
    jcm = {account_type: int(units) for account_type, unit_type, units in rows[1:] if unit_type == "JCM"}
    assert {k: jcm[k] for k in PUBLISHED} == PUBLISHED


def test_entity_holding_accounts_are_listed_with_their_head_offices(world, client):
    world.japanese.entity.head_office = "1-1 Marunouchi, Chiyoda, Tokyo"
    world.japanese.entity.save()
    assert "1-1 Marunouchi, Chiyoda, Tokyo" in client.get("/public/JPN01/entities/").content.decode()
    rows = rows_of(client.get("/public/JPN01/entities/?format=csv"))
    assert rows[1][0] == "Sakura Trading" and rows[1][3] == "1-1 Marunouchi, Chiyoda, Tokyo"
    assert "Darkhan" not in client.get("/public/JPN01/entities/").content.decode()  # Mongolia's are on Mongolia's page


def test_the_annual_transactions_summary_counts_each_type(jcm_summary, client):
    rows = rows_of(client.get("/public/JPN01/transactions/?format=csv"))
    year = str(timezone.now().year)
    assert [year, "cancellation", "1", "78851"] in rows
    assert [year, "internal_transfer", "1", "130"] in rows
    assert [year, "issuance", "1", "701779"] in rows


@pytest.fixture
def searchable(world):
    world.issue(100, vintage=2022)
    world.issue(50, vintage=2024)
    transfer_units(
        actor=world.admin_mn,
        from_account=world.seller,
        to_account=world.buyer,
        ranges=[("MNG01", __import__("registry.core.serials", fromlist=["SerialRange"]).SerialRange(10, 19))],
    )
    CorsiaEligibility.objects.create(
        programme=world.jcm.programme, first_vintage=2021, last_vintage=2026, eligible=True, compliance_period="First phase (2024-2026)"
    )
    return world


@pytest.mark.parametrize(
    ("query", "identifiers"),
    [
        ("vintage=2024", ["CA0001-MNG01-MNG-101-150-2024"]),
        ("serial=15", ["CA0001-MNG01-MNG-10-19-2022"]),
        ("identifier=CA0001-MNG01-MNG-12-2022", ["CA0001-MNG01-MNG-10-19-2022"]),
        (
            "project=MN001&status=held",
            ["CA0001-MNG01-MNG-1-9-2022", "CA0001-MNG01-MNG-10-19-2022", "CA0001-MNG01-MNG-20-100-2022", "CA0001-MNG01-MNG-101-150-2024"],
        ),
        ("status=retired", []),
        ("identifier=nonsense", []),
        ("registry=MNG01&vintage=2024", ["CA0001-MNG01-MNG-101-150-2024"]),
        ("registry=JPN01&vintage=2024", []),
        ("programme=jcm&vintage=2024", ["CA0001-MNG01-MNG-101-150-2024"]),
        ("programme=J-Credit", []),
        ("unit_type=jcm&serial=150", ["CA0001-MNG01-MNG-101-150-2024"]),
        ("unit_type=JC", []),
        ("project=nobody", []),
    ],
)
def test_credit_search_finds_blocks_by_each_criterion(searchable, client, query, identifiers):
    rows = rows_of(client.get(f"/public/search/?{query}&format=csv"))
    assert [row[0] for row in rows[1:]] == identifiers


def test_credit_search_shows_corsia_eligibility_and_no_holders(searchable, client):
    page = client.get("/public/search/?vintage=2024").content.decode()
    assert "CA0001-MNG01-MNG-101-150-2024" in page
    assert searchable.seller.number not in page and "Darkhan" not in page
    rows = rows_of(client.get("/public/search/?vintage=2024&format=csv"))
    assert rows[1][-1] == "True"


def test_the_corsia_list_is_downloadable(searchable, client):
    rows = rows_of(client.get("/public/corsia/?format=csv"))
    assert rows[1] == ["JCM", "2021", "2026", "True", "First phase (2024-2026)", ""]


def test_notices_and_maintenance_windows_are_public_in_both_languages(world, client):
    now = timezone.now()
    Notice.objects.create(
        kind="maintenance", title_en="System maintenance", title_ja="システムメンテナンス", published_at=now,
        starts_at=now + timezone.timedelta(days=1), ends_at=now + timezone.timedelta(days=1, hours=2),
    )  # fmt: skip
    assert "System maintenance" in client.get("/public/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    japanese = client.get("/public/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "システムメンテナンス" in japanese and "口座種別ごとのクレジット記録量" in japanese


def test_holdings_show_whether_blocks_are_corsia_eligible(searchable):
    from registry.units.holdings import holdings

    eligible = {h.identifier: h.corsia_eligible for h in holdings(searchable.mongolia)}
    assert eligible["CA0001-MNG01-MNG-101-150-2024"] is True
    CorsiaEligibility.objects.all().delete()
    assert not any(h.corsia_eligible for h in holdings(searchable.mongolia))


def test_public_figures_are_summed_once_per_state_of_the_journal(world, django_assert_num_queries):
    from registry.disclosure.figures import amounts_by_account_type, annual_transactions

    world.issue(100)
    held = {(r["account_type"], r["units"]) for r in amounts_by_account_type(world.mongolia)}
    assert ("entity_holding", 100) in held
    annual_transactions(world.mongolia)
    with django_assert_num_queries(2):  # the journal head, twice: no sum over blocks or transactions
        amounts_by_account_type(world.mongolia)
        annual_transactions(world.mongolia)
    retire_units(actor=world.admin_mn, account=world.seller, quantity=30)  # a new journal entry: figures follow at once
    held = {(r["account_type"], r["units"]) for r in amounts_by_account_type(world.mongolia)}
    assert {("entity_holding", 70), ("retirement", 30)} <= held
    assert {row["type"] for row in annual_transactions(world.mongolia)} == {"issuance", "retirement"}
