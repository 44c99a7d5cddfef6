"""Where the operation being recorded comes from: the interface (web, API, command line) and the
client's address, set once per request or command, so that every ``log_operation`` (in a view or
deep in a service) records them the same way without each caller passing them along."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from django import forms
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


@dataclass
class RequestRefusals:
    """What one web request was refused for, gathered while it runs: whether something already put
    the refusal on record (a view's ``log_operation`` with ``denied`` or ``refused ...``), and the
    forms that came back invalid. ``registry.web.middleware.RecordRefusals`` records the rest."""

    recorded: bool = False
    invalid_forms: list[str] = field(default_factory=list)


_refusals: ContextVar[RequestRefusals | None] = ContextVar("registry_refusals", default=None)


@contextlib.contextmanager
def gathering_refusals() -> Iterator[RequestRefusals]:
    gathered = RequestRefusals()
    token = _refusals.set(gathered)
    try:
        yield gathered
    finally:
        _refusals.reset(token)


def refusal_recorded() -> None:
    """A refusal of the current request is on record: the middleware need not add one."""
    if (gathered := _refusals.get()) is not None:
        gathered.recorded = True


class RecordedForm(forms.BaseForm):
    """Every form of the registry: a submission it finds invalid is noted for the request's record
    (which fields, never their values: a refused form may hold a password)."""

    def full_clean(self) -> None:
        super().full_clean()
        errors = getattr(self, "_errors", None)  # full_clean's result, read without cleaning again
        if self.is_bound and errors and (gathered := _refusals.get()) is not None:
            fields = ", ".join(sorted(errors))
            gathered.invalid_forms.append(f"{type(self).__name__} ({fields})")
