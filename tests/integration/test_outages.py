"""Outages are not defects: with the database full or unreachable the registry answers 503 with
``Retry-After`` (problem details on the API, a page in the user's language on the web), logs one
line per request, changes nothing, never claims "nothing was changed" when the connection broke
during the commit, and recovers by itself.

On SQLite the database refuses every write (``PRAGMA query_only``; a full disk cannot be made for
one connection: SQLite rolls back the whole transaction that meets one, and small tables keep room
in their pages). On PostgreSQL a server of the test's own is stopped with ``-m immediate``
(as if killed) under a live registry server, and a connection is cut during COMMIT by a deferred
trigger that terminates its own backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from registry.api.tokens import create_token
from registry.benchmarks.run import free_port, wait_until_listening
from registry.transactions.models import Transaction
from tests.factories import make_world, sign_in
from tests.ledger_state import snapshot

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = str(Path(sys.executable).with_name("registry"))
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="fills an SQLite file")


# SQLite, full ---------------------------------------------------------------------------------------


@pytest.fixture
def full_database(committed_db):
    """A registry whose SQLite database refuses every write (``PRAGMA query_only``: the engine
    answers "attempt to write a readonly database", as it does for a file it cannot write). Its
    transactions commit, as in production: a failed write outside one must not poison the test's."""
    world = make_world()
    world.issue(100)
    world.secret = create_token(world.admin_mn, "ops", "write")[1]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = 1")
    yield world
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = 0")


def errors_log() -> str:
    path = Path(settings.REGISTRY_LOG_DIR) / "errors.log"
    return path.read_text() if path.exists() else ""


def propose(client, world, **headers):
    body = {"kind": "retirement", "from_account": world.seller.number, "quantity": 5}
    return client.post(
        "/api/v1/transactions", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {world.secret}", **headers
    )


@sqlite_only
def test_the_api_answers_503_with_retry_after_when_the_database_refuses_writes(full_database, client):
    before_log, before = errors_log(), snapshot()
    response = propose(client, full_database, HTTP_IDEMPOTENCY_KEY="full-1")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "30" and response["Content-Type"] == "application/problem+json"
    assert "nothing was changed" in response.json()["detail"]
    assert snapshot() == before
    logged = errors_log()[len(before_log) :]
    assert logged.count("database unavailable: POST /api/v1/transactions by admin-mn") == 1
    assert "Traceback" not in logged and "readonly database" in logged


@sqlite_only
def test_the_registry_recovers_by_itself_once_the_database_takes_writes_again(full_database, client):
    assert propose(client, full_database, HTTP_IDEMPOTENCY_KEY="k").status_code == 503
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = 0")
    assert propose(client, full_database, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Transaction.objects.filter(type="retirement").count() == 1


@sqlite_only
def test_the_web_shows_a_503_page_in_the_users_language(full_database, client):
    client.raise_request_exception = False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = 0")
        sign_in(client, full_database.admin_mn)  # signing in writes the session: from now on nothing is written
        cursor.execute("PRAGMA query_only = 1")
    client.cookies["django_language"] = "ja"
    response = client.post(f"/app/accounts/{full_database.seller.number}/propose/", {"kind": "retirement", "quantity": "5"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "一時的に利用できません" in page and "取引" in page  # may or may not have been done: look before resending
    assert "Nothing was changed" not in page and "変更はありません" not in page


# PostgreSQL, stopped and cut during the commit -------------------------------------------------------


@dataclass
class LiveRegistry:
    base: str
    secret: str
    seller: str
    pg_dir: Path
    pg_port: int
    home: Path

    def postgres(self, action: str) -> None:
        subprocess.run([str(ROOT / "scripts" / "postgres"), action, str(self.pg_dir), str(self.pg_port)], check=True, timeout=120)

    def sql(self, statement: str) -> None:
        with connection_to(self.pg_port) as db, db.cursor() as cursor:
            cursor.execute(statement)

    def propose(self, http: httpx.Client, key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.secret}", **({"Idempotency-Key": key} if key else {})}
        return http.post("/api/v1/transactions", json={"kind": "retirement", "from_account": self.seller, "quantity": 5}, headers=headers)


def connection_to(port: int):
    import psycopg

    return psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/registry", autocommit=True)


SETUP = """
import django; django.setup()
from registry.api.tokens import create_token
from tests.factories import make_world
world = make_world(); world.issue(100)
print(create_token(world.admin_mn, "ops", "write")[1], world.seller.number)
"""


def _ports() -> tuple[int, int]:
    given = os.environ.get("REGISTRY_OUTAGE_PORTS")  # "postgres,registry", to keep to ports one was given
    if given:
        first, second = given.split(",")
        return int(first), int(second)
    return free_port(), free_port()


@pytest.fixture(scope="module")
def live() -> Iterator[LiveRegistry]:
    if not (shutil.which("pg_ctl") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))):
        pytest.skip("PostgreSQL is not installed")
    pg_port, port = _ports()
    pg_dir = Path(tempfile.mkdtemp(prefix="registry-outage-pg-"))
    home = Path(tempfile.mkdtemp(prefix="registry-outage-home-"))
    url = f"postgres://postgres@127.0.0.1:{pg_port}/registry"
    env = {**os.environ, "DATABASE_URL": url, "REGISTRY_HOME": str(home), "PYTHONPATH": str(ROOT), "REGISTRY_DB_CONNECTION_SECONDS": "300"}
    env.pop("REGISTRY_DEBUG", None)
    live = LiveRegistry(f"http://127.0.0.1:{port}", "", "", pg_dir, pg_port, home)
    live.postgres("start")
    server = None
    try:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg_port}/postgres", autocommit=True) as db:
            db.execute("CREATE DATABASE registry")
        subprocess.run([REGISTRY, "init"], env=env, check=True, timeout=300, capture_output=True)
        made = subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, timeout=120, capture_output=True, text=True, cwd=ROOT)
        live.secret, live.seller = made.stdout.split()
        log = (home / "server.log").open("wb")
        server = subprocess.Popen(
            [REGISTRY, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"], env=env, stdout=log, stderr=log
        )
        wait_until_listening(port, server)
        yield live
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=30)
        live.postgres("stop")
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def outage_lines(live: LiveRegistry) -> list[str]:
    path = live.home / "log" / "errors.log"
    return [line for line in path.read_text().splitlines() if "database unavailable" in line] if path.exists() else []


