"""Issuing, finding and revoking API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django.utils import timezone

from registry.access.models import Operation
from registry.access.permissions import can_view
from registry.access.services import log_operation
from registry.accounts.models import Account
from registry.api.models import ApiToken, Scope
from registry.core.checks import Check, CheckFailed
from registry.outages import OUTAGES
from registry.stamps import Stamp

TOKEN_PREFIX = "crt_"
LAST_USED_PRECISION = timedelta(minutes=1)
#: Each token has its own rate limit: a cap on live tokens keeps a user's total bounded.
MAX_LIVE_TOKENS = 20
#: What ``create_token`` makes: the prefix, 12 hex digits, and 32 random bytes in URL-safe base64.
SECRET = re.compile(r"crt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str, scope: Scope | str, accounts: Iterable[Account] = (), days: int = 90) -> tuple[ApiToken, str]:
    """A new token for ``user``; the secret is returned once and never stored."""
    accounts = list(accounts)
    for account in accounts:
        if not can_view(user, account):
            raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=user, account=account.number)
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).count()
    if live >= MAX_LIVE_TOKENS:
        raise CheckFailed(
            Check.VALUE_INVALID, field="API tokens", detail=f"at most {MAX_LIVE_TOKENS} live tokens per user; revoke one first"
        )
    if not 1 <= days <= 366:
        raise CheckFailed(Check.VALUE_INVALID, field="Validity", detail="from 1 to 366 days")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "token",
        prefix=prefix,
        digest=_digest(secret),
        scope=Scope(scope),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    token.accounts.set(accounts)
    log_operation(user, Operation.API_TOKEN_CREATED, target=f"{token.name} {prefix}", outcome=token.scope)
    return token, secret


#: The API tokens and their users as the database holds them: renewed after any change of a token,
#: of its accounts or of a user (``registry.api.apps``), so a revocation counts at every process's
#: next request.
TOKENS = Stamp("api-tokens")


@dataclass(frozen=True)
class _Found:
    """A live token's row and its user's, as found under ``stamp`` at ``found_at``."""

    stamp: str
    found_at: datetime
    token: dict[str, Any]
    user: dict[str, Any]
    limited_to_accounts: bool
    db: str | None

    def instance(self) -> ApiToken:
        """A fresh token and user for one request (nothing one request sets on them reaches another)."""
        user = User(**self.user)
        token = ApiToken(**self.token)
        for made in (user, token):
            made._state.adding, made._state.db = False, self.db
        token.user = user
        token.limited_to_accounts = self.limited_to_accounts  # type: ignore[attr-defined]
        return token


#: Per process, by the secret's digest (only who holds the secret finds its entry); a found token is
#: looked up again under a new stamp, and at least every LAST_USED_PRECISION (to note its use).
_found: dict[str, _Found] = {}
MAX_KEPT_TOKENS = 10_000


def find_token(secret: str) -> ApiToken | None:
    """The live token for ``secret`` (not expired, not revoked, its user active), or None."""
    if SECRET.fullmatch(secret) is None:
        return None
    digest = _digest(secret)
    stamp = TOKENS.current()  # read before the database: a change after it renews it again
    now = timezone.now()
    kept = _found.get(digest)
    if kept is not None and kept.stamp == stamp and now - kept.found_at < LAST_USED_PRECISION:
        token: ApiToken | None = kept.instance()
    else:
        token = _looked_up(secret, digest, stamp, now)
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    return token


def _looked_up(secret: str, digest: str, stamp: str | None, now: datetime) -> ApiToken | None:
    prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
    # Whether it is limited to some accounts comes with it: every request's checks ask.
    limited = Exists(ApiToken.accounts.through.objects.filter(apitoken_id=OuterRef("pk")))
    token = ApiToken.objects.select_related("user").annotate(limited_to_accounts=limited).filter(prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.digest, digest):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        # Not a write on every request; and not one a read must wait for: a database that takes
        # no writes (full disk) still answers reads.
        with contextlib.suppress(*OUTAGES):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    if stamp is not None:
        if len(_found) >= MAX_KEPT_TOKENS:
            _found.clear()
        _found[digest] = _Found(
            stamp,
            now,
            {field.attname: getattr(token, field.attname) for field in ApiToken._meta.concrete_fields},
            {field.attname: getattr(token.user, field.attname) for field in User._meta.concrete_fields},
            bool(token.limited_to_accounts),
            token._state.db,
        )
    return token


def revoke_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=user, account=f"token {token.prefix}")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    log_operation(user, Operation.API_TOKEN_REVOKED, target=f"{token.name} {token.prefix}")
