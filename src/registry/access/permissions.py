"""The rules of who may see and do what. Every view, API call and service asks here.

- An installation superuser and a registry's administrators act for every account of that registry.
- A registry's auditors see everything in it and change nothing.
- A representative sees and acts only on the accounts they represent, within their right.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from registry.access.models import APPROVING, INITIATING, Representative
from registry.accounts.models import Account, Right
from registry.parties.models import Registry
from registry.parties.services import is_administrator

Person = User | AnonymousUser


def is_auditor(user: Person, registry: Registry) -> bool:
    return user.is_authenticated and registry.auditors.filter(pk=user.pk).exists()


def right_on(user: Person, account: Account) -> Right | None:
    if not user.is_authenticated:
        return None
    found = Representative.objects.filter(user_id=user.pk, account=account).values_list("right", flat=True).first()
    return Right(found) if found else None


def can_view(user: Person, account: Account) -> bool:
    return is_administrator(user, account.registry) or is_auditor(user, account.registry) or right_on(user, account) is not None


def can_initiate(user: Person, account: Account) -> bool:
    return is_administrator(user, account.registry) or may_initiate_as_representative(user, account)


def may_initiate_as_representative(user: Person, account: Account) -> bool:
    """The representative's half of ``can_initiate``, for callers that already know ``user`` is no administrator."""
    return right_on(user, account) in INITIATING


def can_approve(user: Person, account: Account) -> bool:
    return is_administrator(user, account.registry) or right_on(user, account) in APPROVING


def visible_accounts(user: Person) -> QuerySet[Account]:
    """Every account ``user`` may see, in any registry."""
    accounts = Account.objects.select_related("registry", "entity")
    if not user.is_authenticated:
        return accounts.none()
    if getattr(user, "is_superuser", False):
        return accounts.all()
    return accounts.filter(Q(registry__administrators=user) | Q(registry__auditors=user) | Q(representatives__user=user)).distinct()


def visible_registries(user: Person) -> QuerySet[Registry]:
    if getattr(user, "is_superuser", False):
        return Registry.objects.all()
    return Registry.objects.filter(Q(administrators=user) | Q(auditors=user) | Q(accounts__representatives__user=user)).distinct()


def administered_registries(user: Person) -> QuerySet[Registry]:
    """The registries ``user`` administers (every one, for an installation superuser)."""
    if getattr(user, "is_superuser", False):
        return Registry.objects.all()
    if not user.is_authenticated:
        return Registry.objects.none()
    return Registry.objects.filter(administrators=user)


def people_of(registries: list[Registry] | QuerySet[Registry]) -> QuerySet[User]:
    """Everyone who belongs to ``registries``: their administrators, auditors and the representatives
    of their accounts (whose sign-ins and registry-less operations those registries' overseers see)."""
    return User.objects.filter(
        Q(administered_registries__in=registries)
        | Q(audited_registries__in=registries)
        | Q(representations__account__registry__in=registries)
    ).distinct()


def needs_second_factor(user: Person) -> bool:
    """Representatives, administrators and auditors must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    return bool(
        getattr(user, "is_superuser", False)
        or getattr(user, "is_staff", False)
        or user.representations.exists()
        or user.administered_registries.exists()
        or user.audited_registries.exists()
    )
