"""A comparable picture of everything the ledger holds, to prove a refusal changed nothing."""

from __future__ import annotations

from dataclasses import dataclass

from registry.accounts.models import Account
from registry.journal.models import JournalEntry
from registry.parties.models import Registry
from registry.transactions.models import Transaction, TransactionStatus
from registry.units.models import UnitBlock


@dataclass(frozen=True)
class LedgerSnapshot:
    blocks: tuple[tuple[object, ...], ...]
    accounts: tuple[tuple[object, ...], ...]
    journal: tuple[tuple[object, ...], ...]
    registries: tuple[tuple[object, ...], ...]
    live_transactions: tuple[tuple[object, ...], ...]


def snapshot() -> LedgerSnapshot:
    return LedgerSnapshot(
        blocks=tuple(
            UnitBlock.objects.order_by("originating_registry", "start").values_list(
                "originating_registry", "start", "end", "account_id", "reserved_by_id", "vintage", "issuance_id"
            )
        ),
        accounts=tuple(Account.objects.order_by("pk").values_list("pk", "status", "type")),
        journal=tuple(JournalEntry.objects.order_by("pk").values_list("pk", "hash")),
        registries=tuple(Registry.objects.order_by("pk").values_list("pk", "next_serial", "journal_head", "journal_length")),
        # Refused requests are kept as rejected transactions; anything else is a change.
        live_transactions=tuple(
            Transaction.objects.exclude(status=TransactionStatus.REJECTED, check_code__isnull=False)
            .order_by("pk")
            .values_list("pk", "status")
        ),
    )
