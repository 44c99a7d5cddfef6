"""The public front page, in English and Japanese, with figures read from the ledger."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from registry.transactions.services import retire_units

PO = Path(__file__).resolve().parents[2] / "src" / "registry" / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def test_front_page_shows_units_per_type_of_account_in_english(world, client):
    world.issue(1200)
    retire_units(actor=world.admin_mn, account=world.seller, quantity=200)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Amount of credits recorded in each type of account" in page
    assert '<td>Entity holding account</td><td class="number">1,000</td>' in page
    assert '<td>Retirement account</td><td class="number">200</td>' in page


def test_front_page_speaks_japanese(world, client):
    world.issue(5)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in page
    assert "口座種別ごとのクレジット記録量" in page
    assert '<td>法人保有口座</td><td class="number">5</td>' in page


def test_every_japanese_message_is_translated_and_compiled():
    text = PO.read_text(encoding="utf-8")
    entries = re.findall(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text, flags=re.MULTILINE)
    assert len(entries) > 100
    assert "#, fuzzy" not in text.split("\n\n", 1)[1], "a fuzzy (guessed) translation is waiting for review"
    for raw_id, raw_str in entries[1:]:  # the first is the header
        msgid = "".join(re.findall(r'"(.*)"', raw_id)).replace('\\"', '"')
        msgstr = "".join(re.findall(r'"(.*)"', raw_str)).replace('\\"', '"')
        assert msgstr, f"untranslated: {msgid}"
        with translation.override("ja"):
            assert translation.gettext(msgid) == msgstr, f"django.mo is older than django.po for {msgid!r}"


def test_health_answers_ok(client, db):
    assert client.get("/health").content == b"ok"


def test_the_admin_site_cannot_change_the_ledger(world, client):
    from django.contrib.auth.models import User

    from tests.factories import sign_in

    sign_in(client, User.objects.create_superuser("root", password="a long pass phrase for root"))
    block = world.issue(10).issued_blocks.get()
    assert client.get(f"/admin/units/unitblock/{block.pk}/change/").status_code == 200  # viewable
    response = client.post(f"/admin/units/unitblock/{block.pk}/change/", {"end": 99})
    assert response.status_code == 403
    assert client.post(f"/admin/units/unitblock/{block.pk}/delete/", {"post": "yes"}).status_code == 403
    block.refresh_from_db()
    assert block.end == 10
