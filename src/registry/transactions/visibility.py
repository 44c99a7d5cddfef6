"""Which transactions the holders of an account see.

The sending side sees all of its transactions. The receiving side sees every transaction that
concerned it, but not proposals refused at once by a check: those never reached the receiver, and
what the sender was told (for example how many units it holds) is not the receiver's business.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from registry.accounts.models import Account
from registry.transactions.models import Transaction, TransactionStatus

#: Refused by a check when requested (a delayed transfer refused when its time came has its
#: ``execute_after``: that one was a real transaction, which both sides see).
REFUSED_PROPOSAL = Q(status=TransactionStatus.REJECTED, check_code__isnull=False, execute_after__isnull=True)


def refused_on_request() -> Q:
    """Requests a check refused at once: not transactions to list (the operation log keeps them)."""
    return REFUSED_PROPOSAL


def seen_from(accounts: QuerySet[Account]) -> Q:
    """A filter on transactions: those the holders of ``accounts`` see."""
    return Q(from_account__in=accounts) | (Q(to_account__in=accounts) & ~REFUSED_PROPOSAL)


def sides_seeing(tx: Transaction) -> list[Account]:
    """The accounts through which ``tx`` is seen (the sender's, and the receiver's unless refused)."""
    refused = tx.status == TransactionStatus.REJECTED and tx.check_code is not None and tx.execute_after is None
    return [a for a in (tx.from_account, None if refused else tx.to_account) if a is not None]
