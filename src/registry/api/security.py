"""Who a request acts as, what its token may reach, and how often it may ask.

A token acts as its user, within its scope (read, or read and write) and, if it names accounts,
only on those. Everything else (rights, four eyes, delays) is the services' business, exactly as on
the web. Something a token may not see does not exist for it: 404, and the attempt is logged.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja.errors import Throttled
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from registry.access import permissions
from registry.access.models import Operation
from registry.access.services import log_operation
from registry.accounts.models import Account
from registry.api.models import ApiToken, Scope
from registry.api.reach import Reached, reached_account
from registry.api.shared_cache import count_request
from registry.api.tokens import find_token
from registry.core.checks import Check, CheckFailed
from registry.outages import OUTAGES
from registry.parties.models import Registry
from registry.parties.services import ensure_administrator, remember_administrator
from registry.transactions.models import Transaction
from registry.transactions.visibility import sides_seeing


def _spend(key: str, rate: str) -> float | None:
    """Count one request against ``rate`` ("requests/seconds") under ``key``; None if it is within
    the rate, else how many seconds until it would be.

    A sliding window, estimated from two fixed ones (this window's count plus the previous
    window's, weighted by how much of it the sliding window still covers), counted in the shared
    cache (``registry.api.shared_cache.count_request``), so every server process counts against one
    limit.
    Refused requests count too: a client that keeps asking stays refused.
    """
    limit, seconds = (int(part) for part in rate.split("/"))
    now = time.time()
    window = int(now // seconds)
    try:
        count, previous = count_request(key, window, seconds, limit, now)
    except OUTAGES:
        # The database cache takes no writes (full, read-only, down): let the request on, to be
        # answered 503 by its operation, or served if it only reads.
        return None
    elapsed = now - window * seconds
    if previous * (1 - elapsed / seconds) + count <= limit:
        return None
    return seconds - elapsed


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: a live token (not expired, not revoked, user active).

    Failed attempts count against the client address's rate, so tokens cannot be guessed at speed.
    """

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = find_token(token)
        if found is None:
            address = BaseThrottle().get_ident(request)
            if (wait := _spend(f"api-rate-failed-{address}", settings.REGISTRY_API_ANONYMOUS_RATE)) is not None:
                raise Throttled(math.ceil(wait))
            return None
        request.user = found.user
        return found


class RateThrottle(BaseThrottle):
    """Per token (``REGISTRY_API_RATE``), or per client address for public operations
    (``REGISTRY_API_ANONYMOUS_RATE``), both "requests/seconds", over a sliding window.

    Counted in the cache all server processes share (``registry.api.shared_cache``). The
    framework asks one instance for every request, so what one request learnt (how long to wait)
    is kept per thread.
    """

    def __init__(self) -> None:
        self._waits = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            wait = _spend(f"api-rate-token-{token.prefix}", settings.REGISTRY_API_RATE)
        else:
            wait = _spend(f"api-rate-address-{self.get_ident(request)}", settings.REGISTRY_API_ANONYMOUS_RATE)
        self._waits.seconds = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._waits, "seconds", None)


def token_of(request: HttpRequest) -> ApiToken:
    token = getattr(request, "auth", None)
    assert isinstance(token, ApiToken), "an operation without auth asked for its token"
    return token


def names_accounts(token: ApiToken) -> bool:
    """Whether ``token`` is limited to some accounts: found with the token (``find_token``), asked
    otherwise once per request (a request's token is found afresh for each request)."""
    known: bool | None = getattr(token, "limited_to_accounts", None)
    if known is None:
        known = token.accounts.exists()
        token.limited_to_accounts = known  # type: ignore[attr-defined]
    return known


def user_of(request: HttpRequest) -> User:
    return token_of(request).user


