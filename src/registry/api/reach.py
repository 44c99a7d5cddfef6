"""The account a token reaches, read in one hand-written statement (``registry.rows``).

Every API request that names an account asks this, a transfer once for its sending account. Through
the ORM (``permissions.visible_accounts`` narrowed to the number, ``.first()``) it was a DISTINCT
over three joins whose compilation cost more CPU than the database took to answer, and the engine
then asked again, in another statement, whether the user administers the account's registry. Here
one statement answers both; it asks exactly what ``visible_accounts`` asks (an installation
superuser sees every account; anybody else an account of a registry they administer or audit, or
one they represent) and, for a token limited to some accounts, whether it names this one
(``tests/integration/test_api_reach.py`` holds the two to the same answers).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Model

from registry import rows
from registry.access.models import Representative
from registry.accounts.models import Account, AccountType
from registry.api.models import ApiToken
from registry.parties.models import Entity, Registry


@dataclass(frozen=True)
class Reached:
    """What one statement found: the account a token reaches, whether its user administers the
    account's registry, and (if asked for) the acquiring account a transfer from it names."""

    account: Account
    administers: bool
    acquiring: Account | None = None


def reached_account(user: User, token: ApiToken, number: str, *, limited: bool, acquiring: str | None = None) -> Reached | None:
    """The account ``number`` if ``user`` may see it and ``token`` (``limited`` to some accounts or
    not) reaches it, with its registry and entity; and whether ``user`` administers that registry.
    None for any other number, whether or not such an account exists.

    With ``acquiring``, also the account that number names for a transfer from it, read as
    ``accounts.services.destination_account`` reads it (one of the installation's, or the sending
    registry's own entry for a peer's account), with its registry: read, never shown, before the
    rules decide whether ``user`` may initiate (``propose_movement``)."""
    superuser = bool(user.is_superuser)
    params: list[object] = [user.pk]
    if acquiring is not None:
        params += [acquiring.strip(), AccountType.PEER.value]
    params.append(number)
    if not superuser:
        params += [user.pk, user.pk, user.pk]
    if limited:
        params.append(token.pk)
    found = rows.fetch(_reached(superuser, limited, acquiring is not None), params)
    if not found:
        return None
    row = found[0]
    account = rows.build(Account, row)
    at = rows.width(Account)
    rows.relate(account, "registry", rows.build(Registry, row, at))
    at += rows.width(Registry)
    rows.relate(account, "entity", rows.build(Entity, row, at) if row[at] is not None else None)
    at += rows.width(Entity)
    administers = bool(row[at])
    if acquiring is None or row[at + 1] is None:
        return Reached(account, administers)
    target = rows.build(Account, row, at + 1)
    rows.relate(target, "registry", rows.build(Registry, row, at + 1 + rows.width(Account)))
    return Reached(account, administers, target)


def _aliased(model: type[Model], alias: str) -> str:
    """Every column of ``model`` from the table's ``alias``, in the order ``rows.build`` expects."""
    return ", ".join(f"{alias}.{rows.quote(field.column)}" for field in model._meta.concrete_fields)


@rows.statement
def _reached(superuser: bool, limited: bool, acquiring: bool) -> str:
    account, registry, entity = rows.table(Account), rows.table(Registry), rows.table(Entity)
    administrators, auditors = Registry.administrators.through, Registry.auditors.through
    account_id, registry_id = rows.column(Account, "id"), rows.column(Account, "registry_id")

    def linked(link: type[Model]) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {rows.table(link)} WHERE {rows.column(link, 'registry_id')} = {registry_id}"
            f" AND {rows.column(link, 'user_id')} = %s)"
        )

    conditions = [f"{rows.column(Account, 'number')} = %s"]
    if not superuser:
        represents = (
            f"EXISTS (SELECT 1 FROM {rows.table(Representative)} WHERE {rows.column(Representative, 'account_id')} = {account_id}"
            f" AND {rows.column(Representative, 'user_id')} = %s)"
        )
        conditions.append(f"({linked(administrators)} OR {linked(auditors)} OR {represents})")
    if limited:
        named = ApiToken.accounts.through
        conditions.append(
            f"EXISTS (SELECT 1 FROM {rows.table(named)} WHERE {rows.column(named, 'account_id')} = {account_id}"
            f" AND {rows.column(named, 'apitoken_id')} = %s)"
        )
    chosen = f"{rows.columns(Account)}, {rows.columns(Registry)}, {rows.columns(Entity)}, {linked(administrators)}"
    joined = (
        f"{account} INNER JOIN {registry} ON ({registry_id} = {rows.column(Registry, 'id')})"
        f" LEFT OUTER JOIN {entity} ON ({rows.column(Account, 'entity_id')} = {rows.column(Entity, 'id')})"
    )
    order = ""
    if acquiring:
        target, target_registry = rows.quote("acquiring"), rows.quote("acquiring_registry")
        chosen += f", {_aliased(Account, target)}, {_aliased(Registry, target_registry)}"
        joined += (
            f" LEFT OUTER JOIN {account} {target} ON ({target}.{rows.quote('number')} = %s"
            f" AND ({target}.{rows.quote('registry_id')} = {registry_id} OR {target}.{rows.quote('type')} <> %s))"
            f" LEFT OUTER JOIN {registry} {target_registry}"
            f" ON ({target}.{rows.quote('registry_id')} = {target_registry}.{rows.quote('id')})"
        )
        order = f", {target}.{rows.quote('id')} ASC"
    # As ``.first()`` on the ordered queryset: a peer account's number may name one entry per registry.
    return (
        f"SELECT {chosen} FROM {joined} WHERE {' AND '.join(conditions)}"
        f" ORDER BY {rows.column(Account, 'number')} ASC, {account_id} ASC{order} LIMIT 1"
    )
