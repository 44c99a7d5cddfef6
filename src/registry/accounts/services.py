"""Use cases for accounts: open, block, unblock, close. Each is journaled as an account event."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from registry import rows
from registry.accounts.models import SYSTEM_TYPES, Account, AccountStatus, AccountType
from registry.core.checks import Check, CheckFailed
from registry.core.entries import AccountOpened, AccountStatusChanged
from registry.journal.services import append_entry, lock_registry
from registry.parties.models import Entity, Registry
from registry.parties.services import Actor, ensure_administrator


def destination_account(registry: Registry, number: str) -> Account | None:
    """The account ``number`` as ``registry`` names it: one of the installation's, or ``registry``'s
    own entry for an account of a peer registry (each registry keeps its own); with its registry."""
    found = rows.fetch(_destination(), [number.strip(), registry.pk, AccountType.PEER.value])
    if not found:
        return None
    account = rows.build(Account, found[0])
    rows.relate(account, "registry", rows.build(Registry, found[0], rows.width(Account)))
    return account


@rows.statement
def _destination() -> str:
    # Hand-written (``registry.rows``): every transfer asks it, and through the ORM building the
    # query cost more CPU than running it. Ordered as ``.first()`` orders accounts (by number).
    return (
        f"SELECT {rows.columns(Account)}, {rows.columns(Registry)} FROM {rows.table(Account)}"
        f" INNER JOIN {rows.table(Registry)} ON ({rows.column(Account, 'registry_id')} = {rows.column(Registry, 'id')})"
        f" WHERE {rows.column(Account, 'number')} = %s"
        f" AND ({rows.column(Account, 'registry_id')} = %s OR {rows.column(Account, 'type')} <> %s)"
        f" ORDER BY {rows.column(Account, 'number')} ASC, {rows.column(Account, 'id')} ASC LIMIT 1"
    )


def get_account(registry: Registry, number: str, missing: Check = Check.ACCOUNT_UNKNOWN) -> Account:
    """The account ``number`` of ``registry``; a number of another registry is refused with 7105."""
    account = Account.objects.select_related("registry").filter(number=number).exclude(type=AccountType.PEER).first()
    if account is None:
        raise CheckFailed(missing, account=number, registry=registry.registry_id)
    if account.registry_id != registry.pk:
        raise CheckFailed(
            Check.ACCOUNT_OTHER_REGISTRY, account=number, account_registry=account.registry.registry_id, registry=registry.registry_id
        )
    return account


def lock_accounts(accounts: Sequence[Account]) -> dict[int, Account]:
    """Lock account rows in id order (the same order everywhere, so two movements never deadlock)."""
    ids = sorted({a.pk for a in accounts})
    locked = {}
    for row in rows.fetch(_locked_accounts(len(ids)), ids, locking=True):
        found = rows.build(Account, row)
        rows.relate(found, "registry", rows.build(Registry, row, rows.width(Account)))
        locked[found.pk] = found
    return locked


@rows.statement
def _locked_accounts(count: int) -> str:
    # Only the account rows (OF the account table: the join must not lock the shared registry row
    # too), and NO KEY UPDATE so that inserting blocks and transactions that refer to a locked
    # account never waits. Hand-written: every movement sends it (``registry.rows``).
    account = rows.column(Account, "id")
    return (
        f"SELECT {rows.columns(Account)}, {rows.columns(Registry)} FROM {rows.table(Account)}"
        f" INNER JOIN {rows.table(Registry)} ON ({rows.column(Account, 'registry_id')} = {rows.column(Registry, 'id')})"
        f" WHERE {account} IN ({rows.placeholders(count)}) ORDER BY {account} ASC{rows.lock_rows(Account)}"
    )


def system_account(registry: Registry, account_type: AccountType) -> Account | None:
    return Account.objects.filter(registry=registry, type=account_type).first()


def account_event(account: Account, event: type[AccountOpened] | type[AccountStatusChanged]) -> AccountOpened | AccountStatusChanged:
    return event(account.number, account.type, account.status, account.entity_id, account.purpose)


@transaction.atomic
def open_account(
    actor: Actor,
    registry: Registry,
    *,
    account_type: AccountType | str,
    name: str,
    entity: Entity | None = None,
    purpose: str = "",
    number: str | None = None,
) -> Account:
    """Open an account; system accounts are one per type per registry, use accounts one per purpose.

    Accounts are numbered in the order opened; only an imported account keeps its ``number``.
    """
    ensure_administrator(actor, registry)
    account_type = AccountType(account_type)
    if (account_type == AccountType.ENTITY_HOLDING) != (entity is not None):
        raise CheckFailed(Check.ENTITY_REQUIRED, account_type=account_type.label)
    if entity is not None and entity.registry_id != registry.pk:
        raise CheckFailed(Check.ENTITY_UNKNOWN, entity=entity.pk, registry=registry.registry_id)
    if account_type == AccountType.USE and not purpose:
        raise CheckFailed(Check.VALUE_INVALID, field="Purpose", detail="a use account needs its purpose (e.g. CORSIA)")
    registry = lock_registry(registry)
    if account_type in SYSTEM_TYPES or account_type == AccountType.USE:
        existing = Account.objects.filter(registry=registry, type=account_type)
        if account_type == AccountType.USE:
            existing = existing.filter(purpose=purpose)
        if (first := existing.first()) is not None:
            raise CheckFailed(
                Check.SYSTEM_ACCOUNT_EXISTS, registry=registry.registry_id, account_type=account_type.label, account=first.number
            )
    now = timezone.now()
    sequence = Account.objects.filter(registry=registry).count() + 1
    account = Account.objects.create(
        registry=registry,
        number=number or f"{registry.registry_id}-{sequence:06d}",
        type=account_type,
        name=name,
        entity=entity,
        purpose=purpose,
        opened_at=now,
    )
    append_entry(registry, account_event(account, AccountOpened), now)
    return account


def held_quantity(account: Account) -> int:
    total = account.blocks.aggregate(total=Sum(F("end") - F("start") + 1))["total"]
    return int(total or 0)


@transaction.atomic
def change_account_status(actor: Actor, account: Account, status: AccountStatus | str) -> Account:
    """Block, unblock or close an account. A closed account is never reopened; only an empty one closes."""
    ensure_administrator(actor, account.registry)
    status = AccountStatus(status)
    account = lock_accounts([account])[account.pk]
    if account.status == AccountStatus.CLOSED:
        raise CheckFailed(Check.ACCOUNT_CLOSED_FOR_GOOD, account=account.number)
    if account.status == status:
        raise CheckFailed(Check.ACCOUNT_STATUS_UNCHANGED, account=account.number, status=status.value)
    if status == AccountStatus.CLOSED and (quantity := held_quantity(account)):
        raise CheckFailed(Check.ACCOUNT_NOT_EMPTY, account=account.number, quantity=quantity)
    now = timezone.now()
    account.status = status
    account.closed_at = now if status == AccountStatus.CLOSED else None
    account.save(update_fields=["status", "closed_at"])
    append_entry(account.registry, account_event(account, AccountStatusChanged), now)
    return account
