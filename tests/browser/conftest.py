"""Real headless Chromium (Debian's ``chromium``, driven by Playwright) for the browser tests."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every browser test needs Chromium (which CI requires: ``REGISTRY_REQUIRE_BROWSER=1`` turns a
    missing browser into a failure)."""
    missing = not shutil.which("chromium") and os.environ.get("REGISTRY_REQUIRE_BROWSER") != "1"
    if not missing:
        return
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason="Debian's chromium is not installed"))


@pytest.fixture
def browser(committed_db, monkeypatch, settings, tmp_path):
    """Chromium, for tests that drive the live server on committed data."""
    playwright = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop on this thread; the ORM calls the test makes
    # meanwhile are ordinary synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()
