"""``registry verify``: prove the ledger is whole, or say exactly what is wrong.

1. The hash chain of each registry's journal, recomputed from its first entry, gives the head the
   registry stores (DESIGN.md invariant 4).
2. Replaying each journal from empty gives exactly the blocks and holders in the database
   (invariant 5), and no replayed movement leaves a final, blocked or closed account (invariant 3).
3. No two blocks of one originating registry overlap; every block is well formed (invariant 1); no
   two touching unreserved blocks of one account share every attribute (movements merge them).
4. Every issuance's serials are all still in blocks: issued = held + retired + cancelled, per
   issuance, vintage and unit type (invariant 2).
5. Reservations point at pending transactions and cover exactly their quantity; every completed
   transaction has one journal entry.
6. The same replay gives exactly the stored Article 6 records (invariant 6): every authorisation
   (the version in force, every field, its Parties and entities), every first transfer, every
   corresponding adjustment, and the purpose, kind, using Party and entity of every use and
   cancellation. A row that differs is named with the field; a row the journal does not know, and a
   record of the journal with no row, are named too.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from registry.accounts.models import FINAL_TYPES, Account, AccountStatus
from registry.core.entries import (
    Acquisition,
    Cancellation,
    Correction,
    Entry,
    ExternalTransfer,
    InternalTransfer,
    Retirement,
    Span,
    parse_body,
)
from registry.core.journal import StoredEntry, verify_chain
from registry.core.ledger import LedgerConflict
from registry.core.serials import Block, SerialRange, merge_adjacent
from registry.core.status import PENDING
from registry.journal.models import JournalEntry
from registry.journal.replay import Attributes, Replay, project_hosts, scratched
from registry.parties.models import Registry
from registry.peers.models import OutboundState, OutboundTransfer
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock
from registry.verification import article6_records

Progress = Callable[[str, int], None]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    blocks: int = 0
    #: issued units per (registry, unit type, vintage), and where they are now by account type.
    totals: dict[tuple[str, str, int], dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(progress: Progress | None = None) -> Report:
    report = Report()
    tick = progress or (lambda _stage, _n: None)
    for registry in Registry.objects.order_by("registry_id"):
        _verify_chain(registry, report, tick)
        _verify_replay(registry, report, tick)
    _verify_no_overlap(report, tick)
    _verify_issuances(report)
    _verify_reservations(report)
    _verify_journal_covers_transactions(report)
    return report


def _entries(registry: Registry) -> Iterator[JournalEntry]:
    return JournalEntry.objects.filter(registry=registry).order_by("sequence").iterator(chunk_size=2000)


def _verify_chain(registry: Registry, report: Report, tick: Progress) -> None:
    def stored() -> Iterator[StoredEntry]:
        for entry in _entries(registry):
            report.entries += 1
            tick("chain", 1)
            yield StoredEntry(entry.sequence, entry.previous_hash, entry.body, entry.hash)

    for fault in verify_chain(stored(), registry.journal_head, registry.journal_length):
        report.problems.append(f"{registry.registry_id} journal entry {fault.sequence}: {fault.problem}")


def _verify_replay(registry: Registry, report: Report, tick: Progress) -> None:
    with scratched(hosts=project_hosts()) as replay:
        where = f"{registry.registry_id} journal"
        for entry in _entries(registry):
            tick("replay", 1)
            try:
                json.loads(entry.body)
            except ValueError:
                continue  # reported by the chain check
            try:
                recorded = parse_body(entry.body)
                _check_accounts_may_move(recorded.entry, replay, report, f"{where} entry {entry.sequence}")
                replay.apply(recorded)
            except (LedgerConflict, KeyError, TypeError, ValueError, OverflowError, sqlite3.ProgrammingError) as conflict:
                report.problems.append(f"{where} entry {entry.sequence} does not replay: {conflict!r}")
        article6_records.compare(registry, replay, report.problems)
        _verify_peer_transfers(registry, replay, report)

        expected = iter(replay.blocks())
        actual = merge_adjacent(_stored_blocks(registry))
        for replayed, stored in _pairs(expected, actual):
            if replayed != stored:
                report.problems.append(
                    f"{registry.registry_id} blocks differ from the replayed journal: journal says {_show(replayed)}, database holds {_show(stored)}"
                )
                return


def _verify_peer_transfers(registry: Registry, replay: Replay, report: Report) -> None:
    """Transfers to peer registries as the journal proves them: each one the journal leaves reserved
    is ``proposed`` with its outbox ``proposed``, between the same accounts, and reserves exactly the
    blocks journaled; each one released is ``rejected`` and its outbox ``released``; and no
    transaction is ``proposed`` to a peer without a journaled reservation."""
    where = f"{registry.registry_id} transfer to a peer"
    proposed = Transaction.objects.filter(registry=registry, status=TransactionStatus.PROPOSED).select_related("from_account", "to_account")
    rows = {tx.pk: tx for tx in proposed}
    for pk, reserved in sorted(replay.reservations.items()):
        tx = rows.pop(pk, None) or Transaction.objects.filter(pk=pk, registry=registry).select_related("from_account", "to_account").first()
        if tx is None:
            report.problems.append(f"{where}: the journal reserves units for transaction {pk}, which does not exist")
            continue
        if tx.status != TransactionStatus.PROPOSED:
            report.problems.append(f"{where}: transaction {pk} is {tx.status}, the journal says it is proposed to {reserved.to_registry}")
        accounts = (tx.from_account.number if tx.from_account else None, tx.to_account.number if tx.to_account else None)
        if accounts != (reserved.from_account, reserved.to_account):
            report.problems.append(
                f"{where}: transaction {pk} is from {accounts[0]} to {accounts[1]},"
                f" the journal says from {reserved.from_account} to {reserved.to_account}"
            )
        _compare_outbox(where, pk, OutboundState.PROPOSED, report)
        held = merge_adjacent(
            Block(o, SerialRange(a, b), h, None)
            for o, a, b, h in UnitBlock.objects.filter(reserved_by_id=pk)
            .order_by("originating_registry", "start")
            .values_list("originating_registry", "start", "end", "account__number")
        )
        found = [(b.originating_registry, b.range.start, b.range.end, b.holder) for b in held]
        journaled = [(s.originating_registry, s.start, s.end, reserved.from_account) for s in _merged_spans(reserved.ranges)]
        if found != journaled:
            report.problems.append(
                f"{where}: transaction {pk} reserves {_show_spans(found)}, the journal reserved {_show_spans(journaled)}"
            )
    for pk in sorted(rows):
        report.problems.append(f"{where}: transaction {pk} is proposed to a peer registry, but the journal reserved nothing for it")
    released = Transaction.objects.filter(registry=registry, pk__in=list(replay.released)).values_list("pk", "status")
    status_of = dict(released)
    for pk, entry in sorted(replay.released.items()):
        status = status_of.get(pk)
        if status != TransactionStatus.REJECTED:
            report.problems.append(
                f"{where}: transaction {pk} is {status or 'missing'}, the journal says {entry.to_registry} {entry.outcome} it"
            )
        _compare_outbox(where, pk, OutboundState.RELEASED, report)


def _compare_outbox(where: str, pk: int, expected: OutboundState, report: Report) -> None:
    state = OutboundTransfer.objects.filter(transaction_id=pk).values_list("state", flat=True).first()
    if state != expected:
        report.problems.append(f"{where}: the outbox says transaction {pk} is {state or 'not proposed'}, the journal says {expected}")


def _merged_spans(spans: tuple[Span, ...]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.originating_registry, s.start)):
        last = merged[-1] if merged else None
        if last is not None and last.originating_registry == span.originating_registry and last.end + 1 == span.start:
            merged[-1] = Span(last.originating_registry, last.start, span.end)
        else:
            merged.append(span)
    return merged


def _show_spans(spans: list[tuple[str, int, int, str]]) -> str:
    return ", ".join(f"{o} {a}-{b} in {h}" for o, a, b, h in spans) or "nothing"


def _check_accounts_may_move(entry: Entry, replay: Replay, report: Report, where: str) -> None:
    """Invariant 3: units never leave a final account, nor pass through a blocked or closed one."""
    match entry:
        case ExternalTransfer():
            ends = [("from", entry.from_account)]
        case Acquisition():
            ends = [("to", entry.to_account)]
        case InternalTransfer() | Correction() | Retirement() | Cancellation():
            ends = [("from", entry.from_account), ("to", entry.to_account)]
        case _:
            return
    for side, number in ends:
        account_type, status = replay.accounts[number]
        if side == "from" and account_type in FINAL_TYPES:
            report.problems.append(f"{where}: units left final account {number}")
        if status != AccountStatus.OPEN:
            report.problems.append(f"{where}: units moved through {status} account {number}")


def _stored_blocks(registry: Registry) -> Iterator[Block[Attributes]]:
    rows = (
        UnitBlock.objects.filter(account__registry=registry)
        .order_by("originating_registry", "start")
        .values_list(
            "originating_registry",
            "start",
            "end",
            "account__number",
            "unit_type__code",
            "project__identifier",
            "vintage",
            "cooperative_approach__identifier",
            "first_transferring_party__alpha3",
            "issuance_id",
            "authorization__identifier",
            "first_transferred",
        )
        .iterator(chunk_size=5000)
    )
    for originating_registry, start, end, holder, *attributes in rows:
        yield Block(originating_registry, SerialRange(start, end), holder, Attributes(*attributes))  # type: ignore[arg-type]


def _pairs(
    expected: Iterator[Block[Attributes]], actual: Iterator[Block[Attributes]]
) -> Iterator[tuple[Block[Attributes] | None, Block[Attributes] | None]]:
    while True:
        a, b = next(expected, None), next(actual, None)
        if a is None and b is None:
            return
        yield a, b


def _show(block: Block[Attributes] | None) -> str:
    if block is None:
        return "nothing more"
    return f"{block.originating_registry} {block.range} in {block.holder} {block.attributes}"


def _verify_no_overlap(report: Report, tick: Progress) -> None:
    """Invariant 1, and blocks kept whole: no two touching unreserved blocks of one holder share
    every attribute (every movement merges them, so a split there was made behind the services)."""
    previous: tuple[str, int, int, tuple[Any, ...]] | None = None
    columns = ("originating_registry", "start", "end", "account_id", "reserved_by_id", *UnitBlock.ATTRIBUTES)
    rows = UnitBlock.objects.order_by("originating_registry", "start").values_list(*columns)
    for originating_registry, start, end, *rest in rows.iterator(chunk_size=5000):
        report.blocks += 1
        tick("blocks", 1)
        if start < 1 or end < start:
            report.problems.append(f"block {originating_registry} {start}-{end} is malformed")
        whole = tuple(rest)  # holder, reservation, attributes
        if previous is not None and previous[0] == originating_registry:
            if start <= previous[2]:
                report.problems.append(f"block {originating_registry} {start}-{end} overlaps the block ending at {previous[2]}")
            elif start == previous[2] + 1 and whole == previous[3] and whole[1] is None:
                report.problems.append(
                    f"blocks {originating_registry} {previous[1]}-{previous[2]} and {start}-{end} of one account share every attribute:"
                    " they should be one block"
                )
        previous = (originating_registry, start, end, whole)


def _verify_issuances(report: Report) -> None:
    """Streamed from the database: nothing here is held per issuance or per block."""
    # Units enter the installation by issuance, or by acquisition from a peer registry (whose blocks
    # name the acquisition as where they came from); they leave it only for a peer, by a completed
    # transfer the outbox records with the blocks' origins.
    completed = Transaction.objects.filter(
        Q(type=TransactionType.ISSUANCE) | Q(type=TransactionType.ACQUISITION, peer_inbound__isnull=False),
        status=TransactionStatus.COMPLETED,
    )
    away = sent_to_peers()
    units = Sum(F("end") - F("start") + 1)
    held = UnitBlock.objects.filter(issuance=OuterRef("pk")).values("issuance").annotate(units=units).values("units")
    found = completed.annotate(found=Coalesce(Subquery(held), 0))
    short = found.filter(Q(quantity__isnull=True) | ~Q(found=F("quantity")) | Q(pk__in=list(away))).select_related("registry")
    for tx in short.order_by("pk").iterator(chunk_size=2000):
        left = away.pop(tx.pk, 0)
        if tx.found + left != tx.quantity:
            origin = "issuance" if tx.type == TransactionType.ISSUANCE else "acquisition"
            gone = f" and {left} left for peer registries" if left else ""
            report.problems.append(f"{origin} {tx} brought {tx.quantity} units, blocks hold {tx.found} of them{gone}")
    for pk, left in sorted(away.items()):
        report.problems.append(f"{left} units sent to peer registries name issuance {pk}, which is not a completed issuance")
    stray = UnitBlock.objects.exclude(issuance__in=completed.values("pk")).values("issuance").annotate(units=units).order_by("issuance")
    for row in stray.iterator(chunk_size=2000):
        report.problems.append(f"{row['units']} units in blocks name issuance {row['issuance']}, which is not a completed issuance")
    where = (
        UnitBlock.objects.values("originating_registry", "unit_type__code", "vintage", "account__type")
        .annotate(units=Sum(F("end") - F("start") + 1))
        .order_by("originating_registry", "unit_type__code", "vintage")
    )
    for row in where:
        key = (row["originating_registry"], row["unit_type__code"], row["vintage"])
        report.totals.setdefault(key, defaultdict(int))[row["account__type"]] += row["units"]


def sent_to_peers() -> dict[int, int]:
    """Units that left for peer registries, by the issuance (or acquisition) their blocks named."""
    away: dict[int, int] = defaultdict(int)
    for text in OutboundTransfer.objects.filter(state=OutboundState.COMPLETED).values_list("blocks", flat=True).iterator(chunk_size=2000):
        for _registry, start, end, origin in json.loads(text):
            away[int(origin)] += int(end) - int(start) + 1
    return dict(away)


def _verify_reservations(report: Report) -> None:
    reserved = UnitBlock.objects.filter(reserved_by__isnull=False).values("reserved_by").annotate(units=Sum(F("end") - F("start") + 1))
    by_tx = {row["reserved_by"]: row["units"] for row in reserved}
    pending = Transaction.objects.filter(status__in=[s.value for s in PENDING])
    for tx in pending:
        units = by_tx.pop(tx.pk, 0)
        if units != tx.quantity:
            report.problems.append(f"pending transaction {tx.pk} is for {tx.quantity} units but reserves {units}")
    for pk, units in by_tx.items():
        report.problems.append(f"{units} units are reserved by transaction {pk}, which is not pending")
    final_accounts = Account.objects.filter(type__in=[t.value for t in FINAL_TYPES])
    if UnitBlock.objects.filter(account__in=final_accounts, reserved_by__isnull=False).exists():
        report.problems.append("units in a final account are reserved for a movement")


def _verify_journal_covers_transactions(report: Report) -> None:
    """Every completed transaction is journaled exactly once; asked of the database, not counted here."""
    completed = Transaction.objects.filter(status=TransactionStatus.COMPLETED)
    unjournaled = completed.exclude(Exists(JournalEntry.objects.filter(transaction=OuterRef("pk"), kind="transaction"))).values_list(
        "pk", flat=True
    )
    for pk in unjournaled.order_by("pk").iterator(chunk_size=5000):
        report.problems.append(f"completed transaction {pk} has no journal entry")
    # A transfer to a peer's reservation and release name their transaction too, and are proven above.
    of_transactions = JournalEntry.objects.filter(transaction__isnull=False, kind="transaction")
    stray = of_transactions.exclude(transaction__status=TransactionStatus.COMPLETED).values_list("transaction_id", flat=True)
    for pk in stray.distinct().order_by("transaction_id").iterator(chunk_size=5000):
        report.problems.append(f"journal entry for transaction {pk}, which is not completed")
    repeated = of_transactions.values("transaction_id").annotate(times=Count("pk")).filter(times__gt=1).order_by("transaction_id")
    for row in repeated.iterator(chunk_size=5000):
        report.problems.append(f"transaction {row['transaction_id']} is journaled {row['times']} times")
