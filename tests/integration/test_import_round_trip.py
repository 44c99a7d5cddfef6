"""Export, then import into an empty database, gives the same blocks, balances, Article 6 records
and AEF of every year (docs/interchange.md): on the demo ledger (two registries, with an external
transfer between them) and on the benchmark ledger. Each imported entry keeps its original date as
``effective`` beside the date of import, and the imported ledger verifies."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction

from registry.benchmarks.ledger import REGISTRY as BENCHMARK_REGISTRY
from registry.benchmarks.ledger import grow_ledger, prepare_world
from registry.core import entries
from registry.installation.seed import seed_demo_ledger, seed_reference_data
from registry.interchange.importing import import_history
from registry.journal.models import JournalEntry
from registry.notifications.models import Notification
from registry.verification import verify
from tests.integration.importing_pictures import export_files, picture

DEMO = ["MNG01", "JPN01"]


def _exported(tmp_path_factory, django_db_blocker, name: str, build, registry_ids: list[str]) -> tuple[list[Path], dict[str, Any]]:
    """The histories as files and the picture of the ledger they came from, in a database rolled back afterwards."""
    directory = tmp_path_factory.mktemp(name)
    with django_db_blocker.unblock(), transaction.atomic():
        build()
        paths = export_files(directory, registry_ids)
        before = picture(registry_ids)
        transaction.set_rollback(True)
    return paths, before


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory, django_db_setup, django_db_blocker):
    def build() -> None:
        seed_reference_data()
        seed_demo_ledger()

    return _exported(tmp_path_factory, django_db_blocker, "demo", build, DEMO)


@pytest.fixture(scope="module")
def benchmark_history(tmp_path_factory, django_db_setup, django_db_blocker):
    def build() -> None:
        world = prepare_world(clients=1)
        grow_ledger(world, blocks=200, batch=100)

    return _exported(tmp_path_factory, django_db_blocker, "benchmark", build, [BENCHMARK_REGISTRY])


def _operator() -> User:
    return User.objects.create_superuser("importer", password=None)


def test_the_demo_ledger_round_trips_through_export_and_import(db, demo_history):
    paths, before = demo_history
    assert not JournalEntry.objects.exists()
    imported = import_history(_operator(), paths)
    assert imported.registries == DEMO
    assert picture(DEMO) == before
    assert not Notification.objects.exists()  # nobody is told today of what happened long ago
    report = verify()
    assert report.ok, report.problems


def test_the_benchmark_ledger_round_trips_through_export_and_import(db, benchmark_history):
    paths, before = benchmark_history
    import_history(_operator(), paths)
    assert picture([BENCHMARK_REGISTRY]) == before
    assert verify().ok


def test_each_imported_entry_keeps_its_original_date_beside_the_date_of_import(db, demo_history):
    paths, _ = demo_history
    import_history(_operator(), paths)
    original = [json.loads(line)["effective"] for line in paths[0].read_text(encoding="utf-8").splitlines() if '"effective"' in line]
    stored = [
        entries.parse_body(b)
        for b in JournalEntry.objects.filter(registry__registry_id="MNG01").order_by("sequence").values_list("body", flat=True)
    ]
    assert len(stored) == len(original)
    for recorded, effective in zip(stored, original, strict=True):
        assert recorded.effective is not None and recorded.effective.isoformat().replace("+00:00", "Z") == effective
        assert recorded.at >= recorded.effective


def test_the_import_command_writes_both_registries_and_a_second_import_is_refused_with_7631_or_7630(db, demo_history):
    paths, _ = demo_history
    _operator()
    out = io.StringIO()
    call_command("import", "--input", str(paths[0]), "--input", str(paths[1]), "--as", "importer", stdout=out, stderr=io.StringIO())
    assert "into MNG01, JPN01" in out.getvalue()
    err = io.StringIO()
    with pytest.raises(Exception, match="nothing was written"):
        call_command("import", "--input", str(paths[0]), "--as", "importer", stdout=io.StringIO(), stderr=err)
    assert "[7631]" in err.getvalue()


def test_the_pictures_compared_are_not_empty(demo_history):
    _, before = demo_history
    assert len(before["blocks"]) > 5 and before["article6"]["first_transfers"] and before["article6"]["adjustments"]
    assert any(rows for tables in before["aef"].values() for _name, rows in tables[2:3])  # Table 3 actions
