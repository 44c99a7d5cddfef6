"""``registry backup`` while the registry is busy, ``registry restore`` into an empty database: the
restored registry verifies and holds exactly the journal heads the backup reported. On SQLite and on
PostgreSQL (the database the suite runs on)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from django.db import connection

from registry.cli.backups import BackupError, backup, journal_heads, restore
from registry.transactions.services import transfer_units
from tests.factories import make_world

REGISTRY = shutil.which("registry") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "registry")


def registry_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run([REGISTRY, *args], env=environment, capture_output=True, text=True, timeout=300, check=False)


def empty_database(tmp_path: Path) -> dict[str, str]:
    """The environment of a registry whose database is new and empty, beside the suite's own."""
    home = tmp_path / "restored-home"
    home.mkdir()
    if connection.vendor == "sqlite":
        return {"REGISTRY_HOME": str(home)}
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    s = connection.settings_dict
    return {"REGISTRY_HOME": str(home), "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"}


@pytest.mark.usefixtures("committed_db")
def test_a_backup_taken_during_transfers_restores_to_a_registry_that_verifies_with_the_same_heads(tmp_path):
    world = make_world()
    world.issue(1000)
    busy = threading.Event()

    def keep_transferring() -> None:
        try:
            for _ in range(40):
                transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=3)
                busy.set()
        finally:
            connection.close()

    writer = threading.Thread(target=keep_transferring)
    writer.start()
    busy.wait(timeout=60)
    heads = backup(tmp_path / "registry.backup")  # while the writer goes on
    writer.join(timeout=120)
    assert [h.registry for h in heads] == ["JPN01", "MNG01"] and heads[1].length > 1

    target = empty_database(tmp_path)
    restored = registry_command("restore", "--input", str(tmp_path / "registry.backup"), env=target)
    assert restored.returncode == 0, restored.stderr
    assert [str(head) for head in heads] == restored.stdout.strip().splitlines()[1:]
    verified = registry_command("verify", env=target)
    assert verified.returncode == 0 and "verify: OK" in verified.stdout, verified.stdout + verified.stderr
    assert heads[1].length <= journal_heads()[1].length  # the live registry went on meanwhile


@pytest.mark.usefixtures("committed_db")
def test_a_restore_never_overwrites_a_registry_by_mistake_nor_reads_a_file_that_is_not_a_backup(tmp_path):
    make_world()
    backup(tmp_path / "registry.backup")
    with pytest.raises(BackupError, match="already holds a registry"):
        restore(tmp_path / "registry.backup")
    with pytest.raises(BackupError, match="exists already"):
        backup(tmp_path / "registry.backup")
    (tmp_path / "not-a-backup").write_bytes(b"hello")
    refused = registry_command("restore", "--input", str(tmp_path / "not-a-backup"), env=empty_database(tmp_path))
    assert refused.returncode != 0
