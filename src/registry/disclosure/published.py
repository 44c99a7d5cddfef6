"""Public answers kept per state of what they show: the front page, the public index, the amounts
and the credit search are read far more often than the ledger changes.

An answer is kept under a key naming everything it depends on, so a kept answer is never served
for another state:

- the ledger: each registry's journal length (every change of holdings and every completed
  transaction appends to its registry's journal), read in one small query per request (one round
  trip: on a connection kept from an earlier request it is also Django's check of the connection);
- the minute: what a page shows by the clock (a notice whose publication time comes, maintenance
  starting, "as of") is at most a minute old;
- the reference data a page names (registries' hours and suspensions, notices, entities, projects,
  programmes, unit types, approaches, Parties, the CORSIA list): one stamp in the cache every
  server process shares (``registry.stamps``), renewed by every save or delete of
  such a row once it commits (and in the saving process at once). With the database cache the stamp is
  read in the journal lengths' statement (one query, and the same snapshot as the rows: on the
  replica too); with Redis, there;
- the request: its path with the query, the language and the time zone.

The ledger's movements and the reference data are therefore never served stale, in any process
(with Redis and a replica, an edit shows once the replica has it: until then a page made from the
replica's older rows may be kept under the new stamp, for a minute at most). Each process keeps its
answers in its own memory (an answer under a key never changes).

A page is kept as rendered; an API answer as the API rendered it after checking it against the
operation's schema (once per state, not at every request).

Only anonymous requests without a message waiting are served kept pages: nothing a user sees of
their own (sign-in state, messages) is ever kept. A visitor with a session gets the page whose
language form carries a CSRF token, with the token taken out when it was kept and this visitor's
own put in; a visitor without one, the page without a token (``web.views.public.change_language``).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from registry.outages import OUTAGES
from registry.parties.models import Registry
from registry.stamps import Stamp, decoded

P = ParamSpec("P")
R = TypeVar("R")

#: What the kept answers name besides the ledger (``watch``).
REFERENCE = Stamp("public-reference-data")
#: A kept answer lives this long at most, and a page's clock-dependent parts are this old at most.
MINUTE = 60
#: The fields of a registry that its journal length already covers: its saves renew no stamp.
LEDGER_FIELDS = frozenset({"journal_head", "journal_length", "next_serial"})
#: The form field Django renders for ``{% csrf_token %}``, and what stands for it in a kept page.
TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(")')
TOKEN_PLACE = b"\x00csrf\x00"
HEADS = f"SELECT id, journal_length FROM {Registry._meta.db_table} ORDER BY id"
SAFE_KEY = re.compile(r"[A-Za-z0-9:._-]+")
#: The journal lengths and, in the same statement, the reference data's stamp in the database cache.
HEADS_AND_STAMP = (
    f"SELECT id, journal_length, NULL FROM {Registry._meta.db_table}"
    f" UNION ALL SELECT NULL, NULL, value FROM {{cache_table}} WHERE cache_key = %s"
)


def _kept() -> Any:
    return caches["figures"]


def state_key(request: HttpRequest, name: str, *variant: object) -> str:
    """The key of ``name``'s answer to ``request`` in the present state (one small query)."""
    # Bare SQL on the connection the ORM would read the registries from (the replica, for the public
    # views): building the query took longer than running it.
    stamp, found = _state(connections[router.db_for_read(Registry)])
    heads = ",".join(f"{pk}:{length}" for pk, length in found)
    what = (
        f"{name}|{request.get_full_path()}|{translation.get_language()}|{timezone.get_current_timezone_name()}"
        f"|{int(time.time() // MINUTE)}|{heads}|{stamp}|{variant}"
    )
    return "public-" + hashlib.sha256(what.encode()).hexdigest()


def _state(database: Any) -> tuple[str | None, list[tuple[int, int]]]:  # a connection (its health check is not in the stubs)
    """The reference data's stamp and each registry's journal length, in one round trip.

    Django checks a kept connection with a ``SELECT 1`` before a request's first statement
    (``CONN_HEALTH_CHECKS``): on PostgreSQL a second round trip, as long as this statement. Here this
    statement is the check: should it fail on a connection that is no longer usable (the server
    restarted it, say), the connection is closed and the statement sent once more on a new one, as
    the check would have done. A connection inside a transaction is never checked (nor here)."""
    if database.connection is None or not database.health_check_enabled or database.health_check_done or database.in_atomic_block:
        return _read_state(database)
    database.health_check_done = True
    try:
        return _read_state(database)
    except OUTAGES:
        if database.is_usable():
            raise  # not the connection: the database's answer
    with contextlib.suppress(*OUTAGES):
        database.close()
    return _read_state(database)


