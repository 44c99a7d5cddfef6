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

from django.contrib.auth.models import User
from django.db.models import Model

from registry import rows
from registry.access.models import Representative
from registry.accounts.models import Account
from registry.api.models import ApiToken
from registry.parties.models import Entity, Registry


def reached_account(user: User, token: ApiToken, number: str, *, limited: bool) -> tuple[Account, bool] | None:
    """The account ``number`` if ``user`` may see it and ``token`` (``limited`` to some accounts or
    not) reaches it, with its registry and entity; and whether ``user`` administers that registry.
    None for any other number, whether or not such an account exists."""
    superuser = bool(user.is_superuser)
    params: list[object] = [user.pk, number]
    if not superuser:
        params += [user.pk, user.pk, user.pk]
    if limited:
        params.append(token.pk)
    found = rows.fetch(_reached(superuser, limited), params)
    if not found:
        return None
    row = found[0]
    account = rows.build(Account, row)
    at = rows.width(Account)
    rows.relate(account, "registry", rows.build(Registry, row, at))
    at += rows.width(Registry)
    rows.relate(account, "entity", rows.build(Entity, row, at) if row[at] is not None else None)
    return account, bool(row[-1])


@rows.statement
def _reached(superuser: bool, limited: bool) -> str:
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
    return (
        f"SELECT {rows.columns(Account)}, {rows.columns(Registry)}, {rows.columns(Entity)}, {linked(administrators)}"
        f" FROM {account} INNER JOIN {registry} ON ({registry_id} = {rows.column(Registry, 'id')})"
        f" LEFT OUTER JOIN {entity} ON ({rows.column(Account, 'entity_id')} = {rows.column(Entity, 'id')})"
        f" WHERE {' AND '.join(conditions)}"
        # As ``.first()`` on the ordered queryset: a peer account's number may name one entry per registry.
        f" ORDER BY {rows.column(Account, 'number')} ASC, {account_id} ASC LIMIT 1"
    )
