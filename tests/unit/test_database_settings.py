"""How ``DATABASE_URL`` and its companions become Django's database settings."""

from __future__ import annotations

import pytest

from registry import settings


def database_url(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    """Set ``DATABASE_URL``, or leave it unset (the default SQLite file) for ``None``."""
    if url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", url)


def test_postgresql_keeps_the_options_its_url_names(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://registry@db.example:5432/registry?sslmode=verify-full&sslrootcert=/etc/ca.pem")
    options = settings._database()["OPTIONS"]
    assert options["sslmode"] == "verify-full" and options["sslrootcert"] == "/etc/ca.pem"


@pytest.mark.parametrize("url", [None, "sqlite:////tmp/registry.sqlite3"])
def test_sqlite_waits_for_the_write_lock_and_syncs_fully(monkeypatch, url):
    database_url(monkeypatch, url)
    options = settings._database()["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "synchronous=FULL" in options["init_command"]


@pytest.mark.parametrize("url", [None, "postgres://registry@127.0.0.1:5432/registry"])
def test_a_server_thread_keeps_its_connection_between_requests(monkeypatch, url):
    database_url(monkeypatch, url)
    monkeypatch.delenv("REGISTRY_DB_CONNECTION_SECONDS", raising=False)
    config = settings._database()
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (300, True)
    monkeypatch.setenv("REGISTRY_DB_CONNECTION_SECONDS", "0")
    assert settings._database()["CONN_MAX_AGE"] == 0  # a connection per request
