"""Use cases for access: representatives, trusted accounts, user credentials, the operation log."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry import rows
from registry.access.audit import current_origin, refusal_recorded
from registry.access.login_ids import check_new_login_id
from registry.access.models import Operation, OperationLog, Representative, TemporaryPassword, TrustedAccount
from registry.access.signals import password_initialised
from registry.accounts.models import Account, Right
from registry.core.checks import Check, CheckFailed
from registry.notifications.services import notify
from registry.parties.models import Registry
from registry.parties.services import Actor, ensure_administrator


def log_operation(
    user: Actor | None, action: Operation, *, registry: Registry | None = None, target: str = "", outcome: str = "", ip: str | None = None
) -> None:
    """Record what ``user`` did (or tried: ``outcome`` says ``denied`` or ``refused <code>``), with
    the interface and client address of the request or command it belongs to."""
    origin = current_origin()
    # Written as ``objects.create`` would write it, without building the INSERT anew each time
    # (every API write records one; ``registry.rows``): no signal listens to this model.
    rows.insert(
        OperationLog(
            user=user if isinstance(user, User) else None,
            registry=registry,
            at=timezone.now(),
            action=Operation(action),  # an unknown kind is a defect, never stored
            channel=origin.channel or "",
            target=target[:200],
            outcome=outcome[:200],
            ip=ip or origin.address,
        )
    )
    if action in (Operation.REQUEST_REFUSED, Operation.LOGIN_FAILED) or outcome.startswith(("denied", "refused")):
        refusal_recorded()


@transaction.atomic
def grant_right(actor: Actor, account: Account, user: User, right: Right | str) -> Representative:
    """Make ``user`` a representative of ``account`` (or change their right); they are told."""
    ensure_administrator(actor, account.registry)
    right = Right(right)
    representative, _ = Representative.objects.update_or_create(
        user=user, account=account, defaults={"right": right, "granted_at": timezone.now()}
    )
    notify([user], "account_access_granted", account=account.number, right=right.value)
    log_operation(
        actor, Operation.GRANT_RIGHT, registry=account.registry, target=f"{user.get_username()} {account.number}", outcome=right.value
    )
    return representative


def is_trusted(account: Account, other: Account, at: datetime | None = None) -> bool:
    """Whether ``other`` is on ``account``'s trusted list and its addition has taken effect at ``at``."""
    moment = at or timezone.now()
    return TrustedAccount.objects.filter(account=account, trusted=other, effective_at__lte=moment, removed_at__isnull=True).exists()


@transaction.atomic
def add_trusted_account(actor: Actor, account: Account, trusted: Account, at: datetime | None = None) -> TrustedAccount:
    """Add to the trusted list; the addition takes effect after the configured delay."""
    from registry.access.permissions import can_initiate

    if not can_initiate(actor, account):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=account.number)
    if trusted.pk == account.pk:
        raise CheckFailed(Check.TRANSFER_SAME_ACCOUNT, account=account.number)
    moment = at or timezone.now()
    existing = TrustedAccount.objects.filter(account=account, trusted=trusted, removed_at__isnull=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # a concurrent request may add the same account first
            entry = TrustedAccount.objects.create(
                account=account,
                trusted=trusted,
                added_at=moment,
                effective_at=moment + timedelta(hours=settings.REGISTRY_TRUSTED_ADDITION_DELAY_HOURS),
            )
    except IntegrityError:
        return TrustedAccount.objects.get(account=account, trusted=trusted, removed_at__isnull=True)
    log_operation(actor, Operation.TRUSTED_ACCOUNT_ADDED, registry=account.registry, target=f"{account.number} -> {trusted.number}")
    return entry


@transaction.atomic
def remove_trusted_account(actor: Actor, account: Account, trusted: Account, at: datetime | None = None) -> None:
    """Removal takes effect at once."""
    from registry.access.permissions import can_initiate

    if not can_initiate(actor, account):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=account.number)
    TrustedAccount.objects.filter(account=account, trusted=trusted, removed_at__isnull=True).update(removed_at=at or timezone.now())
    log_operation(actor, Operation.TRUSTED_ACCOUNT_REMOVED, registry=account.registry, target=f"{account.number} -> {trusted.number}")


@transaction.atomic
def initialise_password(actor: Actor, registry: Registry, user: User) -> str:
    """An administrator resets a user's password to a one-time value (returned to hand over out of band)."""
    ensure_administrator(actor, registry)
    temporary = secrets.token_urlsafe(12)
    user.set_password(temporary)
    user.save(update_fields=["password"])
    require_password_change(user)
    password_initialised.send(sender=User, user=user)
    notify([user], "password_initialised")
    log_operation(actor, Operation.PASSWORD_INITIALISED, registry=registry, target=user.get_username())
    return temporary