@pytest.mark.postgres_only
def test_with_postgresql_stopped_the_api_and_the_web_answer_503_and_recover_by_themselves(live):
    with httpx.Client(base_url=live.base, timeout=30) as http:
        assert http.get("/api/v1/accounts", headers={"Authorization": f"Bearer {live.secret}"}).status_code == 200
        live.postgres("stop")  # the server's connection is kept (CONN_MAX_AGE): it finds it dead
        try:
            read = http.get("/api/v1/accounts", headers={"Authorization": f"Bearer {live.secret}"})
            assert read.status_code == 503 and read.headers["Retry-After"] == "30"
            assert read.headers["Content-Type"] == "application/problem+json" and read.json()["status"] == 503
            write = live.propose(http, key="while-down")
            assert write.status_code == 503 and "nothing was changed" in write.json()["detail"]
            page = http.get("/public/", headers={"Accept-Language": "ja"})
            assert page.status_code == 503 and "一時的に利用できません" in page.text and page.headers["Retry-After"] == "30"
        finally:
            live.postgres("start")
        time.sleep(0.5)
        assert http.get("/api/v1/accounts", headers={"Authorization": f"Bearer {live.secret}"}).status_code == 200
        assert live.propose(http, key="while-down").status_code == 201  # nothing of the first attempt was kept
    lines = outage_lines(live)
    assert len(lines) == 3, lines  # one line per request that met the outage, without a traceback
    assert "Traceback" not in (live.home / "log" / "errors.log").read_text()


@pytest.mark.postgres_only
def test_a_connection_cut_during_the_commit_is_an_unknown_outcome_and_the_same_key_retries_safely(live):
    before = retirements(live)
    live.sql("""
        CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON transactions_transaction
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die_at_commit();
    """)
    with httpx.Client(base_url=live.base, timeout=30) as http:
        try:
            cut = live.propose(http, key="cut-at-commit")
        finally:
            live.sql("DROP TRIGGER die_at_commit ON transactions_transaction; DROP FUNCTION die_at_commit();")
        assert cut.status_code == 503 and cut.headers["Retry-After"] == "30"
        detail = cut.json()["detail"]
        assert "may or may not have been made" in detail and "same Idempotency-Key is safe" in detail
        assert "nothing was changed" not in detail
        retried = live.propose(http, key="cut-at-commit")
        assert retried.status_code == 201
        again = live.propose(http, key="cut-at-commit")
        assert again.json() == retried.json() and again.headers["Idempotent-Replayed"] == "true"
    assert retirements(live) == before + 1  # the cut attempt was not kept, the retry applied once


def retirements(live: LiveRegistry) -> int:
    with connection_to(live.pg_port) as db:
        found = db.execute("SELECT count(*) FROM transactions_transaction WHERE type = 'retirement'").fetchone()
    assert found is not None
    return int(found[0])
