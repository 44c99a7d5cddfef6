"""How commands print a transaction."""

from __future__ import annotations

from typing import Protocol

from registry.transactions.models import Transaction


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def report_transaction(out: Writable, tx: Transaction) -> None:
    ranges = ", ".join(f"{b.originating_registry}:{b.start}-{b.end}" for b in tx.blocks.all())
    out.write(
        f"transaction {tx.pk} {tx.get_type_display().lower()} {tx.status}: {tx.quantity} units from {tx.from_account} to {tx.to_account} (serials {ranges})\n"
    )
