"""The ``registry`` console script end to end, as an operator uses it, on a fresh SQLite registry."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

REGISTRY = shutil.which("registry") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "registry")
SELLER = "MNG01-000007"  # the demo's Darkhan Solar LLC: opened after the party holding and five system accounts
GOVERNMENT = "MNG01-000001"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("registry-home")
    run(home, "init", "--demo")
    run(home, "create-admin", "--username", "ops", "--registry", "MNG01", env={"REGISTRY_ADMIN_PASSWORD": "a long pass phrase for ops"})
    return home


def run(home: Path, *args: str, env: dict[str, str] | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update({"REGISTRY_HOME": str(home), "REGISTRY_OPERATOR": "ops", **(env or {})})
    result = subprocess.run([REGISTRY, *args], env=environment, capture_output=True, text=True, timeout=120, check=False)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_init_twice_is_harmless_and_the_demo_ledger_verifies(home):
    run(home, "init")
    result = run(home, "verify")
    assert "verify: OK" in result.stdout
    assert (
        "MNG01 JCM 2023: 1,000 issued = entity_holding 720, party_holding 130, retirement 50, voluntary_cancellation 100" in result.stdout
    )


def test_transfer_prints_the_serials_it_moved(home):
    result = run(home, "transfer", "--registry", "MNG01", "--from", SELLER, "--to", GOVERNMENT, "--range", "431-435")
    assert f"completed: 5 units from {SELLER} to {GOVERNMENT} (blocks CA0001-MNG01-MNG-431-435-2023)" in result.stdout


def test_a_refused_transfer_exits_non_zero_with_its_check_code(home):
    result = run(home, "transfer", "--registry", "MNG01", "--from", SELLER, "--to", GOVERNMENT, "--quantity", "999999", ok=False)
    assert result.returncode == 1
    assert "refused [4004]" in result.stderr


def test_acting_without_rights_is_refused_with_2001(home):
    result = run(home, "issue", "--registry", "JPN01", "--account", "JPN01-000007", "--project", "JCL-R001", "--unit-type", "JC",
                 "--vintage", "2022", "--quantity", "5", ok=False)  # fmt: skip
    assert "refused [2001]" in result.stderr


def test_export_holdings_writes_every_block_with_its_identifier(home, tmp_path):
    out = tmp_path / "holdings.csv"
    run(home, "export-holdings", "--registry", "MNG01", "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert sum(int(row["quantity"]) for row in rows) == 1300  # 200 went to Japan
    assert all(row["identifier"].startswith("CA0001-MNG01-MNG-") for row in rows)


def test_article6_from_the_command_line(home, tmp_path):
    today = __import__("datetime").date.today()
    run(home, "create-authorization", "--registry", "MNG01", "--identifier", "MN-CLI-1", "--date", "2025-02-01", "--approach", "CA0001",
        "--purposes", "NDC", "--first-transfer", "first_international_transfer", "--document", "Letter 7")  # fmt: skip
    result = run(home, "authorize", "--registry", "MNG01", "--authorization", "MN-CLI-1", "--project", "MN001", "--vintages", "2024")
    assert "authorisation completed: 500 units" in result.stdout
    result = run(home, "transfer-external", "--registry", "MNG01", "--from", SELLER, "--to", "JPN01-000007", "--range", "1001-1010")
    assert "external transfer completed: 10 units" in result.stdout
    assert "CA0001-MNG01-MNG-1001-1010-2024" in result.stdout
    result = run(
        home, "aef", "--registry", "MNG01", "--year", str(today.year), "--output", str(tmp_path / "aef.xlsx"), "--csv-dir", str(tmp_path)
    )
    assert "(reconciled)" in result.stdout
    actions = list(csv.DictReader((tmp_path / f"MNG01-{today.year}-actions.csv").open(encoding="utf-8-sig")))
    assert {"Authorization", "First transfer", "Transfer"} <= {row["Action type"] for row in actions}
    assert "MN 2024: +10 tCO2e" in run(home, "adjustments").stdout


def test_representatives_are_created_and_granted_rights_from_the_command_line(home):
    run(home, "create-user", "--username", "batbayar", env={"REGISTRY_USER_PASSWORD": "a long pass phrase for batbayar"})
    result = run(home, "grant-right", "--registry", "MNG01", "--user", "batbayar", "--account", SELLER, "--right", "initiate")
    assert f"batbayar may now initiate for account {SELLER}" in result.stdout
    assert "0 delayed transaction(s) completed" in run(home, "run-due").stdout


def test_check_codes_prints_the_published_table(home):
    published = (Path(__file__).resolve().parents[2] / "docs" / "check-codes.md").read_text(encoding="utf-8")
    assert run(home, "check-codes").stdout == published


def test_verify_fails_and_says_why_after_a_block_is_edited_in_the_database(home, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(home, tampered)
    with sqlite3.connect(tampered / "registry.sqlite3") as db:
        db.execute("UPDATE units_unitblock SET account_id = (SELECT id FROM accounts_account WHERE number = ?) WHERE account_id = "
                   "(SELECT id FROM accounts_account WHERE number = ?)", (GOVERNMENT, SELLER))  # fmt: skip
    result = run(tampered, "verify", ok=False)
    assert result.returncode == 1
    assert "PROBLEM: MNG01 blocks differ from the replayed journal" in result.stdout


def test_a_j_credit_nullification_with_its_purpose_and_the_schemes_refusals(home):
    run(home, "create-admin", "--username", "ops-jp", "--registry", "JPN01", env={"REGISTRY_ADMIN_PASSWORD": "a long pass phrase for ops"})
    as_japan = {"REGISTRY_OPERATOR": "ops-jp"}
    use = ["retire", "--registry", "JPN01", "--account", "JPN01-000007", "--unit-type", "JC", "--quantity", "5"]
    done = run(home, *use, "--purpose-code", "jc-offset", "--country", "SG", "--credit-user", "Lion City Offsets", env=as_japan)
    assert "completed: 5 units" in done.stdout and "JC-JPN01-NA-301-305-2022" in done.stdout
    refused = run(home, *use, "--purpose-code", "jc-ndc", "--country", "SG", env=as_japan, ok=False)
    assert "refused [6015]" in refused.stderr
    both = run(home, *use, "--range", "310-311", env=as_japan, ok=False)
    assert "refused [1003]" in both.stderr  # the same code as on the web and the API, not an argparse error


def test_a_command_before_init_says_so_and_creates_nothing(tmp_path):
    result = run(tmp_path, "create-admin", "--username", "admin", "--superuser", ok=False)
    assert result.returncode == 2
    assert f"no database at {tmp_path / 'registry.sqlite3'}" in result.stderr and "registry init" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_command_finds_the_database_of_scripts_start_from_any_directory(tmp_path, monkeypatch):
    from registry.home import registry_home

    monkeypatch.delenv("REGISTRY_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert registry_home() == Path(__file__).resolve().parents[2] / "var"


def test_help_takes_the_hyphenated_command_names_of_the_readme(home):
    result = run(home, "help", "register-project")
    assert "--programme" in result.stdout and "--approach" in result.stdout


def test_registry_hours_sets_and_shows_the_hours_in_the_registrys_zone(home):
    result = run(home, "hours", "--registry", "MNG01", "--days", "mon-fri", "--opens", "09:00", "--closes", "18:00")
    assert "registry MNG01 accepts account holders' movements Mon-Fri 09:00-18:00 (Asia/Ulaanbaatar)" in result.stdout
    refused = run(home, "hours", "--registry", "MNG01", "--preset", "jcredit", ok=False)
    assert "the J-Credit hours are Japan time" in refused.stderr
    bad = run(home, "hours", "--registry", "MNG01", "--opens", "18:00", "--closes", "09:00", ok=False)
    assert "refused [1013]" in bad.stderr
    assert "Mon-Fri 09:00-18:00" in run(home, "hours", "--registry", "MNG01").stdout
    assert "at any time" in run(home, "hours", "--registry", "MNG01", "--always").stdout


def test_an_empty_database_is_refused_with_the_same_advice(tmp_path):
    sqlite3.connect(tmp_path / "registry.sqlite3").close()  # left behind by an older version, say
    result = run(tmp_path, "holdings", "--registry", "JPN01", ok=False)
    assert result.returncode == 2 and "is not set up" in result.stderr and "registry init" in result.stderr


def test_a_corsia_cancellation_names_its_airline_and_the_lists_show_authorised_entities(home):
    today = __import__("datetime").date.today()
    run(home, "open-account", "--registry", "MNG01", "--type", "use", "--name", "CORSIA use", "--purpose", "CORSIA")
    run(home, "issue", "--registry", "MNG01", "--account", SELLER, "--project", "MN001", "--unit-type", "JCM", "--vintage",
        str(today.year), "--quantity", "40", "--first-transferring-party", "MN")  # fmt: skip
    refused = run(home, "create-authorization", "--registry", "MNG01", "--identifier", "MN-CORSIA", "--date", "2025-05-01",
                  "--approach", "CA0001", "--purposes", "OIMP", "--first-transfer", "first_international_transfer",
                  "--document", "Letter 8", ok=False)  # fmt: skip
    assert "refused [6021]" in refused.stderr
    run(home, "create-authorization", "--registry", "MNG01", "--identifier", "MN-CORSIA", "--date", "2025-05-01", "--approach",
        "CA0001", "--purposes", "OIMP", "--oimp-purposes", "CORSIA", "--first-transfer", "use_or_cancellation", "--document",
        "Letter 8", "--timeframe", str(today.year), "--activity-types", "Solar power")  # fmt: skip
    result = run(home, "authorize", "--registry", "MNG01", "--authorization", "MN-CORSIA", "--project", "MN001")
    assert "authorisation completed: 40 units" in result.stdout  # only the vintage of the timeframe
    run(home, "authorize-entity", "--registry", "MNG01", "--authorization", "MN-CORSIA", "--name", "Darkhan Solar LLC",
        "--country", "MN", "--conditions", "CORSIA only")  # fmt: skip
    run(home, "register-entity", "--registry", "MNG01", "--name", "MIAT Mongolian Airlines", "--country", "MN",
        "--identification-number", "ICAO-MGL")  # fmt: skip
    result = run(home, "cancel", "--registry", "MNG01", "--account", SELLER, "--kind", "oimp", "--oimp-purpose", "CORSIA",
                 "--quantity", "10", "--using-entity", "ICAO-MGL")  # fmt: skip
    assert f"-{today.year}" in result.stdout.split("(blocks ")[1]  # the eligible units, not the older NDC ones
    listed = list(csv.DictReader(run(home, "authorizations", "--registry", "MNG01", "--format", "csv").stdout.splitlines()))
    corsia = next(row for row in listed if row["identifier"] == "MN-CORSIA")
    assert (corsia["timeframe"], corsia["activity_types"], corsia["authorized_units"]) == (str(today.year), "Solar power", "40")
    assert corsia["authorized_entities"] == "Darkhan Solar LLC (MN) conditions: CORSIA only"  # the account holder
    assert "authorised entity: Darkhan Solar LLC (MN)" in run(home, "authorizations", "--registry", "MNG01").stdout
    accounts = list(csv.DictReader(run(home, "accounts", "--registry", "MNG01", "--format", "csv").stdout.splitlines()))
    seller = next(row for row in accounts if row["number"] == SELLER)
    assert (seller["entity"], seller["entity_country"], seller["authorizations"]) == ("Darkhan Solar LLC", "MN", "MN-CORSIA")
    assert f"{SELLER} entity_holding 'Darkhan Solar LLC' open" in run(home, "accounts", "--registry", "MNG01").stdout
    checked = run(home, "aef", "--registry", "MNG01", "--year", str(today.year), "--check")
    assert f"MNG01 {today.year}: 0 findings (consistent)" in checked.stdout


def test_what_a_command_does_is_logged_as_done_from_the_command_line(home):
    run(home, "create-user", "--username", "tuya", env={"REGISTRY_USER_PASSWORD": "a long pass phrase for tuya"})
    run(home, "grant-right", "--registry", "MNG01", "--user", "tuya", "--account", SELLER, "--right", "read_only")
    with sqlite3.connect(home / "registry.sqlite3") as db:
        found = db.execute("SELECT action, channel FROM access_operationlog WHERE target LIKE 'tuya %'").fetchall()
    assert found == [("grant_right", "cli")]