def address_of(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def reachable_accounts(request: HttpRequest) -> QuerySet[Account]:
    """The accounts the token's user may see, narrowed to the token's accounts if it names any."""
    token = token_of(request)
    accounts = permissions.visible_accounts(token.user)
    if names_accounts(token):
        accounts = accounts.filter(pk__in=token.accounts.values("pk"))
    return accounts


def _reaches(request: HttpRequest, account: Account) -> bool:
    token = token_of(request)
    if not permissions.can_view(token.user, account):
        return False
    return not names_accounts(token) or token.accounts.filter(pk=account.pk).exists()


class Denied(Http404):
    """Something the token may not reach: answered as not found, and logged once the request's
    database transaction is over (a write's rollback must not take the log entry with it)."""

    def __init__(self, action: Operation, target: str) -> None:
        super().__init__(target)
        self.action, self.target = action, target

    def log(self, request: HttpRequest) -> None:
        log_operation(user_of(request), self.action, target=self.target, outcome="denied")


def account_for(request: HttpRequest, number: str) -> Account:
    """An account the token reaches (as ``reachable_accounts`` would find it, with its registry and
    entity); any other (or none) is 404, and the attempt is logged."""
    return _reached(request, number).account


def accounts_for_transfer(request: HttpRequest, number: str, acquiring: str) -> tuple[Account, Account | None]:
    """``account_for(number)``, and the acquiring account ``acquiring`` names for a transfer from it
    (as ``destination_account`` finds it; None if it names none), read in the same statement."""
    found = _reached(request, number, acquiring)
    return found.account, found.acquiring


def _reached(request: HttpRequest, number: str, acquiring: str | None = None) -> Reached:
    token = token_of(request)
    # One statement whether the account exists or not: the answer's timing tells nothing either.
    # It says too whether the user administers the account's registry, which the rules of a
    # write ask next (remembered for the request's write only: ``administrators_remembered``).
    found = reached_account(token.user, token, number, limited=names_accounts(token), acquiring=acquiring)
    if found is None:
        raise Denied(Operation.VIEW_ACCOUNT, number)
    remember_administrator(token.user, found.account.registry, found.administers)
    return found


def transaction_for(request: HttpRequest, pk: int, *, deciding: bool = False) -> Transaction:
    """A transaction the token reaches: through either account to read it, through the sending
    account to approve, reject or cancel it (a token for the receiving side cannot decide)."""
    tx = Transaction.objects.select_related("registry", "from_account__registry", "to_account__registry").filter(pk=pk).first()
    if tx is not None:
        # Issuances have no sending account: the service refuses to decide on them (5501).
        sides = [tx.from_account] if deciding and tx.from_account is not None else sides_seeing(tx)
        if any(account is not None and _reaches(request, account) for account in sides):
            return tx
        if deciding and tx.to_account in sides_seeing(tx) and _reaches(request, tx.to_account):
            raise CheckFailed(Check.NOT_ALLOWED_TO_APPROVE, actor=user_of(request), account=tx.from_account or "-")
        if tx.from_account is None and tx.to_account is None and tx.registry in administered_registries(request):
            return tx  # an authorisation: registry-wide, for its administrators
    raise Denied(Operation.VIEW_TRANSACTION, str(pk))


def administered_registries(request: HttpRequest) -> QuerySet[Registry]:
    """The registries the token's user administers, if the token is not limited to some accounts."""
    token = token_of(request)
    return Registry.objects.none() if names_accounts(token) else permissions.administered_registries(token.user)


def require_write(request: HttpRequest) -> ApiToken:
    """Writes need a token with the write scope (2002 otherwise)."""
    token = token_of(request)
    if token.scope != Scope.WRITE:
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=f"read-only token {token.prefix}", account="any")
    return token


def administered_registry(request: HttpRequest, registry_id: str) -> Registry:
    """A registry the token's user administers, with a token that is not limited to some accounts."""
    registry = Registry.objects.select_related("party").filter(registry_id=registry_id).first()
    if registry is None:
        raise CheckFailed(Check.REGISTRY_UNKNOWN, registry=registry_id)
    token = token_of(request)
    ensure_administrator(token.user, registry)
    if names_accounts(token):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=f"token {token.prefix} (limited to some accounts)", account=registry_id)
    return registry
