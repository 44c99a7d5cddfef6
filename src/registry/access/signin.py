"""Sign-in protection that an outsider cannot aim at someone else, and what the user is told.

django-axes counts failed sign-ins in the database (so every server process sees the same counts)
by (login ID, address) and by address alone, never by login ID alone: five wrong passwords for
someone's login ID from one address lock that login ID *from that address*, and the holder signs
in from their own. An address is locked for every login ID only after many more failures
(``REGISTRY_LOCKOUT_ADDRESS_FAILURES``), so people behind one proxy or NAT do not lock each other
out. Each lock lasts ``REGISTRY_LOCKOUT_MINUTES``, twice as long for each earlier lock of the same
pair (or address) within a day, up to a day: delays that grow, instead of one hard lock.

The holder of the login ID is told (notification and email) of repeated failures since their
last sign-in and of each lock; their home page shows their previous sign-in and the failures since.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessFailureLog, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from registry.access.login_ids import find_user, normalise_login_id
from registry.notifications.services import notify

#: Failures since the last sign-in after which the holder hears of them.
REPEATED_FAILURES = 3


def client_address(request: HttpRequest) -> str | None:
    """The client's address: ``REGISTRY_TRUSTED_PROXIES`` back in X-Forwarded-For, as for the API."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.NINJA_NUM_PROXIES
    if proxies and forwarded:
        addresses = forwarded.split(",")
        return str(addresses[-min(proxies, len(addresses))]).strip()
    return cast(str | None, request.META.get("REMOTE_ADDR"))


def login_id_tried(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The login ID an attempt was for, in normal form: ``MADMIN`` and ``madmin`` count together."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get("username")
    return normalise_login_id(typed) if typed else None


def _failures_today(request: HttpRequest) -> tuple[int, int]:
    """Failures in the last day of this request's (login ID, address), and of its address."""
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    recent = AccessFailureLog.objects.filter(ip_address=address, attempt_time__gte=timezone.now() - timedelta(days=1))
    return recent.filter(username=login_id_tried(request, None)).count(), recent.count()


def cool_off(request: HttpRequest | None) -> timedelta:
    """How long a lock lasts: the base, doubled for each earlier lock of the pair or address today."""
    base = timedelta(minutes=float(settings.REGISTRY_LOCKOUT_MINUTES))
    if request is None:
        return base
    pair, address = _failures_today(request)
    # +1: when axes computes a lock's end, the failure that locks is not in the log yet.
    locks = max((pair + 1) // settings.REGISTRY_LOCKOUT_FAILURES, (address + 1) // settings.REGISTRY_LOCKOUT_ADDRESS_FAILURES)
    return min(base * (1 << max(locks - 1, 0)), timedelta(days=1))


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """The limit axes compares with its count, which is the address's (it includes the pair's):
    the pair's limit once the pair has reached it, otherwise the address's."""
    by_pair, _by_address = AxesProxyHandler.get_implementation().get_user_attempts(request, credentials)
    pair = int(by_pair.aggregate(total=Sum("failures_since_start"))["total"] or 0)
    limit = int(settings.REGISTRY_LOCKOUT_FAILURES)
    return limit if pair >= limit else int(settings.REGISTRY_LOCKOUT_ADDRESS_FAILURES)


@dataclass(frozen=True)
class SignInRecord:
    """What a user's home page shows: their sign-in before this one, and the failures since."""

    previous_at: datetime | None
    previous_address: str | None
    failures_since: int


def sign_in_record(user: User) -> SignInRecord:
    login_id = normalise_login_id(user.get_username())
    logins = AccessLog.objects.filter(username__iexact=login_id).order_by("-attempt_time")
    previous = logins[1:2].first()  # the newest is this session's
    failures = AccessFailureLog.objects.filter(username=login_id)
    if previous is not None:
        failures = failures.filter(attempt_time__gt=previous.attempt_time)
    return SignInRecord(
        previous_at=previous.attempt_time if previous else None,
        previous_address=previous.ip_address if previous else None,
        failures_since=failures.count(),
    )


def _failures_since_last_sign_in(login_id: str) -> int:
    last = AccessLog.objects.filter(username__iexact=login_id).order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    failures = AccessFailureLog.objects.filter(username=login_id)
    return int((failures.filter(attempt_time__gt=last) if last else failures).count())


@receiver(user_login_failed, dispatch_uid="registry-tell-of-repeated-failures")
def tell_of_repeated_failures(sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    login_id = login_id_tried(request, credentials)
    user = find_user(login_id) if login_id else None
    if user is None or login_id is None or getattr(request, "axes_locked_out", False):
        return
    if _failures_since_last_sign_in(login_id) == REPEATED_FAILURES:
        notify([user], "sign_in_failures", count=REPEATED_FAILURES, address=client_address(request) if request else "")


@receiver(user_locked_out, dispatch_uid="registry-tell-of-lock")
def tell_of_lock(sender: object, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    user = find_user(username) if username else None
    if user is None:
        return
    lasts = cool_off(request)
    # Axes signals every refused attempt during a lock: the holder hears once per lock.
    if cache.add(f"signin-lock-told-{user.pk}-{ip_address}", True, timeout=int(lasts.total_seconds())):
        notify([user], "sign_in_locked", address=ip_address or "", minutes=math.ceil(lasts.total_seconds() / 60))
