"""Kept public answers (registry.disclosure.published): served again only for the same state of the
ledger, never with one visitor's token or sign-in to another."""

from __future__ import annotations

import pickle
import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.disclosure import published
from registry.parties.models import Notice
from registry.transactions.services import transfer_units
from tests.factories import make_world, sign_in

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


def test_a_kept_page_costs_one_query_and_stores_no_session_for_a_visitor_without_one(world, django_assert_num_queries):
    page = Client().get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    with django_assert_num_queries(1):  # the registries' journal lengths
        kept = Client().get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    assert kept.content == page.content and not TOKEN.search(kept.content.decode())
    assert not Session.objects.exists()
    changed = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "ja", "next": "/public/"})
    assert changed.status_code == 302 and changed.cookies["django_language"].value == "ja"


def test_a_visitor_with_a_session_gets_a_kept_page_with_their_own_token_and_needs_it(world):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for visitor in (first, second):
        visitor.get("/login/")  # the sign-in form: a session, for its token
    page, kept = (visitor.get("/public/", HTTP_ACCEPT_LANGUAGE="en") for visitor in (first, second))
    tokens = [TOKEN.search(answer.content.decode())[1] for answer in (page, kept)]
    assert kept.content.replace(tokens[1].encode(), b"") == page.content.replace(tokens[0].encode(), b"")
    assert b"\x00" not in kept.content
    assert second.post("/i18n/setlang/", {"language": "ja", "next": "/public/"}).status_code == 403
    for visitor, token in zip((first, second), tokens, strict=True):
        changed = visitor.post("/i18n/setlang/", {"language": "ja", "next": "/public/", "csrfmiddlewaretoken": token})
        assert changed.status_code == 302


def test_a_transfer_shows_on_the_front_page_and_in_the_amounts_at_once(world, client):
    world.issue(100)
    assert "100" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    before = client.get("/api/v1/registries/MNG01/amounts")
    assert client.get("/api/v1/registries/MNG01/amounts", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.government_mn, quantity=40)
    front = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">60<" in front and ">40<" in front
    after = client.get("/api/v1/registries/MNG01/amounts", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    held = {(row["account_type"], row["units"]) for row in after.json() if row["unit_type"] == "JCM"}
    assert {("entity_holding", 60), ("party_holding", 40)} <= held


def test_the_credit_search_follows_the_ledger(world, client):
    world.issue(10)
    assert len(client.get("/api/v1/search?registry=MNG01").json()["items"]) == 1
    transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.government_mn, quantity=4)
    assert len(client.get("/api/v1/search?registry=MNG01").json()["items"]) == 2


def test_a_notice_shows_at_once_and_each_language_has_its_page(world, client):
    assert "Change of fees" not in client.get("/public/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    Notice.objects.create(title_en="Change of fees", title_ja="手数料の変更", published_at=timezone.now())
    assert "Change of fees" in client.get("/public/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "手数料の変更" in client.get("/public/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_a_signed_in_user_is_never_served_a_kept_page_nor_kept_in_one(world, client):
    anonymous = Client()
    anonymous.get("/", HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, world.admin_mn)
    mine = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign out" in mine and world.admin_mn.get_username() in mine
    theirs = Client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign out" not in theirs and world.admin_mn.get_username() not in theirs


def test_only_what_the_ledger_covers_renews_no_stamp(world):
    before = published.REFERENCE.current()
    world.issue(5)  # the registry's journal and serial counter: its journal length names the change
    assert published.REFERENCE.current() == before
    world.mongolia.save(update_fields=["open_weekdays"])
    assert published.REFERENCE.current() != before


def test_a_kept_api_answer_is_sent_as_the_api_rendered_it_once(world, client):
    world.issue(10)
    first = client.get("/api/v1/search?registry=MNG01")
    assert first.status_code == 200 and len(first.json()["items"]) == 1
    # What is kept is the body the API rendered after checking it against the schema, not the
    # values to check and render again; a kept answer is that body, byte for byte.
    kept_values = [pickle.loads(value) for value in caches["figures"]._cache.values()]  # type: ignore[attr-defined]
    assert (first.content, first["Content-Type"]) in kept_values
    kept = client.get("/api/v1/search?registry=MNG01")
    assert kept.content == first.content and kept["Content-Type"] == first["Content-Type"] and kept["ETag"] == first["ETag"]
    assert client.get("/api/v1/search?registry=MNG01&limit=1").json()["items"] == first.json()["items"]  # another query, its own answer


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every connection check Django makes on this thread's connection (its ``SELECT 1`` on PostgreSQL)."""
    made: list[bool] = []
    usable = connection.is_usable
    monkeypatch.setattr(connections["default"], "is_usable", lambda: made.append(usable()) or made[-1])
    return made


def test_a_kept_page_checks_its_connection_with_its_own_statement(committed_db, checks):
    make_world()
    page = Client().get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    # A server's next request on its kept connection: Django checks the connection before the
    # request's first statement. The kept page's one statement is that check.
    connection.close_if_unusable_or_obsolete()
    with CaptureQueriesContext(connection) as sent:
        kept = Client().get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    assert kept.content == page.content and len(sent) == 1 and checks == []
    if connection.vendor != "postgresql":
        return
    # The server drops the connection between two requests (a restart, an idle timeout): the
    # statement fails, the connection is found unusable, and the page is read on a new one.
    backend = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
                if cursor.fetchone() == (0,):
                    break
                time.sleep(0.05)
    finally:
        other.close()
    connection.close_if_unusable_or_obsolete()
    again = Client().get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200 and again.content == page.content
    assert checks == [False] and connection.connection.info.backend_pid != backend
