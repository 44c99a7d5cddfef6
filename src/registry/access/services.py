"""Use cases for access: representatives, trusted accounts, user credentials, the operation log."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.access.audit import current_origin
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
    OperationLog.objects.create(
        user=user if isinstance(user, User) else None,
        registry=registry,
        at=timezone.now(),
        action=Operation(action),  # an unknown kind is a defect, never stored
        channel=origin.channel or "",
        target=target[:200],
        outcome=outcome[:200],
        ip=ip or origin.address,
    )


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
