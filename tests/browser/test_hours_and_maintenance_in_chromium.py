# ruff: noqa: RUF001
"""An administrator sets the J-Credit hours and a maintenance window in Japanese, in Chromium; the
banner and a refusal outside the hours appear in Japanese with the registry's local time."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.parties.services import add_administrator
from tests.browser.people import PASSWORD, assert_reads_in_japanese, code, representative
from tests.factories import make_world

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def sign_in_in_japanese(page, base: str, username: str, device: TOTPDevice) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("ログインID").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_label("ワンタイムコード").fill(code(device.bin_key))
    page.get_by_role("button", name="ログイン").last.click()
    page.wait_for_url(f"{base}/app/")


def test_jcredit_hours_maintenance_banner_and_refusal_in_japanese(live_server, browser):
    world = make_world()
    world.issue(100, account=world.japanese)
    admin = User.objects.create_user("suzuki-admin", password=PASSWORD)
    add_administrator(world.japan, admin)
    admin_device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    holder = representative("yamada", world.japanese, "initiate", world.admin_jp)
    base = live_server.url

    page = browser.new_context(locale="ja-JP").new_page()
    sign_in_in_japanese(page, base, "suzuki-admin", admin_device)
    page.get_by_role("link", name="受付時間・メンテナンス（JPN01）").click()
    page.get_by_role("button", name="J-クレジット登録簿の受付時間にする（平日 9:00～23:00 JST）").click()
    assert "受付時間を 月～金 09:00～23:00 に設定しました。" in page.locator(".messages").inner_text()
    assert "このページの日時はすべて登録簿のタイムゾーン（Asia/Tokyo, JST）で表示・入力します。" in page.locator("main").inner_text()
    assert_reads_in_japanese(page)

    start = (timezone.now() + timedelta(days=2)).astimezone(TOKYO).replace(hour=10, minute=0, second=0, microsecond=0)
    page.get_by_label("開始日時").fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label("終了日時").fill(f"{start + timedelta(hours=3):%Y-%m-%dT%H:%M}")
    page.get_by_label("件名（日本語）").fill("システム更新")
    page.get_by_label("件名（英語）").fill("System update")
    page.get_by_role("button", name="告知する").click()
    banner = f"日本 カーボン・クレジット登録簿（JPN01）のメンテナンス予定：{start:%Y-%m-%d} 10:00 JST～{start:%Y-%m-%d} 13:00 JST"
    assert banner in page.locator(".banners").inner_text()
    assert_reads_in_japanese(page, "System update")  # the English title, as typed, in its field

    # Closed all of today (in Tokyo): the representative's transfer is refused, in Japanese.
    with translation.override("ja"):
        today = str(WEEKDAYS[timezone.now().astimezone(TOKYO).weekday()])
    page.get_by_label(today).uncheck()
    page.get_by_role("button", name="受付時間を保存する").click()
    assert "受付時間を" in page.locator(".messages").inner_text()
    assert_reads_in_japanese(page, "System update")

    holder_page = browser.new_context(locale="ja-JP").new_page()
    sign_in_in_japanese(holder_page, base, "yamada", holder)
    assert banner in holder_page.locator(".banners").inner_text()
    holder_page.goto(f"{base}/app/accounts/{world.japanese.number}/")
    holder_page.get_by_label("移転先口座").fill("JPN01-000001")
    holder_page.get_by_label("数量（tCO2e）").fill("5")
    holder_page.get_by_role("button", name="確認画面へ").click()
    refusal = holder_page.locator(".messages").inner_text()
    now = timezone.now().astimezone(TOKYO)
    assert "[2007] 登録簿 JPN01 で口座名義人が移転できるのは" in refusal
    assert "（Asia/Tokyo, JST）です。現在は" in refusal
    assert f"{now:%H}:" in refusal  # the registry's local time, not UTC
    assert_reads_in_japanese(holder_page)
    public = browser.new_context(locale="ja-JP").new_page()
    public.goto(f"{base}/public/")
    assert banner in public.locator(".banners").inner_text()
    assert_reads_in_japanese(public)
