"""The interchange format (docs/interchange.md): a registry's history exported from its journal is a
file the import's validation accepts line for line; a broken file is refused, each problem naming
its line, and nothing is written."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.benchmarks.ledger import REGISTRY as BENCHMARK_REGISTRY
from registry.benchmarks.ledger import grow_ledger, prepare_world
from registry.core import entries
from registry.installation.seed import seed_demo_ledger, seed_reference_data
from registry.interchange.export import export_history
from registry.interchange.records import typed_entry
from registry.interchange.schemas import schema_problems
from registry.interchange.validation import validate
from registry.journal.models import JournalEntry
from registry.parties.models import Registry
from registry.units.models import UnitBlock


def exported(registry_id: str) -> list[str]:
    out = io.StringIO()
    export_history(Registry.objects.get(registry_id=registry_id), out)
    return out.getvalue().splitlines()


def records(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines]


def assert_dated_records_are_the_journal(registry_id: str, lines: list[str]) -> None:
    """Each dated record reads back into exactly the typed entry its journal holds."""
    dated = [r for r in records(lines) if "effective" in r and r["record"] != "header"]
    stored = list(JournalEntry.objects.filter(registry__registry_id=registry_id).order_by("sequence"))
    assert len(dated) == len(stored) > 0
    for sequence, (record, row) in enumerate(zip(dated, stored, strict=True), start=1):
        recorded = typed_entry(record, registry_id, sequence)
        assert entries.write_body(recorded) == row.body


@pytest.fixture
def demo(db):
    seed_reference_data()
    seed_demo_ledger()


def test_every_record_of_the_demo_export_matches_its_schema_and_its_journal_entry(demo):
    for registry in Registry.objects.exclude(journal_length=0):
        lines = exported(registry.registry_id)
        assert json.loads(lines[0])["record"] == "header"
        for number, record in enumerate(records(lines), start=1):
            assert schema_problems(record) == [], f"{registry} line {number}"
        assert_dated_records_are_the_journal(registry.registry_id, lines)


def test_the_demo_export_of_each_registry_passes_the_import_validation(demo):
    checked = 0
    for registry in Registry.objects.exclude(journal_length=0):
        report = validate(exported(registry.registry_id))
        assert report.problems == [], registry
        assert report.valid and report.registry == registry.registry_id
        assert report.dated == registry.journal_length
        checked += 1
    assert checked >= 2  # MNG01 and JPN01, with an external transfer and its acquisition between them


def test_the_benchmark_ledger_exports_and_validates(db):
    world = prepare_world(clients=1)
    grow_ledger(world, blocks=UnitBlock.objects.count() + 200, batch=100)
    lines = exported(BENCHMARK_REGISTRY)
    assert_dated_records_are_the_journal(BENCHMARK_REGISTRY, lines)
    report = validate(lines)
    assert report.problems == []
    assert report.dated == Registry.objects.get(registry_id=BENCHMARK_REGISTRY).journal_length


def test_export_history_and_import_dry_run_commands(demo, tmp_path: Path):
    path = tmp_path / "mng.jsonl"
    out = io.StringIO()
    call_command("export_history", registry="MNG01", output=str(path), stdout=out)
    assert "records of MNG01" in out.getvalue()
    # Into this installation the history is refused: MNG01 already has live entries.
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import", input=str(path), dry_run=True, stdout=io.StringIO(), stderr=err)
    assert "[7630] Registry MNG01 already has" in err.getvalue() and "recorded live" in err.getvalue()


# Refusals -----------------------------------------------------------------------------------------


def _first(lines: list[str], predicate) -> int:
    """The index (0-based) of the first line whose record satisfies ``predicate``."""
    return next(i for i, line in enumerate(lines) if predicate(json.loads(line)))


def _is(type_: str):
    return lambda r: r.get("record") == "transaction" and r.get("type") == type_


def _problems(lines: list[str]) -> list[str]:
    report = validate(lines)
    assert not report.valid
    return [str(p) for p in report.problems]


@pytest.fixture
def mongolia(demo) -> list[str]:
    return exported("MNG01")


def test_an_overlapping_issuance_is_refused_naming_its_line(mongolia):
    lines = list(mongolia)
    at = _first(lines, _is("issuance"))
    lines.insert(at + 1, lines[at])  # the same serials issued twice
    problems = _problems(lines)
    assert any(p.startswith(f"line {at + 2}: [7619] ") and "overlap" in p for p in problems), problems


def test_an_unknown_account_is_refused_naming_its_line(mongolia):
    lines = list(mongolia)
    at = _first(lines, _is("internal_transfer"))
    record = json.loads(lines[at])
    record["to"] = "MN-999-9999"
    lines[at] = json.dumps(record)
    problems = _problems(lines)
    assert f"line {at + 1}: [7612] Account MN-999-9999 is unknown: no earlier line opens it." in problems


def test_an_action_before_its_authorisation_is_refused_naming_its_line(mongolia):
    lines = list(mongolia)
    at = _first(lines, _is("authorization"))
    record = json.loads(lines[at])
    version_line = _first(lines, lambda r: r.get("record") == "authorization_version" and r["authorization"] == record["authorization"])
    version = json.loads(lines[version_line])
    version["date"] = "2030-01-01"  # authorised only years after the units were
    lines[version_line] = json.dumps(version)
    problems = _problems(lines)
    assert any(
        p.startswith(f"line {at + 1}: [7618] An action on ") and f"before authorization {record['authorization']}" in p for p in problems
    )


def test_a_date_out_of_order_is_refused_naming_its_line(mongolia):
    lines = list(mongolia)
    dated = [i for i, line in enumerate(lines) if "effective" in json.loads(line) and json.loads(line)["record"] != "header"]
    at = dated[-1]
    record = json.loads(lines[at])
    record["effective"] = "2001-01-01T00:00:00Z"
    lines[at] = json.dumps(record)
    problems = _problems(lines)
    assert any(p.startswith(f"line {at + 1}: [7609] Date out of order: 2001-01-01T00:00:00Z is before ") for p in problems), problems


def test_a_line_that_breaks_the_schema_or_is_not_json_is_named(mongolia):
    lines = list(mongolia)
    at = _first(lines, _is("issuance"))
    record = json.loads(lines[at])
    record["surprise"] = 1
    lines[at] = json.dumps(record)
    lines.append("{not json")
    problems = _problems(lines)
    assert any(
        p.startswith(f"line {at + 1}: [7604] The record does not match the schema of issuance: Additional properties") for p in problems
    )
    assert any(p.startswith(f"line {len(lines)}: [7601] The line is not one JSON object") for p in problems)


def test_the_import_command_reports_every_problem_and_writes_nothing(mongolia, tmp_path: Path):
    lines = list(mongolia)
    at = _first(lines, _is("internal_transfer"))
    record = json.loads(lines[at])
    record["from"] = "MN-000-0000"
    lines[at] = json.dumps(record)
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = JournalEntry.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import", input=str(path), dry_run=True, stdout=io.StringIO(), stderr=err)
    assert f"{path}:line {at + 1}: [7612] Account MN-000-0000 is unknown" in err.getvalue()
    assert JournalEntry.objects.count() == before


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory, django_db_setup, django_db_blocker) -> list[Path]:
    """MNG01's and JPN01's demo histories as files, written from a database rolled back afterwards."""
    from django.db import transaction

    directory = tmp_path_factory.mktemp("interchange")
    paths = [directory / "MNG01.jsonl", directory / "JPN01.jsonl"]
    with django_db_blocker.unblock(), transaction.atomic():
        seed_reference_data()
        seed_demo_ledger()
        for path in paths:
            with path.open("w", encoding="utf-8") as out:
                export_history(Registry.objects.get(registry_id=path.stem), out)
        transaction.set_rollback(True)
    return paths


def test_into_an_empty_installation_the_demo_histories_check_clean_and_the_dry_run_writes_nothing(db, demo_files, monkeypatch):
    command = importlib.import_module("registry.cli.management.commands.import")

    monkeypatch.setattr(command, "PROGRESS_FROM_BYTES", 0)  # the streamed path, with its progress bar
    assert not Registry.objects.exists()
    out = io.StringIO()
    call_command("import", "--input", str(demo_files[0]), "--input", str(demo_files[1]), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "dated records of MNG01" in out.getvalue() and "dated records of JPN01" in out.getvalue()
    assert "no problems" in out.getvalue() and "dry run: nothing was written" in out.getvalue()
    assert not Registry.objects.exists() and not JournalEntry.objects.exists()


def test_an_external_transfer_without_the_other_registrys_file_is_refused_with_7632(db, demo_files):
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import", input=str(demo_files[0]), dry_run=True, stdout=io.StringIO(), stderr=err)
    line = _first(demo_files[0].read_text(encoding="utf-8").splitlines(), _is("external_transfer")) + 1
    assert f"{demo_files[0]}:line {line}: [7632] An external transfer between MNG01 and JPN01" in err.getvalue()
