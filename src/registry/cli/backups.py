"""Backing up and restoring the whole database, consistently, while the registry may be running.

SQLite: the online backup API copies a consistent snapshot page by page (writers may go on).
PostgreSQL: ``pg_dump`` in its custom format from one exported snapshot, and ``pg_restore`` in one
transaction (a restore that fails changes nothing).

Both report each registry's journal head and length, so an operator can see that a restored
database holds exactly the journal that was backed up (``registry verify`` then proves the rest).
A backup is written beside its name and renamed into place only when complete; a restore goes only
into an empty database unless told to replace one, and on PostgreSQL never while others use it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from registry.installation.postgres import ToolMissing
from registry.installation.postgres import postgres_tool as installed_tool

#: Connection parameters every libpq the PostgreSQL tools may be built with understands (a newer
#: driver reports others, e.g. sslcertmode, that older pg_dump refuses).
PORTABLE_PARAMETERS = {
    "host", "hostaddr", "port", "dbname", "user", "passfile", "service", "connect_timeout", "options", "application_name",
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "gssencmode", "target_session_attrs",
}  # fmt: skip


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
    if "parties_registry" not in connection.introspection.table_names():
        raise BackupError("the database holds no registry (run: registry init)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _written_whole(target) as partial:
        return _backup_sqlite(partial) if connection.vendor == "sqlite" else _backup_postgres(partial)


def _backup_sqlite(partial: Path) -> list[Head]:
    connection.ensure_connection()
    copy = sqlite3.connect(partial)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it, readable from read-only media
    except sqlite3.Error as error:
        raise BackupError(f"the backup failed: {error}") from None
    finally:
        copy.close()
    return _heads_of_sqlite_file(partial)


def _backup_postgres(partial: Path) -> list[Head]:
    # The heads reported are those of the very snapshot pg_dump copies: it is exported from this
    # transaction, which stays open until the dump is written.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        heads = journal_heads()
        _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", f"--file={partial}")
    return heads


@contextmanager
def _written_whole(target: Path) -> Iterator[Path]:
    """A partial file to write; renamed to ``target`` only when the block ends without an error."""
    partial = target.with_name(target.name + ".partial")
    try:
        yield partial
        partial.rename(target)
    finally:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm"), Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)


def restore(source: Path, *, replace: bool = False) -> list[Head]:
    """Put the database of backup ``source`` in place of the configured, empty, database.

    A database that holds anything is replaced only with ``replace`` (a restore must never
    overwrite a ledger, or another application's data, by mistake). Stop the registry's server
    first; on PostgreSQL a restore is refused while other sessions use the database.
    """
    if not source.is_file():
        raise BackupError(f"{source} is not a backup file")
    if connection.introspection.table_names() and not replace:
        raise BackupError("the database is not empty; restore into an empty database, or pass --replace to replace it")
    if connection.vendor == "sqlite":
        heads = _heads_of_sqlite_file(source)  # also proves the file is a sound registry database
        connection.close()
        backup_copy = sqlite3.connect(f"file:{source}?mode=ro&immutable=1", uri=True)
        live = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            backup_copy.backup(live)
        finally:
            live.close()
            backup_copy.close()
        restored = journal_heads()
        if restored != heads:
            raise BackupError("the restored database does not hold the journal heads of the backup")
        return restored
    heads = _heads_of_dump(source)  # also proves the file is a dump of a registry
    _refuse_if_in_use()
    options = ("--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error")
    _run("pg_restore", *options, f"--dbname={_dsn()}", str(source))
    restored = journal_heads()
    if restored != heads:
        raise BackupError("the restored database does not hold the journal heads of the backup")
    return restored


def _refuse_if_in_use() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        (others,) = cursor.fetchone()
    if others:
        raise BackupError(f"{others} other session(s) use the database: stop the registry's server first")


def _heads_of_sqlite_file(path: Path) -> list[Head]:
    try:
        database = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            if database.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{path} fails SQLite's integrity check")
            rows = database.execute("SELECT registry_id, journal_length, journal_head FROM parties_registry ORDER BY registry_id")
            return [Head(*row) for row in rows.fetchall()]
        finally:
            database.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a registry database: {error}") from None


def _heads_of_dump(path: Path) -> list[Head]:
    """The journal heads in a ``pg_dump`` file, read from the dump itself (nothing is restored)."""
    text = _output("pg_restore", "--data-only", "--table=parties_registry", "--file=-", str(path))
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "parties_registry (" in line:
            columns = [name.strip().strip('"') for name in line[line.index("(") + 1 : line.index(")")].split(",")]
            heads: list[Head] = []
            for row in lines:
                if row == "\\.":
                    return sorted(heads, key=lambda head: head.registry)
                values = dict(zip(columns, row.split("\t"), strict=True))
                heads.append(Head(values["registry_id"], int(values["journal_length"]), values["journal_head"]))
    raise BackupError(f"{path} is not a registry backup: it holds no registries")


def postgres_tool(name: str) -> str:
    """The newest installed client tool; a missing one fails the backup or restore."""
    try:
        return installed_tool(name)
    except ToolMissing as missing:
        raise BackupError(str(missing)) from None


def _dsn() -> str:
    """The connection's parameters that were set (host, port, database, TLS options...), without
    its password, in a form any libpq version reads."""
    from psycopg.conninfo import make_conninfo

    connection.ensure_connection()
    parameters = connection.connection.info.get_parameters()
    return make_conninfo(**{name: value for name, value in parameters.items() if name in PORTABLE_PARAMETERS})


def _run(tool: str, *args: str) -> None:
    """Run a tool against the configured database."""
    if not any(arg.startswith("--dbname=") for arg in args):
        args = (*args, f"--dbname={_dsn()}")
    _output(tool, *args)


def _output(tool: str, *args: str) -> str:
    # The password goes in the environment, never on a command line others can read.
    environment = {**os.environ, "PGPASSWORD": str(connection.settings_dict.get("PASSWORD") or "")}
    result = subprocess.run([postgres_tool(tool), *args], env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout
