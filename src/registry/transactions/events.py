"""Who hears about what happens to a transaction."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from registry import rows
from registry.access.models import APPROVING, Representative
from registry.accounts.models import Account
from registry.notifications.services import notify
from registry.transactions.models import Transaction


def _representatives(account: Account | None, rights: frozenset[str] | None = None) -> list[User]:
    """The users who represent ``account`` (with one of ``rights``), as far as telling them needs:
    their id and email address (the rest of a user is read only if asked for)."""
    if account is None or (rights is not None and not rights):
        return []
    wanted = sorted(rights) if rights is not None else []
    found = rows.fetch(_representatives_of(len(wanted) if rights is not None else None), [account.pk, *wanted])
    return [rows.build_some(User, ("id", "email"), row) for row in found]


@rows.statement
def _representatives_of(rights: int | None) -> str:
    user, representative = rows.column(User, "id"), rows.column(Representative, "user_id")
    sql = (
        f"SELECT {user}, {rows.column(User, 'email')} FROM {rows.table(Representative)}"
        f" INNER JOIN {rows.table(User)} ON ({representative} = {user}) WHERE {rows.column(Representative, 'account_id')} = %s"
    )
    if rights is not None:
        sql += f" AND {rows.column(Representative, 'right')} IN ({rows.placeholders(rights)})"
    return sql


def _about(tx: Transaction) -> dict[str, object]:
    return {"transaction": tx.pk, "quantity": tx.quantity, "account": tx.from_account.number if tx.from_account else ""}


def proposed(tx: Transaction) -> None:
    approvers = [u for u in _representatives(tx.from_account, APPROVING) if u.pk != tx.proposed_by_id]
    notify(approvers, "transaction_awaiting_approval", **_about(tx))


def approved(tx: Transaction, delayed_until: datetime | None) -> None:
    proposer = [tx.proposed_by] if tx.proposed_by else []
    by = tx.decided_by.get_username() if tx.decided_by else ""
    notify(proposer, "transaction_approved", transaction=tx.pk, by=by)
    if delayed_until is not None:
        notify(
            proposer + _representatives(tx.from_account, APPROVING),
            "transaction_delayed",
            transaction=tx.pk,
            when=delayed_until.isoformat(timespec="minutes"),
            zone=tx.registry.time_zone,  # shown in the registry's zone
        )


def completed(tx: Transaction) -> None:
    if tx.proposed_by:
        notify([tx.proposed_by], "transaction_completed", **_about(tx))
    if tx.to_account is not None and tx.from_account is not None:
        notify(
            _representatives(tx.to_account),
            "units_received",
            transaction=tx.pk,
            quantity=tx.quantity,
            account=tx.to_account.number,
            sender=tx.from_account.number,
        )


def issued(tx: Transaction) -> None:
    assert tx.to_account is not None
    notify(_representatives(tx.to_account), "issuance_completed", transaction=tx.pk, quantity=tx.quantity, account=tx.to_account.number)


def ended(tx: Transaction, by: User | None) -> None:
    """Rejected or cancelled: the proposer and the approvers hear of it."""
    kind = "transaction_rejected" if tx.status == "rejected" else "transaction_cancelled"
    people = ([tx.proposed_by] if tx.proposed_by else []) + _representatives(tx.from_account, APPROVING)
    people = [u for u in people if by is None or u.pk != by.pk]
    notify(people, kind, transaction=tx.pk, by=by.get_username() if by else "", reason=tx.reason)


def refused_when_due(tx: Transaction) -> None:
    """A delayed transaction that failed a check at its time: both sides hear of it."""
    people = ([tx.proposed_by] if tx.proposed_by else []) + _representatives(tx.from_account) + _representatives(tx.to_account)
    refusal = {"code": tx.check_code, "params": tx.check_params, "message": tx.check_message}
    notify(people, "transaction_refused_when_due", **_about(tx), refusal=refusal)
