"""How commands print a transaction: its outcome and the unique identifiers of the blocks it named."""

from __future__ import annotations

from typing import Protocol

from registry.transactions.models import Transaction


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def report_transaction(out: Writable, tx: Transaction) -> None:
    identifiers = ", ".join(b.identifier for b in tx.blocks.all())
    sides = f" from {tx.from_account} to {tx.to_account}" if tx.from_account else ""
    out.write(f"transaction {tx.pk} {tx.get_type_display().lower()} {tx.status}: {tx.quantity} units{sides} (blocks {identifiers})\n")
