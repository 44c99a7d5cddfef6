"""Backing up and restoring the whole database, consistently, while the registry may be running.

SQLite: the online backup API copies a consistent snapshot page by page (writers may go on).
PostgreSQL: ``pg_dump`` in its custom format (one consistent snapshot) and ``pg_restore``.

Both report each registry's journal head and length, so an operator can see that a restored
database holds exactly the journal that was backed up (``registry verify`` then proves the rest).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was changed."""


@dataclass(frozen=True)
class Head:
    registry: str
    length: int
    hash: str

    def __str__(self) -> str:
        return f"{self.registry}: {self.length:,} journal entries, head {self.hash}"


def journal_heads() -> list[Head]:
    """Each registry's journal length and head, as the database stores them now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT registry_id, journal_length, journal_head FROM parties_registry ORDER BY registry_id")
        return [Head(*row) for row in cursor.fetchall()]


def backup(target: Path) -> list[Head]:
    """Write a consistent copy of the database to ``target`` (which must not exist yet)."""
    if target.exists():
        raise BackupError(f"{target} exists already; a backup never overwrites a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return _heads_of_sqlite_file(target)
    # The heads reported are those of the very snapshot pg_dump copies: it is exported from this
    # transaction, which stays open until the dump is written.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        heads = journal_heads()
        _run(_postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}")
    return heads


def restore(source: Path, *, replace: bool = False) -> list[Head]:
    """Put the database of backup ``source`` in place of the configured (empty) database.

    An existing registry is replaced only with ``replace``: a restore must never overwrite a
    ledger by mistake.
    """
    if not source.is_file():
        raise BackupError(f"{source} is not a backup file")
    if _has_ledger() and not replace:
        raise BackupError("the database already holds a registry; restore into an empty database, or pass --replace")
    if connection.vendor == "sqlite":
        heads = _heads_of_sqlite_file(source)  # also proves the file is a sound registry database
        connection.close()
        backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            backup_copy.backup(live)
        finally:
            live.close()
            backup_copy.close()
    else:
        connection.close()
        _run(
            _postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error", f"--dbname={_database()}", str(source)
        )
        heads = None
    restored = journal_heads()
    if heads is not None and restored != heads:
        raise BackupError("the restored database does not hold the journal heads of the backup")
    return restored


def _has_ledger() -> bool:
    return "parties_registry" in connection.introspection.table_names() and bool(journal_heads())


def _heads_of_sqlite_file(path: Path) -> list[Head]:
    try:
        database = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if database.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{path} fails SQLite's integrity check")
            rows = database.execute("SELECT registry_id, journal_length, journal_head FROM parties_registry ORDER BY registry_id")
            return [Head(*row) for row in rows.fetchall()]
        finally:
            database.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a registry database: {error}") from None


def _postgres_tool(name: str) -> str:
    """The newest installed client tool (it must not be older than the server)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    tool = found[-1] if found else shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return tool


def _database() -> str:
    return str(connection.settings_dict["NAME"])


def _run(tool: str, *args: str) -> None:
    settings = connection.settings_dict
    environment = {**os.environ, "PGDATABASE": _database()}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if settings.get(key):
            environment[variable] = str(settings[key])
    result = subprocess.run([tool, *args], env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(tool).name} failed: {result.stderr.strip() or result.stdout.strip()}")
