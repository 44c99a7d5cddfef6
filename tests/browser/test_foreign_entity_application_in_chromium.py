"""A foreign entity applies for an account in real headless Chromium, is returned for correction,
resubmits, is approved, and its representative signs in and finds the notification."""

from __future__ import annotations

import base64
import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.people import code
from tests.factories import make_world, valid_pdf

PDF = valid_pdf()


def test_a_foreign_entity_opens_an_account_online(live_server, browser, tmp_path):
    world = make_world()
    admin_device = TOTPDevice.objects.create(user=world.admin_jp, name="phone", confirmed=True)
    world.admin_jp.set_password("a long pass phrase for the admin")
    world.admin_jp.save()
    files = {}
    for name in ("incorporation", "authorization", "passport", "passport-clear"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(PDF)
    base = live_server.url

    applicant = browser.new_context(locale="en-US").new_page()
    applicant.goto(f"{base}/apply/account/")
    applicant.get_by_label("Registry").select_option("JPN01")
    applicant.locator("#id_name").fill("Merlion Carbon Pte. Ltd.")
    applicant.get_by_label("Country of incorporation (ISO code, e.g. SG)").fill("SG")
    applicant.get_by_label("Company registration number").fill("201912345K")
    applicant.get_by_label("Head office address").fill("1 Raffles Place, Singapore")
    applicant.get_by_label("Account manager's name").fill("Tan Wei Ling")
    applicant.get_by_label("Account manager's email").fill("weiling@merlion.example")
    applicant.get_by_label("Login ID you would like").fill("merlion-tan")
    applicant.get_by_label("Certificate of incorporation or articles of association").set_input_files(str(files["incorporation"]))
    applicant.get_by_label("Document authorising the account manager").set_input_files(str(files["authorization"]))
    applicant.get_by_label("Passport pages of the account manager").set_input_files(str(files["passport"]))
    applicant.get_by_role("button", name="Submit the application").click()
    applicant.wait_for_url(re.compile(r".*/apply/A\d{8}-[0-9A-F]{6}/.+/$"))
    status_page = applicant.url
    assert applicant.locator("#application-status").inner_text() == "Submitted"
    reference = re.search(r"/apply/([^/]+)/", status_page).group(1)

    admin = browser.new_context(locale="en-US").new_page()
    admin.goto(f"{base}/login/")
    admin.get_by_label("Login ID").fill("admin-jp")
    admin.get_by_label("Password").fill("a long pass phrase for the admin")
    admin.get_by_label("One-time code").fill(code(admin_device.bin_key))
    admin.get_by_role("button", name="Sign in").last.click()
    admin.wait_for_url(f"{base}/app/")
    admin.goto(f"{base}/app/applications/")
    admin.get_by_role("link", name=reference).click()
    admin.get_by_label("Comment to the applicant").fill("The passport page is unreadable.")
    admin.locator("#return").click()
    assert admin.locator("#application-status").inner_text() == "Returned for correction"

    applicant.goto(status_page)
    assert "The passport page is unreadable." in applicant.locator("main").inner_text()
    applicant.get_by_label("Passport pages of the account manager").set_input_files(str(files["passport-clear"]))
    applicant.get_by_role("button", name="Resubmit").click()
    assert applicant.locator("#application-status").inner_text() == "Submitted"

    admin.goto(f"{base}/app/applications/")
    admin.get_by_role("link", name=reference).click()
    admin.locator("#approve-application").click()
    assert admin.locator("#application-status").inner_text() == "Approved"
    temporary = admin.locator("#temporary-password").inner_text()

    representative = browser.new_context(locale="en-US").new_page()
    representative.goto(f"{base}/login/")
    representative.get_by_label("Login ID").fill("merlion-tan")
    representative.get_by_label("Password").fill(temporary)
    representative.get_by_role("button", name="Sign in").last.click()
    representative.wait_for_url(f"{base}/2fa/setup/")
    secret = base64.b32decode(representative.locator("#totp-secret").inner_text())
    representative.get_by_label("One-time code").fill(code(secret))
    representative.get_by_role("button", name="Confirm").click()
    representative.wait_for_url(f"{base}/app/password/")  # the temporary password is changed first
    representative.locator("#id_old_password").fill(temporary)
    representative.locator("#id_new_password1").fill("Merlion's own pass phrase 1")
    representative.locator("#id_new_password2").fill("Merlion's own pass phrase 1")
    representative.get_by_role("button", name="Save").click()
    representative.wait_for_url(f"{base}/app/")
    inbox = representative.locator("main").inner_text()
    assert "You are now a representative of account JPN01-" in inbox
    representative.get_by_role("link", name="Accounts").click()
    assert "Merlion Carbon Pte. Ltd." in representative.locator("main").inner_text()
