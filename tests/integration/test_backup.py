"""``registry backup`` while the registry is busy, ``registry restore`` into an empty database: the
restored registry verifies and holds exactly the journal heads the backup reported. A restore never
overwrites data by mistake, and on PostgreSQL it is all or nothing. On SQLite and on PostgreSQL
(the database the suite runs on)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from registry.cli.backups import BackupError, _heads_of_dump, _written_whole, backup, journal_heads, postgres_tool
from registry.transactions.services import transfer_units
from tests.factories import make_world

REGISTRY = shutil.which("registry") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "registry")


def registry_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run([REGISTRY, *args], env=environment, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def empty_database(tmp_path):
    """The environment of a registry whose database is new and empty, beside the suite's own."""
    home = tmp_path / "restored-home"
    home.mkdir()
    if connection.vendor == "sqlite":
        yield {"REGISTRY_HOME": str(home)}
        return
    s = connection.settings_dict
    name = f"{s['NAME']}_restored"
    server = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield {"REGISTRY_HOME": str(home), "DATABASE_URL": f"{server}/{name}"}
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restored_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[1:]


@pytest.mark.usefixtures("committed_db")
def test_a_backup_taken_during_transfers_restores_to_a_registry_that_verifies_with_the_same_heads(tmp_path, empty_database):
    world = make_world()
    world.issue(1000)
    started, backed_up = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def keep_transferring() -> None:  # before, during and after the backup
        try:
            for _ in range(300):
                transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=1)
                started.set()
                if backed_up.is_set():
                    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=1)
                    return
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_transferring)
    writer.start()
    try:
        assert started.wait(timeout=60)
        heads = backup(tmp_path / "registry.backup")
    finally:
        backed_up.set()
        writer.join(timeout=120)
    assert failures == [] and not writer.is_alive()
    assert heads[1].length < journal_heads()[1].length  # the registry went on writing after the backup
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["registry.backup"]  # no -wal, -shm or partial file

    restored = registry_command("restore", "--input", str(tmp_path / "registry.backup"), env=empty_database)
    assert restored_lines(restored) == [str(head) for head in heads]
    verified = registry_command("verify", env=empty_database)
    assert verified.returncode == 0 and "verify: OK" in verified.stdout, verified.stdout + verified.stderr

    again = registry_command("restore", "--input", str(tmp_path / "registry.backup"), env=empty_database)
    assert again.returncode != 0 and "not empty" in again.stderr
    replaced = registry_command("restore", "--input", str(tmp_path / "registry.backup"), "--replace", env=empty_database)
    assert restored_lines(replaced) == [str(head) for head in heads]


@pytest.mark.usefixtures("committed_db")
def test_a_backup_never_overwrites_and_a_restore_reads_only_backups_into_empty_databases(tmp_path, empty_database):
    make_world()
    backup(tmp_path / "registry.backup")
    with pytest.raises(BackupError, match="exists already"):
        backup(tmp_path / "registry.backup")
    (tmp_path / "not-a-backup").write_bytes(b"hello")
    refused = registry_command("restore", "--input", str(tmp_path / "not-a-backup"), env=empty_database)
    assert refused.returncode != 0 and ("not a registry database" in refused.stderr or "pg_restore failed" in refused.stderr)
    # Another application's data is never overwritten without --replace.
    if connection.vendor == "sqlite":
        other = sqlite_database(empty_database)
        other.execute("CREATE TABLE customers (name TEXT)")
        other.commit()
        other.close()
    else:
        with psycopg.connect(empty_database["DATABASE_URL"], autocommit=True) as other:
            other.execute("CREATE TABLE customers (name TEXT)")
    refused = registry_command("restore", "--input", str(tmp_path / "registry.backup"), env=empty_database)
    assert refused.returncode != 0 and "not empty" in refused.stderr


def sqlite_database(env: dict[str, str]):
    import sqlite3

    return sqlite3.connect(Path(env["REGISTRY_HOME"]) / "registry.sqlite3")


def test_a_backup_that_fails_leaves_no_file(tmp_path):
    target = tmp_path / "registry.backup"
    with pytest.raises(RuntimeError), _written_whole(target) as partial:
        partial.write_bytes(b"half a database")
        Path(f"{partial}-wal").write_bytes(b"")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("committed_db")
def test_a_postgresql_restore_is_all_or_nothing_and_never_under_a_running_server(tmp_path, empty_database):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL restores with pg_restore")
    make_world()
    heads = backup(tmp_path / "registry.backup")
    assert restored_lines(registry_command("restore", "--input", str(tmp_path / "registry.backup"), env=empty_database))
    with psycopg.connect(empty_database["DATABASE_URL"], autocommit=True) as other:
        other.execute("CREATE VIEW account_report AS SELECT number FROM accounts_account")  # blocks dropping the table
    failed = registry_command("restore", "--input", str(tmp_path / "registry.backup"), "--replace", env=empty_database)
    assert failed.returncode != 0
    verified = registry_command("verify", env=empty_database)
    assert verified.returncode == 0 and "verify: OK" in verified.stdout  # nothing was dropped
    with psycopg.connect(empty_database["DATABASE_URL"], autocommit=True) as other:
        other.execute("DROP VIEW account_report")
        in_use = registry_command("restore", "--input", str(tmp_path / "registry.backup"), "--replace", env=empty_database)
    assert in_use.returncode != 0 and "other session" in in_use.stderr
    assert restored_lines(registry_command("restore", "--input", str(tmp_path / "registry.backup"), "--replace", env=empty_database)) == [
        str(h) for h in heads
    ]


@pytest.mark.usefixtures("committed_db")
def test_a_postgresql_restore_knows_the_heads_the_dump_holds_and_refuses_a_dump_of_no_registry(tmp_path, empty_database):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL dumps with pg_dump")
    world = make_world()
    world.issue(10)
    heads = backup(tmp_path / "registry.backup")
    assert _heads_of_dump(tmp_path / "registry.backup") == heads  # read from the file, not the live database
    with psycopg.connect(empty_database["DATABASE_URL"], autocommit=True) as other:
        other.execute("CREATE TABLE customers (name TEXT)")
    other_dump = tmp_path / "customers.dump"
    dumped = subprocess.run(
        [postgres_tool("pg_dump"), "--format=custom", f"--file={other_dump}", empty_database["DATABASE_URL"]],
        capture_output=True,
        check=False,
    )
    assert dumped.returncode == 0, dumped.stderr
    with psycopg.connect(empty_database["DATABASE_URL"], autocommit=True) as other:
        other.execute("DROP TABLE customers")
    refused = registry_command("restore", "--input", str(other_dump), env=empty_database)
    assert refused.returncode != 0 and "is not a registry backup" in refused.stderr
    with psycopg.connect(empty_database["DATABASE_URL"]) as other:
        assert other.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)  # nothing restored
