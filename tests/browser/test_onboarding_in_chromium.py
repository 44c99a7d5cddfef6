"""An administrator onboards a foreign company end to end in real headless Chromium, in Japanese:
the application with its documents, a return for correction the applicant fixes after an email,
approval, the representative's first sign-in (second factor, then the forced password change), a
second representative created and granted on the web, and a first transfer proposed and approved."""

from __future__ import annotations

import base64
import re

from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.accounts.models import Account
from registry.transactions.models import Transaction
from tests.browser.people import assert_reads_in_japanese, code, next_code
from tests.factories import make_world, trust, valid_pdf

ADMIN_PASSWORD = "a long pass phrase for the admin"
#: What the applicant typed and uploaded: data, not words of the registry's pages.
TYPED = (
    "merlion-tan",
    "incorporation.pdf",  # the names of the files uploaded
    "authorization.pdf",
    "passport.pdf",
    "passport-clear.pdf",
    "Merlion Carbon Pte. Ltd.",
    "1 Raffles Place, #20-01, Singapore 048616",
    "1 Raffles Place, Singapore",
    "Tan Wei Ling",
    "Lee Jun",
)


def first_sign_in(page, base: str, login: str, temporary: str, new_password: str) -> None:
    """Temporary password, then the authenticator app, then a password of one's own."""
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(temporary)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/2fa/setup/")
    secret = base64.b32decode(page.locator("#totp-secret").inner_text())
    page.locator("#id_token").fill(code(secret))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/app/password/")  # nothing else opens before the password is changed
    assert_reads_in_japanese(page, *TYPED)
    assert "他の人が設定したもの" in page.locator("#password-must-change").inner_text()
    page.locator("#id_old_password").fill(temporary)
    page.locator("#id_new_password1").fill(new_password)
    page.locator("#id_new_password2").fill(new_password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/app/")


def test_an_administrator_onboards_a_foreign_company_in_japanese(live_server, browser, tmp_path):
    world = make_world()
    admin_device = TOTPDevice.objects.create(user=world.admin_jp, name="phone", confirmed=True)
    world.admin_jp.set_password(ADMIN_PASSWORD)
    world.admin_jp.save()
    files = {}
    for name in ("incorporation", "authorization", "passport", "passport-clear"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(valid_pdf())
    base = live_server.url
    mail.outbox.clear()

    # The company applies, in Japanese, with its documents.
    applicant = browser.new_context(locale="ja-JP").new_page()
    applicant.goto(f"{base}/apply/account/")
    assert "必要書類" in applicant.locator("main").inner_text()
    assert_reads_in_japanese(applicant)
    applicant.locator("#id_registry").select_option("JPN01")
    applicant.locator("#id_name").fill("Merlion Carbon Pte. Ltd.")
    applicant.locator("#id_country").fill("SG")
    applicant.locator("#id_identification_number").fill("201912345K")
    applicant.locator("#id_head_office").fill("1 Raffles Place, Singapore")
    applicant.locator("#id_manager_name").fill("Tan Wei Ling")
    applicant.locator("#id_email").fill("weiling@merlion.example")
    applicant.locator("#id_login_id").fill("merlion-tan")
    applicant.locator("#id_incorporation").set_input_files(str(files["incorporation"]))
    applicant.locator("#id_authorization").set_input_files(str(files["authorization"]))
    applicant.locator("#id_passport").set_input_files(str(files["passport"]))
    applicant.locator("main form button[type=submit]").click()
    applicant.wait_for_url(re.compile(r".*/apply/A\d{8}-[0-9A-F]{6}/.+/$"))
    assert applicant.locator("#application-status").inner_text() == "申請済み"
    reference = re.search(r"/apply/([^/]+)/", applicant.url).group(1)
    assert_reads_in_japanese(applicant, *TYPED)
    assert any(reference in m.body and "weiling@merlion.example" in m.to for m in mail.outbox)  # the summary, by email

    # The administrator signs in, finds it waiting on the home page, and returns it.
    admin = browser.new_context(locale="ja-JP").new_page()
    admin.goto(f"{base}/login/")
    admin.locator("#id_username").fill("admin-jp")
    admin.locator("#id_password").fill(ADMIN_PASSWORD)
    admin.locator("#id_token").fill(code(admin_device.bin_key))
    admin.locator("form button[type=submit]").last.click()
    admin.wait_for_url(f"{base}/app/")
    assert_reads_in_japanese(admin, *TYPED)
    admin.locator("#worklist").get_by_role("link", name=reference).click()
    assert "パスポート" in admin.locator("#documents").inner_text()
    assert_reads_in_japanese(admin, *TYPED)
    admin.locator("#id_comment").fill("旅券の写しが読めません。")
    admin.locator("#return").click()
    assert admin.locator("#application-status").inner_text() == "差戻し"

    # The applicant follows the link in the email, corrects a field and replaces the document.
    returned = [m for m in mail.outbox if "旅券の写しが読めません。" in m.body]
    assert returned, "the applicant is emailed the comment"
    link = re.search(r"https?://\S+/apply/\S+/", returned[-1].body).group(0)
    applicant.goto(link)
    assert "旅券の写しが読めません。" in applicant.locator("main").inner_text()
    assert_reads_in_japanese(applicant, *TYPED)
    applicant.locator("#id_head_office").fill("1 Raffles Place, #20-01, Singapore 048616")
    applicant.locator("#id_passport").set_input_files(str(files["passport-clear"]))
    applicant.locator("main section form button[type=submit]").click()
    assert applicant.locator("#application-status").inner_text() == "申請済み"

    # Approval opens the account and gives a temporary password, shown once.
    admin.goto(f"{base}/app/applications/")
    assert_reads_in_japanese(admin, *TYPED)
    admin.get_by_role("link", name=reference).click()
    assert "1 Raffles Place, #20-01, Singapore 048616" in admin.locator("#requested-values").inner_text()
    admin.locator("#approve-application").click()
    assert admin.locator("#application-status").inner_text() == "承認済み"
    temporary = admin.locator("#temporary-password").inner_text()
    assert_reads_in_japanese(admin, *TYPED, temporary)
    account = Account.objects.get(entity__name="Merlion Carbon Pte. Ltd.")

    # The representative's first sign-in: second factor, then a password of their own.
    first = browser.new_context(locale="ja-JP").new_page()
    first_sign_in(first, base, "merlion-tan", temporary, "Merlion's own pass phrase 1")

    # A second representative, created and granted on the web from the menu.
    admin.get_by_role("link", name="管理").click()
    assert_reads_in_japanese(admin, *TYPED)
    admin.get_by_role("link", name="利用者と代表者").click()
    admin.locator("#id_new-login_id").fill("merlion-lee")
    admin.locator("#id_new-name").fill("Lee Jun")
    admin.locator("#create-user").click()
    second_temporary = admin.locator("#temporary-password").inner_text()
    admin.locator("#id_grant-account").fill(account.number)
    admin.locator("#id_grant-right").select_option("approve")
    admin.locator("#grant-right").click()
    table = admin.locator("#representatives").inner_text()
    assert "merlion-tan" in table and "merlion-lee (Lee Jun)" in table
    assert_reads_in_japanese(admin, *TYPED, second_temporary)
    second = browser.new_context(locale="ja-JP").new_page()
    first_sign_in(second, base, "merlion-lee", second_temporary, "Lee's own pass phrase 22")

    # The first transfer: proposed by one representative, approved by the other.
    world.issue(300, account=account, vintage=2022)
    trust(world, (account, world.japanese))
    first.goto(f"{base}/app/accounts/{account.number}/")
    assert_reads_in_japanese(first, *TYPED)
    first.locator("#id_kind").select_option("internal_transfer")
    first.locator("#id_to_account").fill(world.japanese.number)
    first.locator("#id_quantity").fill("120")
    first.locator("form[action$='/propose/'] button[type=submit]").click()
    first.locator("#id_token").fill(next_code(TOTPDevice.objects.get(user__username="merlion-tan", confirmed=True)))
    assert_reads_in_japanese(first, *TYPED)  # the confirmation, before the irreversible step
    first.locator("#confirm").click()
    first.wait_for_url(re.compile(r".*/app/transactions/\d+/$"))
    assert_reads_in_japanese(first, *TYPED)
    number = int(re.search(r"/transactions/(\d+)/", first.url).group(1))
    second.goto(f"{base}/app/transactions/{number}/")
    second.locator("#approve").click()
    second.locator("#id_token").fill(next_code(TOTPDevice.objects.get(user__username="merlion-lee", confirmed=True)))
    second.locator("#confirm").click()
    assert second.locator("#status").inner_text() == "完了"
    assert_reads_in_japanese(second, *TYPED)
    assert Transaction.objects.get(pk=number).status == "completed"