def require_password_change(user: User) -> None:
    """``user``'s password was chosen by someone else: the web lets them do nothing before they
    choose their own (``registry.web.middleware.TemporaryPasswordMustChange``)."""
    TemporaryPassword.objects.update_or_create(user=user, defaults={"set_at": timezone.now()})


def must_change_password(user: User) -> bool:
    return TemporaryPassword.objects.filter(user_id=user.pk).exists()


@transaction.atomic
def password_changed(user: User, ip: str | None = None) -> None:
    """The user chose their own password: the temporary one, if any, is gone for good."""
    TemporaryPassword.objects.filter(user=user).delete()
    log_operation(user, Operation.PASSWORD_CHANGED, ip=ip)


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def create_user(actor: Actor, registry: Registry, login_id: str, *, name: str = "", email: str = "") -> tuple[User, str]:
    """An administrator of ``registry`` creates a user with a temporary password (returned once, to
    hand over out of band); the user must change it at the first sign-in."""
    ensure_administrator(actor, registry)
    login_id = check_new_login_id(login_id, field="Login ID")
    password = temporary_password()
    user = User.objects.create_user(login_id, email=email.strip(), password=password, first_name=name.strip()[:150])
    require_password_change(user)
    log_operation(actor, Operation.USER_CREATED, registry=registry, target=user.get_username())
    return user, password


@transaction.atomic
def revoke_right(actor: Actor, account: Account, user: User) -> None:
    """``user`` no longer represents ``account``; they are told."""
    ensure_administrator(actor, account.registry)
    deleted, _ = Representative.objects.filter(user=user, account=account).delete()
    if deleted:
        notify([user], "account_access_revoked", account=account.number)
        log_operation(actor, Operation.RIGHT_REVOKED, registry=account.registry, target=f"{user.get_username()} {account.number}")


@transaction.atomic
def reissue_login_id(actor: Actor, registry: Registry, user: User, new_login: str) -> User:
    """An administrator gives a user a new login ID; the user is told by notification and email."""
    ensure_administrator(actor, registry)
    new_login = check_new_login_id(new_login, field="New login ID", for_user=user)
    old = user.get_username()
    user.username = new_login
    user.save(update_fields=["username"])
    notify([user], "login_id_reissued", login=user.username)
    log_operation(actor, Operation.LOGIN_ID_REISSUED, registry=registry, target=f"{old} -> {user.username}")
    return user


@transaction.atomic
def set_movements_suspended(actor: Actor, registry: Registry, suspended: bool, notice: str = "") -> Registry:
    """The registry-wide switch for maintenance or emergencies: no user-initiated movement while on."""
    ensure_administrator(actor, registry)
    registry.movements_suspended = suspended
    registry.suspension_notice = notice if suspended else ""
    registry.save(update_fields=["movements_suspended", "suspension_notice"])
    log_operation(actor, Operation.MOVEMENTS_SUSPENDED if suspended else Operation.MOVEMENTS_RESUMED, registry=registry, outcome=notice)
    return registry


def set_operating_hours(actor: Actor, registry: Registry, days: list[int], opens_at: time | None, closes_at: time | None) -> Registry:
    """When account holders may move units: days (Monday is 0) and times in the registry's own zone.

    Every day with no times means always open; times are both given or both left out, opening first.
    """
    ensure_administrator(actor, registry)
    if (opens_at is None) != (closes_at is None):
        raise CheckFailed(Check.VALUE_INVALID, field="Operating hours", detail="give both the opening and the closing time, or neither")
    if opens_at is not None and closes_at is not None and opens_at >= closes_at:
        raise CheckFailed(Check.VALUE_INVALID, field="Operating hours", detail="the opening time must be before the closing time")
    if not days or any(not 0 <= day <= 6 for day in days):
        raise CheckFailed(Check.VALUE_INVALID, field="Operating days", detail="choose at least one day of the week")
    every_day = sorted(set(days)) == list(range(7))
    registry.open_weekdays = "" if every_day else _days_text(sorted(set(days)))
    registry.opens_at, registry.closes_at = opens_at, closes_at
    registry.save(update_fields=["open_weekdays", "opens_at", "closes_at"])
    shown = f"{registry.open_weekdays or 'every day'} {opens_at or ''}-{closes_at or ''} {registry.time_zone}"
    log_operation(actor, Operation.OPERATING_HOURS_SET, registry=registry, outcome=shown)
    return registry


def _days_text(days: list[int]) -> str:
    """``[0, 1, 2, 3, 4, 6]`` as ``0-4,6``, the form the operating-hours check reads."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
