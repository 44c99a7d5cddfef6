"""Every check's message and every page, rendered in Japanese, leaves no English behind.

Pages are found by walking the URL patterns, so pages added later are covered without listing them
here: a pattern whose parameter this file cannot fill fails the test until ``SAMPLES`` names it.
The detector (``english_in``) reads the text people see (and the attributes they hear or hover)
and flags words of Latin letters, except what is not language: identifiers (anything with a digit
or ``-_/.:@``, or in capitals like JCM, CSV, NDC), the data the fixtures entered (names of
companies, projects, people), and the short list ``NOT_ENGLISH`` below.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone, translation

from registry.access.services import grant_right
from registry.accounts.models import AccountType
from registry.accounts.services import system_account
from registry.applications.models import Application
from registry.core.checks import Check, CheckFailed
from registry.disclosure.services import announce_maintenance
from registry.notifications.messages import MESSAGES
from registry.notifications.messages import render as render_notification
from registry.parties.models import CreditingProgramme, Entity, Party, Project, UsePurpose
from registry.refusals import refusal_message, template_msgid
from registry.transactions.models import Transaction
from registry.transactions.services import propose_movement
from tests.factories import make_user, sign_in
from tests.integration.test_applications import opening_form

#: Words that are not English on a Japanese page. Keep it short, and say why.
NOT_ENGLISH = {
    "English",  # the language selector names each language in its own words
    "Bearer",  # the HTTP header a machine client sends, shown verbatim on the API tokens page
    "Authorization",  # idem
    "tCO2e",  # the unit
    "ITMOs",  # the Article 6 term (plural of ITMO)
    "OpenAPI",  # a format's name
    "Excel",  # a product's name
    "Tokyo",  # Asia/Tokyo, the zone's name (also caught as an identifier when written whole)
    "Control",  # keys on the keyboard, named in Django's own Japanese help of multiple choices
    "Command",  # idem
    "Mac",  # idem
}

_IDENTIFIER = re.compile(r"^\W*(?:\S*[\d_/:@<>=#]\S*|[A-Z]{2,}s?|[A-Z])\W*$")
_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
_COMMAND = re.compile(
    r"\bregistry (?:peer [a-z]+|[a-z][a-z-]*)(?: --[a-z][a-z-]*)*"
)  # an operator's command, typed as shown (registry create-authorization, registry peer key, registry reconcile --peer)
_CAPITALS = re.compile(r"^[A-Z]{2,}s?$")  # JCM, NDC, ITMOs, JST: codes, not words


class _Text(HTMLParser):
    """The visible text of a page and the attributes a person reads or hears."""

    SKIPPED = {"script", "style"}
    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        quiet = tag in self.SKIPPED or "identifier" in (values.get("class") or "").split() or values.get("lang") not in (None, "ja")
        if tag not in {"br", "img", "input", "meta", "link", "hr"}:
            self._stack.append((tag, quiet))
            self._skip += quiet
        if self._skip or quiet:
            return
        self.chunks += [v for k, v in attrs if k in self.ATTRIBUTES and v]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            opened, quiet = self._stack.pop()
            self._skip -= quiet
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data)


def english_in(text: str, proper_names: set[str] = frozenset(), html: bool = True) -> list[str]:
    """The words of ``text`` (a page, or a message) that are English; empty when none are."""
    if html:
        parser = _Text()
        parser.feed(text)
        chunks = parser.chunks
    else:
        chunks = [text]
    found = []
    for chunk in chunks:
        for name in sorted(proper_names, key=len, reverse=True):
            chunk = chunk.replace(name, " ")
        chunk = _COMMAND.sub(" ", chunk)
        for piece in chunk.split():
            if _IDENTIFIER.match(piece):
                continue
            found += [w for w in _WORD.findall(piece) if w not in NOT_ENGLISH and not _CAPITALS.match(w)]
    return found


def test_the_detector_finds_english_and_passes_japanese_with_identifiers():
    assert english_in("<p>[7202] Account JPN01-000008 still holds 600 units</p>") == ["Account", "still", "holds", "units"]
    assert english_in("<p>[7202] 口座 JPN01-000008 にはまだ 600 ユニット (tCO2e) が保有されています。CSV</p>") == []
    assert english_in('<p title="Close">閉じる</p>') == ["Close"]
    assert english_in('<p>閉じる<span class="identifier">abc def</span><option lang="en">English only</option></p>') == []
    assert english_in("<p>Darkhan Solar LLC の口座</p>", {"Darkhan Solar LLC"}) == []
    assert english_in("<p>Asia/Tokyo, JST 2026-12-03 18:39</p>") == []
    assert english_in("<p>受付時間 Mon-Fri 例</p>") == ["Mon", "Fri"]  # a hyphen alone makes no identifier


# Every check's message ----------------------------------------------------------------------------

#: A value of each parameter the services put in a failure, in the form they put it.
PARAMETERS = {
    # 76xx, the import of a history: values as a file gives them
    "record": "authorization_version",
    "schema": "external_transfer",
    "what": "Cooperative approach",
    "value": "CA0009",
    "effective": "2024-03-01T00:00:00Z",
    "earlier": "2024-05-01T00:00:00Z",
    "earlier_line": 41,
    "previous": 1,
    "version": 3,
    "date": "2023-04-01",
    "authorization_date": "2024-06-01",
    "originating_registry": "JPN01",
    "count": 7,
    "counterpart": "JPN01",
    "imported_at": "2026-12-03T09:00:00Z",
    "created": "2026-12-03T09:00:00Z",
    "key": "AAAA",
    "received": "2026-12-03T09:10:00Z",
    "message": "8d2f0c1e-msg",
    "receiver": "THA01",
    "window": 300,
    "known": "transfer_proposal",
    "transfer": "THA01-T41",
    "code": 7104,
    "accepted": "JC-RE-E",
    "country": "SG",
    "minutes": 60,
    "purposes": "CORSIA, GX-ETS",
    "range": "281-300",
    "registries": "JPN01, MNG01",
    "unit_types": "JC, JC-RE-E",
    "account": "JPN01-000008",
    "account_registry": "MNG01",
    "account_type": "omge_cancellation",
    "action": "approved",
    "actor": "tanaka",
    "allowed": "3 to 64 letters a-z, digits and . _ -, starting and ending with a letter or digit",
    "already": 60,
    "approach": "CA0001",
    "authorization": "MN-2025-001",
    "authorization_approach": "CA0002",
    "available": 40,
    "correction": 43,
    "definition": "Issuance",
    "detail": "required",
    "end": 10,
    "entity": "17",
    "field": "login_id",
    "first": "1-10",
    "hours": "Mon-Fri 09:00-23:00",
    "kind": "lent",
    "kinds": "mandatory, voluntary, omge, oimp",
    "latest": 2026,
    "last": 2030,
    "login": "merlion-tan",
    "timeframe": "2021-2030",
    "limit": 1000,
    "notice": "システム更新のため",
    "now": "Sat 10:00",
    "party": "JP",
    "programme": "J-Credit",
    "project": "JCL-R001",
    "purpose": "CORSIA",
    "quantity": 600,
    "ranges": "JPN01:1-10",
    "registry": "JPN01",
    "second": "5-20",
    "start": 0,
    "status": "completed",
    "title": "System update",
    "title_ja": "システム更新",
    "transaction": 42,
    "type": "Retirement",
    "unit_type": "JCM",
    "until": datetime(2026, 12, 3, 9, 39, 2, tzinfo=zoneinfo.ZoneInfo("UTC")),
    "at": datetime(2026, 12, 5, 1, 0, tzinfo=zoneinfo.ZoneInfo("UTC")),
    "using_party": "MN",
    "vintage": 1999,
    "vintages": "2024-2024",
    "why": "units in a final account never move again",
    "zone": "Asia/Tokyo",
    "peer": "THA01",
    "peer_ranges": "JPN01:1-9",
    "peer_account": "THA01-000002",
    "words": "受入口座 THA01-000003 は閉鎖されています。",  # a peer's own words (1515), shown as they came
}


@pytest.mark.parametrize("check", list(Check), ids=lambda c: str(c.code))
def test_every_check_message_reads_in_japanese(world, check):
    world.japan.open_weekdays, world.japan.opens_at, world.japan.closes_at = "0-4", "09:00", "23:00"
    world.japan.save()
    names = re.findall(r"\{(\w+)\}", check.template)
    missing = [n for n in names if n not in PARAMETERS]
    assert not missing, f"give a sample value for {missing} in PARAMETERS"
    failure = CheckFailed(check, **{n: PARAMETERS[n] for n in [*names, "at", "title_ja"] if n in PARAMETERS})
    with translation.override("ja"):
        assert translation.gettext(template_msgid(check)) != template_msgid(check), f"no Japanese for check {check.code}"
        shown = refusal_message(failure)
    assert shown.startswith(f"[{check.code}] ")
    assert english_in(shown, {"tanaka", "lent", "merlion-tan"}, html=False) == [], shown  # a login ID and a typed kind are data
    assert "+00:00" not in shown and "UTC" not in shown


def test_a_maintenance_refusal_says_until_when_in_the_registrys_time(world):
    failure = CheckFailed(Check.MAINTENANCE_WINDOW, registry="JPN01", until=PARAMETERS["until"], title="x", title_ja="更新")
    with translation.override("ja"):
        assert "2026-12-03 18:39 JST" in refusal_message(failure)


# Every page ---------------------------------------------------------------------------------------

#: Patterns that are not pages: files, redirects, the API (machine readable), form posts. Of the
#: Django admin only the index is walked here: its lists and forms, one of each model, are read by
#: ``test_every_admin_list_and_form_reads_in_japanese`` below.
NOT_PAGES = re.compile(r"^(api/|i18n/|static/|health$|logout/$|admin/(?!$))|\.(pdf|xlsx|csv|<str:extension>)$")


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _patterns(entry, route)
        else:
            found.append((route, entry))
    return found


@pytest.fixture
def busy(world, settings, tmp_path):
    """A registry with something on every page: holdings, a pending transfer, an application, a notice."""
    world.issue(500, account=world.japanese)
    initiator, approver = make_user("sato"), make_user("suzuki")
    grant_right(world.admin_jp, world.japanese, initiator, "initiate")
    grant_right(world.admin_jp, world.japanese, approver, "approve")
    party = system_account(world.japan, AccountType.PARTY_HOLDING)
    assert party is not None
    tx = propose_movement(
        actor=initiator, kind="internal_transfer", from_account=world.japanese, to_account_number=party.number, quantity=5
    )
    start = timezone.now() + timedelta(days=2)
    announce_maintenance(
        world.admin_jp, world.japan, starts_at=start, ends_at=start + timedelta(hours=2), title_en="System update", title_ja="システム更新"
    )
    world.people = {"initiator": initiator, "approver": approver}
    world.pending = tx
    world.japan.open_weekdays, world.japan.opens_at, world.japan.closes_at = "0-4", "09:00", "23:00"  # pages show the hours
    world.japan.save()
    settings.REGISTRY_UPLOADS = tmp_path
    Client().post("/apply/account/", opening_form(registry="JPN01"))
    assert Application.objects.exists()
    return world


def _samples(world) -> dict[str, str]:
    application = Application.objects.first()
    return {
        "registry_id": world.japan.registry_id,
        "number": world.japanese.number,
        "pk": str(world.pending.pk),
        "reference": application.reference if application else "",
        "token": application.access_token if application else "",
        "year": str(timezone.now().year),
    }


#: Parameters whose pages need a particular object: route name -> parameter -> value builder.
SAMPLES = {
    "application": {"pk": lambda w: str(Application.objects.first().pk)},
    "token-revoke": None,  # a POST only
    "decide": None,
    "trusted": None,
    "application-document": None,
}


def test_every_page_reads_in_japanese(busy, client):
    proper_names = {e.name for e in Entity.objects.all()} | {p.name for p in Project.objects.all()}
    proper_names |= {u.username for u in busy.people.values()} | {busy.admin_jp.username, "root"}
    proper_names |= {v if isinstance(v, str) else v.name for v in opening_form().values()}  # what the applicant typed and uploaded
    root = User.objects.create_superuser("root", password="a long pass phrase for root")
    visitors = {"anonymous": Client(), "representative": Client(), "administrator": Client()}
    sign_in(visitors["representative"], busy.people["initiator"])
    sign_in(visitors["administrator"], root)
    samples = _samples(busy)
    seen, problems = 0, {}
    for route, pattern in _patterns(get_resolver()):
        if NOT_PAGES.search(route):
            continue
        chosen = SAMPLES.get(pattern.name or "", {})
        if chosen is None:
            continue
        values = {**samples, **{k: f(busy) for k, f in chosen.items()}}
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        missing = [p for p in params if p not in values]
        assert not missing, f"{route}: name a sample value for {missing} in SAMPLES"
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: v[m.group(1)], route)
        for who, visitor in visitors.items():
            response = visitor.get(path, HTTP_ACCEPT_LANGUAGE="ja", follow=False)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            seen += 1
            english = english_in(response.content.decode(), proper_names)
            if english:
                problems[f"{path} as {who}"] = sorted(set(english))
    assert seen > 20
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_a_refused_transaction_says_why_in_japanese(busy):
    """The refusal kept with a rejected transaction reads in the reader's language, as when it was given."""
    party = system_account(busy.japan, AccountType.PARTY_HOLDING)
    with pytest.raises(CheckFailed):
        propose_movement(
            actor=busy.people["initiator"],
            kind="internal_transfer",
            from_account=busy.japanese,
            to_account_number=party.number,
            quantity=10**6,
        )
    rejected = Transaction.objects.get(status="rejected")
    client = Client()
    sign_in(client, busy.people["initiator"])
    page = client.get(f"/app/transactions/{rejected.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f"[{rejected.check_code}] " in page and rejected.check_message not in page
    assert english_in(page, {e.name for e in Entity.objects.all()} | {"sato"}) == []


@pytest.mark.parametrize("path", ["/nowhere/", "/app/accounts/JPN01-999999/"])
def test_an_unknown_page_answers_in_japanese_with_a_way_back(busy, path):
    client = Client()
    sign_in(client, busy.people["initiator"])
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 404
    page = response.content.decode()
    assert "ページが見つかりません" in page and 'href="/app/"' in page
    assert english_in(page, {"sato"}) == []


# Every notification ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_notification_reads_in_japanese_with_times_in_the_registrys_zone(kind):
    params = re.findall(r"%\((\w+)\)s", str(MESSAGES[kind]))
    from registry.applications.models import Form

    sample = {
        "form": Form.values[0],
        "right": "approve",
        "when": "2026-12-04T10:55+00:00",
        "zone": "Asia/Tokyo",
        "reason": "数量の誤り",
        "comment": "書類の不足",
        "refusal": {"code": 7103, "params": {"account": "MNG01-000002"}, "message": "Acquiring account MNG01-000002 is blocked."},
    }
    values = {name: sample.get(name, PARAMETERS.get(name, "tanaka")) for name in params} | {"zone": "Asia/Tokyo"}
    with translation.override("ja"):
        shown = render_notification(kind, values)
    assert english_in(shown, {"tanaka", "merlion-tan"}, html=False) == [], shown
    if "when" in params:
        assert "2026-12-04 19:55 JST" in shown and "+00:00" not in shown


def test_a_taken_login_id_is_refused_in_japanese_without_naming_whose_it_is(world, settings, tmp_path):
    settings.REGISTRY_UPLOADS = tmp_path
    page = Client().post("/apply/account/", opening_form(login_id=world.admin_jp.username), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "は使用済みか、既存のものと紛らわしいため使えません。別のものを選んでください。" in page
    assert "taken" not in page


def test_the_server_error_page_speaks_the_readers_language_without_the_database():
    from django.test import RequestFactory

    from registry.web.views.errors import server_error

    with translation.override("ja"):
        page = server_error(RequestFactory().get("/app/")).content.decode()  # no db fixture: it must not query
    assert "エラーが発生しました" in page and 'href="/"' in page
    assert english_in(page) == []


def test_a_forbidden_page_is_styled_in_japanese_with_a_way_back(world):
    from django.contrib.auth.models import User

    client = Client()
    sign_in(client, User.objects.create_superuser("root", password="a long pass phrase for root"))
    block = world.issue(10).issued_blocks.get()
    response = client.post(f"/admin/units/unitblock/{block.pk}/change/", {"end": 99}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 403
    page = response.content.decode()
    assert "このページは開けません" in page and 'href="/app/"' in page


# The Django admin ---------------------------------------------------------------------------------


def _one_of_each_admin_model(busy) -> dict[type, object]:
    """One object of every model the admin shows, made the way the registry makes them."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib import admin
    from django.contrib.auth.models import Group

    from registry.units.models import CorsiaEligibility

    attempt = {
        "user_agent": "Mozilla/5.0",
        "ip_address": "127.0.0.1",
        "username": "sato",
        "http_accept": "text/html",
        "path_info": "/login/",
    }
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt, locked_out=False)
    AccessLog.objects.create(**attempt)
    Group.objects.get_or_create(name="auditors")
    programme = CreditingProgramme.objects.order_by("pk").first()
    CorsiaEligibility.objects.get_or_create(
        programme=programme, first_vintage=2021, defaults={"last_vintage": 2026, "compliance_period": "2024-2026"}
    )
    objects = {model: model.objects.order_by("pk").first() for model in admin.site._registry}
    missing = [model.__name__ for model, obj in objects.items() if obj is None]
    assert not missing, f"make one {missing} for the admin's pages"
    return objects


def test_every_admin_list_and_form_reads_in_japanese(busy):
    """Each model the admin shows: its list, its add form and the page of one object, as a superuser in Japanese."""
    from django.urls import reverse

    root = User.objects.create_superuser("root", password="a long pass phrase for root")
    client = Client()
    sign_in(client, root)
    objects = _one_of_each_admin_model(busy)
    proper_names = {e.name for e in Entity.objects.all()} | {p.name for p in Project.objects.all()}
    proper_names |= {u.username for u in User.objects.all()} | {"Mozilla/5.0", "auditors", "test"}  # a device's name
    # Reference data that administrators keep in English beside its Japanese (``name`` and ``name_ja``),
    # and codes of programmes and purposes, are data: what the registry names itself is translated.
    proper_names |= {p.name for p in Party.objects.all()} | {c.code for c in CreditingProgramme.objects.all()}
    proper_names |= {p.name for p in UsePurpose.objects.all()} | {p.code for p in UsePurpose.objects.all()}
    seen, problems = 0, {}
    for model, obj in objects.items():
        meta = model._meta
        paths = [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
        ]
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="ja")
            if response.status_code == 403 and path.endswith("/add/"):
                continue  # the ledger is read only: no add form
            assert response.status_code == 200, (path, response.status_code)
            seen += 1
            page = response.content.decode()
            assert "日時はすべて Asia/Tokyo, JST" in page, path  # the zone its times are in
            english = english_in(page, proper_names)
            if english:
                problems[path] = sorted(set(english))
    assert seen >= 2 * len(objects)
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_admin_never_shows_an_authenticators_secret_key(world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    root = User.objects.create_superuser("root", password="a long pass phrase for root")
    client = Client()
    sign_in(client, root)
    device = TOTPDevice.objects.get(user=root)
    pages = [
        client.get(path).content.decode() for path in ("/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    ]
    assert all(device.name in page and device.key not in page for page in pages)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403  # devices are set up by their owners, at sign-in
