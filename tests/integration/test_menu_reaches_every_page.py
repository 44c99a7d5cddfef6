"""A page nothing links to does not exist for a user: every page a visitor may open is reached by
following links from where that visitor starts (the front page, or the signed-in home), the way a
person clicks through the menu, without typing a URL.

The walk follows every link on each page it reaches (GET only, this site only, no sign-out, no
files), bounded in count; each page a visitor can open (the same walk over the URL patterns as
``test_every_page_reads_in_japanese``) must be among the patterns it reached, and no link it follows may lead to an error page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve

from tests.factories import sign_in
from tests.integration.test_japanese_everywhere import NOT_PAGES, SAMPLES, _patterns, _samples, busy  # noqa: F401 (a fixture)

#: Pages reached by a link that is not in the HTML (or not for a visitor), with the reason.
NOT_LINKED = {
    "application-status": "the applicant's own link, sent in the acknowledgement by e-mail",
}

#: Pages a signed-in visitor may open but is rightly not offered.
NOT_LINKED_WHEN_SIGNED_IN = {
    "login": "a signed-in person is not offered to sign in again",
}

LIMIT = 400  # pages per visitor; the walk is breadth-first, so the menu's pages come first


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _route(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def _walk(visitor: Client, start: str) -> tuple[set[str], dict[str, int]]:
    """The URL patterns of every page reached from ``start`` by following links, and the links
    that led nowhere (an error status) with their status."""
    queue, queued, reached, dead = [start], {start}, set(), {}
    while queue and len(queued) <= LIMIT:
        path = queue.pop(0)
        response = visitor.get(path, HTTP_ACCEPT_LANGUAGE="ja")
        if response.status_code >= 400:
            dead[path] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        route = _route(path)
        if route is not None:
            reached.add(route)
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            target = urlsplit(urljoin(path, href))
            if target.scheme not in ("", "http") or target.netloc not in ("", "testserver"):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if target.path in queued or NOT_PAGES.search(target.path.lstrip("/")) or target.path.startswith("/admin/"):
                continue
            queued.add(target.path)
            queue.append(link)
    return reached, dead


def _openable(visitor: Client, values: dict[str, str], busy) -> set[str]:  # noqa: F811
    """The URL patterns of the pages this visitor may open when the address is typed."""
    found = set()
    for route, pattern in _patterns(get_resolver()):
        if NOT_PAGES.search(route) or route.startswith("admin/"):
            continue
        chosen = SAMPLES.get(pattern.name or "", {})
        if chosen is None:
            continue
        all_values = {**values, **{k: f(busy) for k, f in chosen.items()}}
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=all_values: v[m.group(1)], route)
        response = visitor.get(path, HTTP_ACCEPT_LANGUAGE="ja")
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            found.add((route, pattern.name or route))
    return found


@pytest.mark.parametrize("who", ["anonymous", "representative", "registry administrator", "superuser"])
def test_every_page_a_visitor_may_open_is_reached_from_the_menu(busy, who):  # noqa: F811
    visitor = Client()
    if who == "representative":
        sign_in(visitor, busy.people["initiator"])
    elif who == "registry administrator":
        sign_in(visitor, busy.admin_jp)
    elif who == "superuser":
        sign_in(visitor, User.objects.create_superuser("root", password="a long pass phrase for root"))
    reached, dead = _walk(visitor, "/")
    assert dead == {}, f"{who}: links that lead nowhere: {dead}"
    openable = _openable(visitor, _samples(busy), busy)
    exempt = NOT_LINKED | (NOT_LINKED_WHEN_SIGNED_IN if who != "anonymous" else {})
    unreached = sorted(name for route, name in openable if route not in reached and name not in exempt)
    assert len(openable) > 3
    assert unreached == [], f"{who}: no link leads to {unreached}"
