from __future__ import annotations

import importlib
import os

import pytest
from django.apps import AppConfig
from django.db import connection
from django.db.models.signals import post_migrate

from tests.factories import World, make_world
from tests.ledger_state import LedgerSnapshot, snapshot


def pytest_configure(config: pytest.Config) -> None:
    """Tests speak plain HTTP, to the test client and to servers on loopback: REGISTRY_SECURE's
    redirect to HTTPS and HSTS are switched off here (and in servers the tests start, through the
    environment); tests/integration/test_sessions.py turns them on where it tests them."""
    from django.conf import settings

    os.environ["REGISTRY_SECURE"] = "0"
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    """Rate-limit counters live in the shared cache, a table of the test database: no test
    inherits another's (tests that commit leave theirs behind)."""
    from django.core.cache import cache, caches

    caches["figures"].clear()
    used = set(request.fixturenames)
    database = next((name for name in ("transactional_db", "db") if name in used), None)
    if database is not None:
        request.getfixturevalue(database)
        cache.clear()


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def unchanged(db: None):
    """Call with a zero-argument callable that must raise; asserts the ledger did not change."""

    def check(action):
        before: LedgerSnapshot = snapshot()
        with pytest.raises(Exception) as raised:
            action()
        assert snapshot() == before, "a refused request changed the ledger"
        return raised.value

    return check


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run by scripts/test with DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


_guard = importlib.import_module("registry.journal.migrations.0002_append_only")


def set_journal_guard(on: bool) -> None:
    """Switch the journal's append-only triggers on or off (the migration's own statements)."""
    statements = {
        "sqlite": _guard.SQLITE if on else _guard.SQLITE_UNDO,
        "postgresql": _guard.POSTGRES if on else _guard.POSTGRES_UNDO,
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _restore_journal_guard(sender: AppConfig, **kwargs: object) -> None:
    if sender.label == "journal":
        post_migrate.disconnect(dispatch_uid="restore-journal-guard")
        set_journal_guard(True)


@pytest.fixture
def committed_db(transactional_db: None):
    """A database whose transactions really commit (for tests with several connections).

    Emptying it afterwards must delete journal entries, which the append-only triggers refuse:
    they are lifted for the flush and put back by the post_migrate signal the flush sends.
    """
    yield
    set_journal_guard(False)
    post_migrate.connect(_restore_journal_guard, weak=False, dispatch_uid="restore-journal-guard")
