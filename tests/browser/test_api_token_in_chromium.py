"""A representative makes an API token on the web in real headless Chromium, and uses it from the
interactive API documentation, which works under the registry's strict content security policy."""

from __future__ import annotations

from tests.browser.people import representative, sign_in
from tests.factories import make_world


def test_a_representative_makes_a_token_and_tries_it_in_the_api_docs(live_server, browser):
    world = make_world()
    world.issue(100)
    device = representative("sato", world.seller, "read_only", world.admin_mn)
    base = live_server.url
    page = browser.new_context(locale="en-US").new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)

    sign_in(page, base, "sato", device)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("accounting system")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create").click()
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("crt_")
    assert "accounting system" in page.locator("table").inner_text()

    page.goto(f"{base}/api/docs")
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".modal-ux input").fill(secret)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    operation = page.locator("#operations-accounts-listAccounts")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    answer = operation.locator(".live-responses-table .response-col_description pre").first
    answer.wait_for()
    assert world.seller.number in answer.inner_text() and world.buyer.number not in answer.inner_text()
    assert blocked == [], blocked
