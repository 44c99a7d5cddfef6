"""A PostgreSQL streaming standby for reads (``REGISTRY_REPLICA_URL``): the public pages, the credit
search, exports and the AEF read the ledger from it; every write, every read inside a movement and
everything about who a request is go to the primary.

The standby is a real one, made from the suite's own server with ``scripts/postgres standby``
(pg_basebackup -R) and started on loopback; the suite's database replicates to it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections, router, transaction

from registry import replica
from registry.api.models import ApiToken
from registry.article6.aef import build_annual_information
from registry.transactions.services import transfer_units
from registry.units.models import UnitBlock
from tests.factories import make_world

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres"
WRITES = ("INSERT", "UPDATE", "DELETE")


def _port() -> int:
    if os.environ.get("REGISTRY_PG_STANDBY_PORT"):
        return int(os.environ["REGISTRY_PG_STANDBY_PORT"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def standby(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A standby of the suite's server, with the test database on it, as Django's ``replica``."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    primary = connection.settings_dict
    if primary["HOST"] not in ("127.0.0.1", "localhost"):
        pytest.skip("the standby is made on loopback from a local server")
    where = Path(tempfile.mkdtemp(prefix="standby-"))
    port = _port()
    made = subprocess.run(
        [str(SCRIPT), "standby", str(where), str(port), str(primary["PORT"])], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        shutil.rmtree(where, ignore_errors=True)
        pytest.fail(f"scripts/postgres standby failed: {made.stderr}")
    # A mirror of the suite's database for Django's test machinery: never flushed (it cannot be written).
    settings = {**primary, "PORT": str(port), "TEST": {**primary["TEST"], "MIRROR": "default"}}
    connections.settings[replica.REPLICA] = connections.configure_settings({"default": dict(primary), replica.REPLICA: settings})[
        replica.REPLICA
    ]
    try:
        yield settings
    finally:
        with django_db_blocker.unblock():
            connections[replica.REPLICA].close()
        del connections[replica.REPLICA]
        del connections.settings[replica.REPLICA]
        subprocess.run([str(SCRIPT), "stop", str(where)], check=False)
        shutil.rmtree(where, ignore_errors=True)


def _caught_up() -> None:
    """Wait until the standby has replayed everything the primary has committed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + 30
    with connections[replica.REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the standby did not catch up within 30 s"
            time.sleep(0.05)


class Statements:
    """Every statement each database is sent, by alias."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {"default": [], replica.REPLICA: []}

    def on(self, alias: str) -> Callable[..., Any]:
        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            self.seen[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    def writes(self, alias: str) -> list[str]:
        return [sql for sql in self.seen[alias] if sql.lstrip().upper().startswith(WRITES)]

    def tables(self, alias: str) -> str:
        return " ".join(self.seen[alias])


@pytest.fixture
def watched(standby: dict[str, Any]) -> Iterator[Statements]:
    statements = Statements()
    with connection.execute_wrapper(statements.on("default")), connections[replica.REPLICA].execute_wrapper(statements.on(replica.REPLICA)):
        yield statements


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])
def test_the_standby_refuses_writes(standby, committed_db):
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
        with pytest.raises(Exception, match="read-only transaction"):
            cursor.execute("CREATE TABLE should_never_exist (id integer)")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])
def test_the_router_sends_only_public_ledger_reads_to_the_replica(standby, committed_db):
    assert router.db_for_read(UnitBlock) == "default"  # not asked for: the primary
    with replica.replica_reads():
        assert router.db_for_read(UnitBlock) == replica.REPLICA
        assert router.db_for_read(Session) == "default"  # who a request is: the primary, always
        assert router.db_for_read(ApiToken) == "default"
        assert router.db_for_write(UnitBlock) == "default"
        with transaction.atomic():  # inside a movement's transaction: what it reads, it reads on the primary
            assert router.db_for_read(UnitBlock) == "default"
    assert router.db_for_read(UnitBlock) == "default"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])
def test_public_pages_the_search_and_the_aef_read_the_standby_and_write_nothing_there(standby, committed_db, watched, client):
    world = make_world()
    world.issue(500)
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=130)
    _caught_up()
    watched.seen = {"default": [], replica.REPLICA: []}
    project = world.project_mn.identifier
    for path in (
        "/",
        "/public/",
        f"/public/{world.mongolia.registry_id}/amounts/",
        f"/public/{world.mongolia.registry_id}/amounts/?format=csv",
        f"/public/search/?project={project}",
        f"/public/search/?project={project}&format=csv",
        f"/api/v1/registries/{world.mongolia.registry_id}/amounts",
        f"/api/v1/search?project={project}",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.content[:300])
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        if "search" in path:
            assert b"130" in body or b"370" in body, path  # the blocks the standby holds
    report = build_annual_information(world.mongolia, time.gmtime().tm_year)
    assert report.reconciliation is not None
    assert "units_unitblock" in watched.tables(replica.REPLICA) and "journal_journalentry" in watched.tables(replica.REPLICA)
    assert watched.writes(replica.REPLICA) == []
    assert "units_unitblock" not in watched.tables("default")  # the ledger was read from the standby only


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])
def test_a_movement_asked_for_on_the_replica_still_reads_and_writes_the_primary_only(standby, committed_db, watched):
    world = make_world()
    world.issue(50)
    watched.seen = {"default": [], replica.REPLICA: []}
    with replica.replica_reads():
        moved = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=5)
    assert moved.status == "completed"
    assert watched.seen[replica.REPLICA] == []
    assert watched.writes("default")
    assert any(sql.startswith("SELECT") and " FOR " in sql and "UPDATE" in sql for sql in watched.seen["default"])  # its row locks
