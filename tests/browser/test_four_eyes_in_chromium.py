"""Two representatives in real headless Chromium: sign in with TOTP, propose, approve, read the
notifications, and switch the page to Japanese."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.services import grant_right
from tests.factories import make_world, trust

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]  # fmt: skip
PASSWORD = "a long pass phrase for tests"

pytestmark = [
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.skipif(
        not shutil.which("chromium") and os.environ.get("REGISTRY_REQUIRE_BROWSER") != "1", reason="Debian's chromium is not installed"
    ),
]


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def representative(username: str, account, right: str, admin) -> TOTPDevice:
    user = User.objects.create_user(username, password=PASSWORD)
    grant_right(admin, account, user, right)
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(page, base: str, username: str, device: TOTPDevice) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Login ID").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill(code_for(device))
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url(f"{base}/app/")


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the ORM calls the test makes
    # meanwhile are ordinary synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def test_propose_approve_notify_and_read_it_in_japanese(live_server, browser):
    world = make_world()
    world.issue(100)
    trust(world, (world.seller, world.buyer))
    initiator = representative("tanaka", world.seller, "initiate", world.admin_mn)
    approver = representative("batbayar", world.seller, "approve", world.admin_mn)
    base = live_server.url

    first = browser.new_context(locale="en-US").new_page()
    sign_in(first, base, "tanaka", initiator)
    first.goto(f"{base}/app/accounts/{world.seller.number}/")
    first.get_by_label("Transaction").select_option("internal_transfer")
    first.get_by_label("Acquiring account").fill(world.buyer.number)
    first.get_by_label("Quantity (tCO2e)").fill("25")
    first.get_by_role("button", name="Propose").click()
    assert first.locator("#status").inner_text() == "Awaiting approval"
    number = first.url.rstrip("/").rsplit("/", 1)[1]

    second = browser.new_context(locale="en-US").new_page()
    sign_in(second, base, "batbayar", approver)
    assert (
        f"Transaction {number} (25 units from account {world.seller.number}) awaits your approval." in second.locator("main").inner_text()
    )
    second.goto(f"{base}/app/transactions/{number}/")
    second.locator("#approve").click()
    assert second.locator("#status").inner_text() == "Completed"

    first.goto(f"{base}/app/")
    inbox = first.locator("main").inner_text()
    assert f"Transaction {number} was approved by batbayar." in inbox
    assert f"Transaction {number} (25 units from account {world.seller.number}) is completed." in inbox

    first.get_by_label("Language").select_option("ja")
    first.get_by_role("button", name="Change").click()
    first.wait_for_load_state()
    assert first.locator("html").get_attribute("lang") == "ja"
    inbox = first.locator("main").inner_text()
    assert "お知らせ" in inbox
    assert f"取引 {number} は batbayar により承認されました。" in inbox
    first.screenshot(path=str(live_server_screenshot()))


def live_server_screenshot():
    from pathlib import Path

    from django.conf import settings

    return Path(settings.REGISTRY_HOME) / "browser-inbox-ja.png"
