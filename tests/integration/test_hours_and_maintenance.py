# ruff: noqa: RUF001
"""Administrators set operating hours and announce maintenance on the web; every page announces it."""

from __future__ import annotations

import zoneinfo
from datetime import time, timedelta

from django.test import Client
from django.utils import timezone

from registry.access.models import OperationLog
from registry.access.services import grant_right, set_movements_suspended
from registry.disclosure.services import announce_maintenance
from registry.parties.models import Notice
from tests.factories import make_user, sign_in

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def administrator(world) -> Client:
    client = Client()
    sign_in(client, world.admin_jp)
    return client


def test_the_jcredit_preset_sets_weekdays_9_to_23_and_is_logged(world):
    client = administrator(world)
    page = client.get("/app/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'href="/app/registries/JPN01/hours/"' in page  # reachable from the menu
    response = client.post("/app/registries/JPN01/hours/", {"action": "jcredit_preset"}, HTTP_ACCEPT_LANGUAGE="ja", follow=True)
    world.japan.refresh_from_db()
    assert (world.japan.open_weekdays, world.japan.opens_at, world.japan.closes_at) == ("0-4", time(9), time(23))
    assert "受付時間を 月～金 09:00～23:00 に設定しました。" in response.content.decode()
    assert OperationLog.objects.filter(action="operating_hours_set", registry=world.japan).exists()


def test_hours_are_entered_by_day_and_time_and_refused_when_closing_comes_first(world):
    client = administrator(world)
    client.post("/app/registries/JPN01/hours/", {"action": "hours", "days": ["0", "2", "4"], "opens_at": "08:30", "closes_at": "17:00"})
    world.japan.refresh_from_db()
    assert (world.japan.open_weekdays, world.japan.opens_at, world.japan.closes_at) == ("0,2,4", time(8, 30), time(17))
    bad = {"action": "hours", "days": ["0"], "opens_at": "17:00", "closes_at": "08:00"}
    page = client.post("/app/registries/JPN01/hours/", bad, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "[1013] 受付時間 が正しくありません：受付開始時刻は終了時刻より前にしてください" in page


def test_only_the_registrys_administrators_reach_its_hours(world):
    other = Client()
    sign_in(other, world.admin_mn)
    assert other.get("/app/registries/JPN01/hours/").status_code == 404
    assert other.post("/app/registries/JPN01/hours/", {"action": "jcredit_preset"}).status_code == 404
    world.japan.refresh_from_db()
    assert world.japan.open_weekdays == ""


def test_maintenance_is_entered_in_the_registrys_zone_and_announced_on_every_page(world):
    client = administrator(world)
    start = (timezone.now() + timedelta(days=1)).astimezone(TOKYO).replace(hour=10, minute=0, second=0, microsecond=0)
    form = {
        "action": "maintenance",
        "starts_at": f"{start:%Y-%m-%dT%H:%M}",
        "ends_at": f"{start + timedelta(hours=3):%Y-%m-%dT%H:%M}",
        "title_ja": "システム更新",
        "title_en": "System update",
    }
    client.post("/app/registries/JPN01/hours/", form)
    notice = Notice.objects.get()
    assert notice.starts_at == start and notice.registry == world.japan  # 10:00 in Tokyo, whatever the server's zone
    expected = f"日本 JCM登録簿（JPN01）のメンテナンス予定：{start:%Y-%m-%d} 10:00 JST～{start:%Y-%m-%d} 13:00 JST"
    for path in ("/", "/public/", "/app/"):
        page = (client if path == "/app/" else Client()).get(path, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
        assert expected in page and "システム更新" in page, path


def test_a_window_going_on_and_an_emergency_suspension_are_announced_naming_the_registry(world):
    now = timezone.now()
    announce_maintenance(
        world.admin_mn,
        world.mongolia,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        title_en="Upgrade",
        title_ja="更新",
    )
    set_movements_suspended(world.admin_jp, world.japan, True, "不正アクセスの調査のため")
    page = Client().get("/public/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    ends = (now + timedelta(hours=1)).astimezone(zoneinfo.ZoneInfo("Asia/Ulaanbaatar"))
    assert f"モンゴル JCM登録簿（MNG01）は {ends:%Y-%m-%d %H:%M} UTC+08:00 までメンテナンス中です。" in page
    assert "日本 JCM登録簿（JPN01）では口座名義人の移転が停止されています。 不正アクセスの調査のため" in page


def test_a_movement_outside_hours_is_refused_in_japanese_with_the_registrys_local_time(world):
    world.issue(50, account=world.japanese)
    rep = make_user("yamada")
    grant_right(world.admin_jp, world.japanese, rep, "initiate")
    today = timezone.now().astimezone(TOKYO).weekday()
    world.japan.open_weekdays = ",".join(str(d) for d in range(7) if d != today)  # closed all of today
    world.japan.save()
    client = Client()
    sign_in(client, rep)
    data = {"kind": "internal_transfer", "to_account": world.japanese.number, "quantity": 5}
    page = client.post(f"/app/accounts/{world.japanese.number}/propose/", data, HTTP_ACCEPT_LANGUAGE="ja", follow=True).content.decode()
    assert "[2007] 登録簿 JPN01 で口座名義人が移転できるのは" in page
    assert "（Asia/Tokyo, JST）です。現在は " in page


def test_the_admin_says_in_which_zone_notice_times_are_typed_and_names_its_models_in_japanese(world):
    from django.contrib.auth.models import User

    client = Client()
    sign_in(client, User.objects.create_superuser("root", password="a long pass phrase for root"))
    form = client.get("/admin/parties/notice/add/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Asia/Tokyo（サーバーのタイムゾーン）で入力します。" in form
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "協力的アプローチ" in index and "approachs" not in index


def test_the_annual_summary_counts_each_movement_once_and_shows_authorisations_apart(world):
    import re

    from registry.transactions.authorization_services import authorize_units
    from registry.transactions.services import transfer_externally
    from tests.integration.test_article6_rules import authorization, mn

    world.issue(100)
    authorize_units(
        actor=world.admin_mn, authorization=authorization(world, "NDC-1", "NDC", "first_international_transfer"), ranges=mn(1, 100)
    )
    transfer_externally(actor=world.admin_mn, from_account=world.seller, to_account=world.japanese, ranges=mn(1, 10))
    page = Client().get("/public/MNG01/transactions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    movements, apart = page.split("Authorisations and first transfers")
    rows = lambda html: re.findall(
        r"<tr><td>\d{4}</td><td>([^<]+)</td><td class=\"number\">(\d+)</td><td class=\"number\">([\d,]+)</td></tr>", html
    )
    assert sorted(rows(movements)) == [("External transfer", "1", "10"), ("Issuance", "1", "100")]
    assert sorted(rows(apart)) == [("Authorisation", "1", "100"), ("First transfer", "1", "10")]
    assert '<th scope="col" class="number">Count</th>' in page