def _read_state(database: BaseDatabaseWrapper) -> tuple[str | None, list[tuple[int, int]]]:
    shared = caches["default"]
    with database.cursor() as cursor:
        if isinstance(shared, DatabaseCache):
            cursor.execute(_heads_and_stamp(database.ops.quote_name(shared._table), REFERENCE.key()))  # type: ignore[attr-defined]
            rows = cursor.fetchall()
            stamp = REFERENCE.with_shared(next((decoded(value) for pk, _length, value in rows if pk is None), None))
            return stamp, sorted((pk, length) for pk, length, _value in rows if pk is not None)
        stamp = REFERENCE.current()
        cursor.execute(HEADS)
        return stamp, list(cursor.fetchall())


@lru_cache(maxsize=16)
def _heads_and_stamp(table: str, key: str) -> str:
    """The statement for a cache table and the stamp's key, made once: the key, a name of ours, is
    written into it (checked to be letters, digits and ``:._-`` only), so the driver has no
    parameter to adapt at every request."""
    if not SAFE_KEY.fullmatch(key):
        raise ValueError(f"not a cache key to write into SQL: {key!r}")
    return HEADS_AND_STAMP.format(cache_table=table).replace("%s", f"'{key}'")


def _anonymous_without_messages(request: HttpRequest) -> bool:
    if request.user.is_authenticated or "messages" in request.COOKIES:
        return False
    return "_messages" not in request.session


def page(name: str) -> Callable[[Callable[P, HttpResponseBase]], Callable[P, HttpResponseBase]]:
    """Keep the page a view renders (status 200, HTML) for anonymous visitors."""

    def decorate(view: Callable[P, HttpResponseBase]) -> Callable[P, HttpResponseBase]:
        @wraps(view)
        def serve(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            request = args[0]
            assert isinstance(request, HttpRequest)
            if not _anonymous_without_messages(request):
                return view(*args, **kwargs)
            # With a session the language form carries a token, without one it does not (see
            # registry.web.views.public.change_language): two pages.
            key = state_key(request, name, not request.session.is_empty())
            found: tuple[bytes, str] | None = _kept().get(key)
            if found is None:
                response = view(*args, **kwargs)
                if response.status_code != 200 or not isinstance(response, HttpResponse):
                    return response
                found = (TOKEN.sub(rb"\1" + TOKEN_PLACE + rb"\2", response.content), response["Content-Type"])
                _kept().set(key, found, timeout=MINUTE)
                return response
            content, content_type = found
            if TOKEN_PLACE in content:
                content = content.replace(TOKEN_PLACE, get_token(request).encode())
            return HttpResponse(content, content_type=content_type)

        return serve

    return decorate


def answer(request: HttpRequest, name: str, compute: Callable[[], R]) -> R | HttpResponse:
    """What a public API operation returns: the kept answer in the present state, as the API
    rendered it (an ``HttpResponse``, which the API sends as it is), or else ``compute()``'s value,
    which the API then checks against the operation's schema and renders, and ``with_etag`` keeps
    (so every answer was checked once, and a kept one is sent byte for byte as rendered then: the
    check and the rendering, which cost more than the rest of the request, are not repeated for the
    same state); ``with_etag`` also names it to the client."""
    key = state_key(request, name)
    request.public_etag = f'"{key[7:39]}"'  # type: ignore[attr-defined]
    found: tuple[bytes, str] | None = _kept().get(key)
    if found is None:
        request.public_key = key  # type: ignore[attr-defined]
        return compute()
    content, content_type = found
    return HttpResponse(content, content_type=content_type)


def with_etag(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """The ETag of a public API answer on its response, and the answer kept once the API has
    rendered it (``answer``); ``304 Not Modified`` for a client that sends the ETag."""

    @wraps(view)
    def serve(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        response = view(*args, **kwargs)
        etag: str | None = getattr(request, "public_etag", None)
        if etag is None or response.status_code != 200:
            return response
        if (key := getattr(request, "public_key", None)) is not None and type(response) is HttpResponse:
            _kept().set(key, (response.content, response["Content-Type"]), timeout=MINUTE)
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            not_modified = HttpResponse(status=304)
            not_modified["ETag"] = etag
            return not_modified
        response["ETag"] = etag
        return response

    return serve


def _changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if sender is Registry and fields is not None and frozenset(fields) <= LEDGER_FIELDS:
        return
    REFERENCE.renew_with_change(kwargs.get("using"))


def watch(models: list[type[Model]]) -> None:
    """Forget every process's kept answers whenever a row of ``models`` is saved or deleted."""
    for model in models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"public-{model._meta.label}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-{model._meta.label}-delete")
