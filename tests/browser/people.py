"""People who sign in through the browser: representatives with a TOTP authenticator."""

from __future__ import annotations

import time

from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.services import grant_right

PASSWORD = "a long pass phrase for tests"


def code(key: bytes) -> str:
    """The authenticator's current one-time code for a TOTP key (30 s steps, 6 digits)."""
    totp = TOTP(key, 30, 0, 6, 0)
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
    page.get_by_label("One-time code").fill(code(device.bin_key))
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url(f"{base}/app/")


def next_code(device: TOTPDevice) -> str:
    """The code to confirm a step with, just after signing in: each code is accepted once, and the
    test does not wait 30 seconds for the app's next one, nor the second of throttling after a wrong
    code (it lets the device accept a code again)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None)
    return code(device.bin_key)


def assert_reads_in_japanese(page, *proper_names: str) -> None:
    """The page as the browser shows it leaves no English, raw key or UTC time (the same detector as
    ``tests/integration/test_japanese_everywhere.py``); ``proper_names`` are what people typed."""
    from registry.parties.models import Entity, Project
    from tests.integration.test_japanese_everywhere import english_in

    names = {*proper_names, *Entity.objects.values_list("name", flat=True), *Project.objects.values_list("name", flat=True)}
    names |= set(User.objects.values_list("username", flat=True))
    page.wait_for_load_state()  # after a click that navigates: the page it opened
    html = page.content()
    shown = page.locator("body").inner_text()
    english = english_in(html, names)
    assert english == [], (page.url, english, [line for line in shown.splitlines() if any(w in line for w in english)])
    assert "+00:00" not in shown and "UTC" not in shown, page.url
