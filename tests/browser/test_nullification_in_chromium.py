"""A Singapore company's representatives in real headless Chromium: J-Credit nullification for
voluntary offsetting in Singapore (in Japanese), the scheme's refusals, a voluntary cancellation
and a transfer by unique identifier (in English), and selection by quantity of one unit type."""

from __future__ import annotations

import io

from pypdf import PdfReader

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.installation.seed import system_user
from registry.parties.models import UnitType
from registry.parties.services import register_entity
from registry.transactions.models import Transaction
from registry.transactions.services import issue_units
from tests.browser.people import next_code, representative, sign_in
from tests.factories import make_world, trust


def singapore_company():
    world = make_world()
    entity = register_entity(system_user(), world.japan, name="Lion City Offsets Pte. Ltd.", country="SG")
    account = open_account(system_user(), world.japan, account_type=AccountType.ENTITY_HOLDING, name="Lion City Offsets", entity=entity)
    for code, quantity in (("JC", 100), ("JC-RE-E", 50)):
        issue_units(
            actor=world.admin_jp,
            account=account,
            project=world.project_jp,
            unit_type=UnitType.objects.get(code=code),
            vintage=2022,
            quantity=quantity,
        )
    lee = representative("lee", account, "initiate", world.admin_jp)
    tan = representative("tan", account, "approve", world.admin_jp)
    return world, account, lee, tan


def fill_use(page, purpose: str, unit_type: str, quantity: str) -> None:
    page.locator("#id_kind").select_option("retirement")
    page.locator("#id_unit_type").select_option(unit_type)
    page.locator("#id_quantity").fill(quantity)
    page.locator("#id_use_purpose").select_option(purpose)
    page.locator("#id_aim").fill("シンガポール事務所の2025年の排出をオフセットするため " * 5)
    page.locator("#id_credit_user").fill("Lion City Offsets Pte. Ltd.")
    page.locator("#id_use_country").select_option("SG")


def test_a_singapore_company_nullifies_j_credits_for_voluntary_offsetting_in_japanese(live_server, browser):
    _world, account, lee, tan = singapore_company()
    base = live_server.url
    page = browser.new_context(locale="ja-JP").new_page()
    sign_in_ja(page, base, "lee", lee)
    page.goto(f"{base}/app/accounts/{account.number}/")

    fill_use(page, "jc-re100", "JC-RE-E", "10")  # RE100 for electricity used in Singapore: never
    page.locator("#propose button").click()
    assert (
        "[6016]" in page.locator(".messages").inner_text() and "海外で調達した再生可能エネルギー" in page.locator(".messages").inner_text()
    )
    fill_use(page, "jc-ndc", "JC", "10")  # towards Singapore's NDC: never
    page.locator("#propose button").click()
    assert "[6015]" in page.locator(".messages").inner_text()

    fill_use(page, "jc-offset", "JC", "30")
    page.locator("#propose button").click()
    preview = page.locator("main").inner_text()
    assert "申請内容の確認" in preview and "Lion City Offsets Pte. Ltd." in preview and "JC-JPN01-NA-1-30-2022" in preview
    assert "カーボン・オフセット" in preview and "SG" in preview
    page.get_by_label("ワンタイムコード").fill("000000")
    page.locator("#confirm").click()
    assert "[2009]" in page.locator(".messages").inner_text()
    page.get_by_label("ワンタイムコード").fill(next_code(lee))
    page.locator("#confirm").click()
    assert page.locator("#status").inner_text() == "承認待ち"
    number = page.url.rstrip("/").rsplit("/", 1)[1]

    approver = browser.new_context(locale="ja-JP").new_page()
    sign_in_ja(approver, base, "tan", tan)
    approver.goto(f"{base}/app/transactions/{number}/")
    approver.locator("#approve").click()
    assert "カーボン・オフセット" in approver.locator("main").inner_text()
    approver.get_by_label("ワンタイムコード").fill(next_code(tan))
    approver.locator("#confirm").click()
    assert approver.locator("#status").inner_text() == "完了"
    notice = approver.request.get(f"{base}/app/transactions/{number}/notice.pdf")
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.body())).pages).split())
    for expected in (
        "J-クレジット無効化通知書",
        "Japan Carbon Credit Registry (JPN01)",
        "Carbon offsetting",
        "Singapore (SG)",
        "いいえ No",
        "JC-JPN01-NA-1-30-2022",
    ):
        assert expected in text, expected


def sign_in_ja(page, base: str, username: str, device) -> None:
    from tests.browser.people import PASSWORD, code

    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_token").fill(code(device.bin_key))
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/app/")


def test_voluntary_cancellation_and_transfer_by_identifier_and_quantity_of_one_type_in_english(live_server, browser):
    world, account, lee, _tan = singapore_company()
    trust(world, (account, world.japanese))
    base = live_server.url
    page = browser.new_context(locale="en-US").new_page()
    sign_in(page, base, "lee", lee)
    page.goto(f"{base}/app/accounts/{account.number}/")

    page.locator("#id_kind").select_option("retirement")
    page.locator("#id_quantity").fill("120")  # would take forestry and renewable credits together
    page.locator("#propose button").click()
    assert "[4007]" in page.locator(".messages").inner_text()

    page.locator("a.select-block").nth(1).click()  # the renewable block: the form is filled with it
    assert page.locator("#id_ranges").input_value() == "JC-JPN01-NA-101-150-2022"
    page.locator("#id_kind").select_option("cancellation")
    page.locator("#id_cancellation_kind").select_option("voluntary")
    page.locator("#propose button").click()
    page.get_by_label("One-time code").fill(next_code(lee))
    page.locator("#confirm").click()
    assert page.locator("#status").inner_text() == "Awaiting approval"

    page.goto(f"{base}/app/accounts/{account.number}/")
    page.locator("#id_kind").select_option("internal_transfer")
    page.locator("#id_to_account").fill(world.japanese.number)
    page.locator("#id_ranges").fill("JC-JPN01-NA-1-20-2022")
    page.locator("#propose button").click()
    assert "Sakura Trading" in page.locator("#preview-to").inner_text()
    page.get_by_label("One-time code").fill(next_code(lee))
    page.locator("#confirm").click()
    assert page.locator("#status").inner_text() == "Awaiting approval"

    page.goto(f"{base}/app/accounts/{account.number}/")
    page.locator("#id_kind").select_option("internal_transfer")
    page.locator("#id_to_account").fill(world.japanese.number)
    page.locator("#id_unit_type").select_option("JC")
    page.locator("#id_quantity").fill("70")
    page.locator("#propose button").click()
    assert page.locator("#preview-unit-types").inner_text() == "JC (J-Credit)"
    cancellation, transfer = Transaction.objects.filter(status="awaiting_approval").order_by("pk")
    assert (cancellation.type, cancellation.quantity, transfer.type, transfer.quantity) == ("cancellation", 50, "internal_transfer", 20)
