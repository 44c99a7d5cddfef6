"""Two representatives in real headless Chromium: sign in with TOTP, propose, approve, read the
notifications, and switch the page to Japanese."""

from __future__ import annotations

from tests.browser.people import next_code, representative, sign_in
from tests.factories import make_world, trust


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
    first.get_by_role("button", name="Preview").click()
    first.get_by_label("One-time code").fill(next_code(initiator))
    first.locator("#confirm").click()
    assert first.locator("#status").inner_text() == "Awaiting approval"
    number = first.url.rstrip("/").rsplit("/", 1)[1]

    second = browser.new_context(locale="en-US").new_page()
    sign_in(second, base, "batbayar", approver)
    assert (
        f"Transaction {number} (25 units from account {world.seller.number}) awaits your approval." in second.locator("main").inner_text()
    )
    second.goto(f"{base}/app/transactions/{number}/")
    second.locator("#approve").click()
    second.get_by_label("One-time code").fill(next_code(approver))
    second.locator("#confirm").click()
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
