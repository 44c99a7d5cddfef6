"""Where the operation being recorded comes from: the interface (web, API, command line) and the
client's address, set once per request or command, so that every ``log_operation`` (in a view or
deep in a service) records them the same way without each caller passing them along."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Where an operation came from."""

    WEB = "web", _("Web")
    API = "api", _("API")
    CLI = "cli", _("Command line")


@dataclass(frozen=True)
class Origin:
    channel: Channel | None
    address: str | None


UNKNOWN = Origin(None, None)
_origin: ContextVar[Origin | None] = ContextVar("registry_origin", default=None)


def current_origin() -> Origin:
    return _origin.get() or UNKNOWN


@contextlib.contextmanager
def acting_from(channel: Channel, address: str | None = None) -> Iterator[None]:
    token = _origin.set(Origin(channel, address))
    try:
        yield
    finally:
        _origin.reset(token)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or as many ``X-Forwarded-For`` hops back as there are
    trusted proxies (``REGISTRY_TRUSTED_PROXIES``), as the API's rate limits count it."""
    proxies = settings.NINJA_NUM_PROXIES
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    address: str | None = request.META.get("REMOTE_ADDR")
    return address


class RecordOrigin:
    """Middleware: each request's operations are recorded with its interface and address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = Channel.API if request.path.startswith("/api/") else Channel.WEB
        with acting_from(channel, client_address(request)):
            return self.get_response(request)
