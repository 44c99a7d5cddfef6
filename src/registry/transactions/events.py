"""Who hears about what happens to a transaction.

Each event tells everyone it concerns in one statement (``registry.notifications.services.tell``):
the proposer by id, the representatives of an account as the statement finds them then (the
representatives, their rights and their addresses are read by that statement, so nothing read
earlier can be out of date).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from registry import rows
from registry.access.models import APPROVING, Representative
from registry.accounts.models import Account
from registry.notifications.services import Audience, Message, people, tell
from registry.transactions.models import Transaction


def _representatives(account: Account | None, rights: frozenset[str] | None = None) -> Audience | None:
    """The users who represent ``account`` (with one of ``rights``); None if nobody can."""
    if account is None or (rights is not None and not rights):
        return None
    wanted = tuple(sorted(rights)) if rights is not None else ()
    return Audience(_representatives_of(len(wanted) if rights is not None else None), (account.pk, *wanted))


@rows.statement
def _representatives_of(rights: int | None) -> str:
    sql = (
        f"SELECT {rows.column(Representative, 'user_id')} AS user_id FROM {rows.table(Representative)}"
        f" WHERE {rows.column(Representative, 'account_id')} = %s"
    )
    if rights is not None:
        sql += f" AND {rows.column(Representative, 'right')} IN ({rows.placeholders(rights)})"
    return sql


def _either(*audiences: Audience | None) -> Audience | None:
    """Everyone of ``audiences``, each once."""
    found = [a for a in audiences if a is not None]
    if not found:
        return None
    joined = found[0]
    for audience in found[1:]:
        joined = joined | audience
    return joined


def _proposer(tx: Transaction) -> Audience | None:
    return people([tx.proposed_by_id])


def _about(tx: Transaction) -> dict[str, object]:
    return {"transaction": tx.pk, "quantity": tx.quantity, "account": tx.from_account.number if tx.from_account else ""}


def proposed(tx: Transaction) -> None:
    approvers = _representatives(tx.from_account, APPROVING)
    tell(Message(approvers.besides(tx.proposed_by_id) if approvers else None, "transaction_awaiting_approval", _about(tx)))


def approved(tx: Transaction, delayed_until: datetime | None) -> None:
    by = tx.decided_by.get_username() if tx.decided_by else ""
    told = [Message(_proposer(tx), "transaction_approved", {"transaction": tx.pk, "by": by})]
    if delayed_until is not None:
        delayed = {
            "transaction": tx.pk,
            "when": delayed_until.isoformat(timespec="minutes"),
            "zone": tx.registry.time_zone,  # shown in the registry's zone
        }
        told.append(Message(_either(_proposer(tx), _representatives(tx.from_account, APPROVING)), "transaction_delayed", delayed))
    tell(*told)


def completed(tx: Transaction) -> None:
    """The proposer hears it is completed, the receiving account's representatives that units came."""
    told = [Message(_proposer(tx), "transaction_completed", _about(tx))]
    if tx.to_account is not None and tx.from_account is not None:
        received = {"transaction": tx.pk, "quantity": tx.quantity, "account": tx.to_account.number, "sender": tx.from_account.number}
        told.append(Message(_representatives(tx.to_account), "units_received", received))
    tell(*told)


def issued(tx: Transaction) -> None:
    assert tx.to_account is not None
    about = {"transaction": tx.pk, "quantity": tx.quantity, "account": tx.to_account.number}
    tell(Message(_representatives(tx.to_account), "issuance_completed", about))


def ended(tx: Transaction, by: User | None) -> None:
    """Rejected or cancelled: the proposer and the approvers hear of it."""
    kind = "transaction_rejected" if tx.status == "rejected" else "transaction_cancelled"
    people_told = _either(_proposer(tx), _representatives(tx.from_account, APPROVING))
    if people_told is not None and by is not None:
        people_told = people_told.besides(by.pk)
    tell(Message(people_told, kind, {"transaction": tx.pk, "by": by.get_username() if by else "", "reason": tx.reason}))


def refused_when_due(tx: Transaction) -> None:
    """A delayed transaction that failed a check at its time: both sides hear of it."""
    people_told = _either(_proposer(tx), _representatives(tx.from_account), _representatives(tx.to_account))
    refusal = {"code": tx.check_code, "params": tx.check_params, "message": tx.check_message}
    tell(Message(people_told, "transaction_refused_when_due", {**_about(tx), "refusal": refusal}))
