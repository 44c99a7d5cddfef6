"""Writing the plain internal transfers of imported history directly: the rows and the journal entry
``transfer_units`` would write, by a few plain statements each (docs/interchange.md, "how it is written").

Internal transfers are nearly all of any registry's history, and the services' object work (about
40 ms a transfer here) made an import of 10^6 of them take a working day. The check before the
write (``validation``) has already replayed every one (serials held by the transferring account,
both accounts open, none final); what the service would check again is checked here too, cheaply,
and anything this path does not do exactly as the service does goes back to the service
(``transfer`` answers ``False`` before writing anything):

- units with an authorisation (Article 6 checks, first transfers), or reserved;
- an account of another registry, a final or peer account, one not open.

What it writes is the service's, statement for statement: the blocks cut as ``blocks.carve`` cuts
them and handed over as ``blocks.hand_over`` merges them, the transaction and its blocks with
their unique identifiers, and the journal entry (``entries.InternalTransfer``, chained as
``append_entry`` chains it, dated ``effective``). Only the registry's journal head is kept in
memory between transfers, and written back (``flush``) before anything else touches the journal.
Accounts and the registry are locked once, when first used, and stay locked until the import's
one database transaction ends (as the services' locks would).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model

from registry.accounts.models import FINAL_TYPES, Account, AccountStatus, AccountType
from registry.accounts.services import lock_accounts
from registry.core import entries as e
from registry.core.identifiers import BlockIdentity, block_identifier
from registry.core.journal import chain_hash
from registry.core.serials import Piece, SerialRange, cut, locate_ranges
from registry.journal.models import JournalEntry
from registry.journal.services import lock_registry
from registry.parties.models import CooperativeApproach, Party, Registry, UnitType
from registry.transactions.models import Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.units.models import UnitBlock

#: Accounts kept at hand (their pk, type, status and registry; locked once).
ACCOUNTS_REMEMBERED = 4096


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model: type[Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


@dataclass
class _Head:
    pk: int
    registry_id: str
    head: str
    length: int
    written: bool = False


@dataclass(frozen=True)
class _Account:
    pk: int
    number: str
    registry_pk: int
    usable: bool  # open, neither final nor a peer's: what a plain internal transfer may name


class DirectTransfers:
    """Writes plain internal transfers as ``transfer_units`` would, without its object work."""

    def __init__(self, proposer_pk: int | None) -> None:
        self.proposer_pk = proposer_pk
        # The database's own cursor: the statements are few and fixed, and Django's wrapper (its
        # placeholder rewriting, its hooks) cost as much as the statements themselves here.
        connection.ensure_connection()
        self.cursor = connection.connection.cursor()
        mark = "?" if connection.vendor == "sqlite" else "%s"
        self.heads: dict[str, _Head] = {}
        self.accounts: dict[str, _Account] = {}
        self.block_columns = [f.column for f in UnitBlock._meta.concrete_fields]  # id first
        self.position = {name: i for i, name in enumerate(self.block_columns)}
        p = self.position
        columns = {f.attname: f.column for f in UnitBlock._meta.concrete_fields}
        self.attribute_positions = [p[columns[n]] for n in UnitBlock.ATTRIBUTES]
        self.codes: dict[str, dict[int, str]] = {"scheme": {}, "approach": {}, "party": {}}
        q = _quoted

        def insert(model: type[Model], returning: bool) -> str:
            columns = _columns(model)
            sql = f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join([mark] * len(columns))})"
            return sql + (f" RETURNING {q('id')}" if returning else "")

        blocks, registry, start, end = q(UnitBlock._meta.db_table), q("originating_registry"), q("start"), q("end")
        selected = f"SELECT {', '.join(q(c) for c in self.block_columns)} FROM {blocks}"
        self.sql = {
            "first": f"{selected} WHERE {registry} = {mark} AND {start} <= {mark} ORDER BY {start} DESC LIMIT 1",
            "following": f"{selected} WHERE {registry} = {mark} AND {start} > {mark} AND {start} <= {mark} ORDER BY {start}",
            "touching": f"{selected} WHERE (({registry} = {mark} AND {end} = {mark}) OR ({registry} = {mark} AND {start} = {mark})) "
            f"AND {q('account_id')} = {mark} AND {q('reserved_by_id')} IS NULL",
            "ending": f"{selected} WHERE {registry} = {mark} AND {end} = {mark} AND {q('account_id')} = {mark} AND {q('reserved_by_id')} IS NULL",
            "starting": f"{selected} WHERE {registry} = {mark} AND {start} = {mark} AND {q('account_id')} = {mark} "
            f"AND {q('reserved_by_id')} IS NULL",
            "cut": f"UPDATE {blocks} SET {start} = {mark}, {end} = {mark} WHERE {q('id')} = {mark}",
            "part": insert(UnitBlock, returning=True),
            "hand": f"UPDATE {blocks} SET {q('account_id')} = {mark}, {q('reserved_by_id')} = NULL WHERE {q('id')} = {mark}",
            "absorb": f"DELETE FROM {blocks} WHERE {q('id')} = {mark}",
            "merge": f"UPDATE {blocks} SET {end} = {mark}, {q('account_id')} = {mark}, {q('reserved_by_id')} = NULL WHERE {q('id')} = {mark}",
            "transaction": insert(Transaction, returning=True),
            "transaction_block": insert(TransactionBlock, returning=False),
            "journal": insert(JournalEntry, returning=False),
        }
        # The transaction row as the service creates it: every column its default, then what a transfer sets.
        self.tx_columns = _columns(Transaction)
        self.tx_defaults = {
            f.column: f.get_db_prep_save(f.get_default(), connection) for f in Transaction._meta.concrete_fields if not f.primary_key
        }
        # PostgreSQL plans the one statement with both neighbours by the table's statistics, which
        # an import's own uncommitted rows do not change: it then reads every block of the registry
        # (16 ms at 10^4 blocks). Two statements, each one look-up in a unique index, never do.
        self.neighbours_apart = connection.vendor == "postgresql"
        self.tx_block_columns = _columns(TransactionBlock)
        self.journal_columns = _columns(JournalEntry)
        self.journal_rows: list[list[Any]] = []

    # The one use case ----------------------------------------------------------------------------

    def transfer(self, registry_id: str, entry: e.InternalTransfer, effective: dt.datetime) -> int | None:
        """Write ``entry`` as ``transfer_units`` would, naming the file's proposer and approver; the
        transaction's number, or ``None`` with nothing written if the service must."""
        source, target = self._account(entry.from_account), self._account(entry.to_account)
        if source is None or target is None or not (source.usable and target.usable):
            return None
        if source.pk == target.pk or source.registry_pk != target.registry_pk:
            return None
        head = self._head(registry_id)
        if head is None or head.pk != source.registry_pk:
            return None
        p = self.position
        pieces: list[Piece[int]] = []
        rows: list[list[Any]] = []
        for span in entry.ranges:
            candidates = [row for row in self._overlapping(span) if row[p["account_id"]] == source.pk]
            held = [(len(rows) + i, SerialRange(row[p["start"]], row[p["end"]])) for i, row in enumerate(candidates)]
            rows += candidates
            found, missing = locate_ranges([SerialRange(span.start, span.end)], held)
            if missing:
                return None
            pieces += found
        if not pieces or any(
            rows[x.block][p["authorization_id"]] is not None or rows[x.block][p["reserved_by_id"]] is not None for x in pieces
        ):
            return None
        moving = self._carve([(rows[x.block], x.taken) for x in pieces])
        now = dt.datetime.now(dt.UTC)
        tx = self._transaction(head.pk, source, target, sum(b[p["end"]] - b[p["start"]] + 1 for b in moving), effective)
        for block in moving:
            self._record_block(tx, block)
        # What moved, read before the hand-over merges the blocks into their new neighbours.
        ranges = tuple(e.Span(*r) for r in sorted((b[p["originating_registry"]], b[p["start"]], b[p["end"]]) for b in moving))
        for block in moving:
            self._hand_over(block, target.pk)
        journaled = e.InternalTransfer(tx, entry.proposed_by, entry.approved_by, source.number, target.number, ranges)
        self._journal(head, journaled, now, tx, effective)
        return tx

    def flush(self) -> None:
        """Write back what is kept in memory, before anything else reads or appends to the journal."""
        if self.journal_rows:
            self.cursor.executemany(self.sql["journal"], self.journal_rows)
            self.journal_rows.clear()
        for head in self.heads.values():
            if head.written:
                Registry.objects.filter(pk=head.pk).update(journal_head=head.head, journal_length=head.length)
        self.heads.clear()  # read afresh next time: a service may append meanwhile
        self.accounts.clear()  # a service may change an account's status meanwhile

    # Pieces --------------------------------------------------------------------------------------

    def _head(self, registry_id: str) -> _Head | None:
        if registry_id not in self.heads:
            found = Registry.objects.filter(registry_id=registry_id).first()
            if found is None:
                return None
            locked = lock_registry(found)
            self.heads[registry_id] = _Head(locked.pk, registry_id, locked.journal_head, locked.journal_length)
        return self.heads[registry_id]

    def _account(self, number: str) -> _Account | None:
        known = self.accounts.get(number)
        if known is None:
            account = Account.objects.filter(number=number).first()
            if account is None:
                return None
            account = lock_accounts([account])[account.pk]
            usable = account.status == AccountStatus.OPEN and account.type not in FINAL_TYPES and account.type != AccountType.PEER
            known = _Account(account.pk, account.number, account.registry_id, usable)
            if len(self.accounts) >= ACCOUNTS_REMEMBERED:
                del self.accounts[next(iter(self.accounts))]
            self.accounts[number] = known
        return known

    def _overlapping(self, span: e.Span) -> list[list[Any]]:
        """As ``blocks.blocks_overlapping``: the block holding the first serial, then those starting inside."""
        first = self._rows("first", (span.originating_registry, span.start))
        found = [row for row in first if row[self.position["end"]] >= span.start]
        if span.end > span.start:
            found += self._rows("following", (span.originating_registry, span.start, span.end))
        return found

    def _rows(self, statement: str, params: tuple[Any, ...]) -> list[list[Any]]:
        self.cursor.execute(self.sql[statement], params)
        return [list(row) for row in self.cursor.fetchall()]

    def _carve(self, pieces: list[tuple[list[Any], SerialRange]]) -> list[list[Any]]:
        """As ``blocks.carve``: each block's row keeps its first taken segment; every other segment is a new row."""
        start, end = self.position["start"], self.position["end"]
        taken_by_block: dict[int, list[SerialRange]] = {}
        rows: dict[int, list[Any]] = {}
        for block, serials in pieces:
            taken_by_block.setdefault(block[0], []).append(serials)
            rows[block[0]] = block
        carved: list[list[Any]] = []
        for pk, taken in taken_by_block.items():
            row = rows[pk]
            segments = cut(SerialRange(row[start], row[end]), taken)
            first_taken = next(segment for segment, is_taken in segments if is_taken)
            others = [(segment, is_taken) for segment, is_taken in segments if segment != first_taken]
            row[start], row[end] = first_taken.start, first_taken.end
            if others:
                self.cursor.execute(self.sql["cut"], (row[start], row[end], pk))
            carved.append(row)
            for segment, is_taken in others:
                part = list(row)
                part[start], part[end] = segment.start, segment.end
                self.cursor.execute(self.sql["part"], part[1:])
                part[0] = self.cursor.fetchone()[0]
                if is_taken:
                    carved.append(part)
        return sorted(carved, key=lambda b: (b[self.position["originating_registry"]], b[start]))

    def _hand_over(self, block: list[Any], to_pk: int) -> None:
        """As ``blocks.hand_over`` with ``merge_with_neighbours``: merged with the touching blocks of
        the same holder and attributes, each row written once."""
        p = self.position
        block[p["account_id"]] = to_pk
        block[p["reserved_by_id"]] = None
        registry = block[p["originating_registry"]]
        if self.neighbours_apart:
            touching = self._rows("ending", (registry, block[p["start"]] - 1, to_pk)) + self._rows(
                "starting", (registry, block[p["end"]] + 1, to_pk)
            )
        else:
            touching = self._rows("touching", (registry, block[p["start"]] - 1, registry, block[p["end"]] + 1, to_pk))
        attributes = [block[i] for i in self.attribute_positions]
        before = after = None
        for neighbour in touching:
            if [neighbour[i] for i in self.attribute_positions] != attributes:
                continue
            if neighbour[p["end"]] == block[p["start"]] - 1:
                before = neighbour
            else:
                after = neighbour
        if before is None and after is None:
            self.cursor.execute(self.sql["hand"], (to_pk, block[0]))
            return
        kept = before or block
        absorbed = [b for b in (block if before else None, after) if b is not None]
        # The absorbed rows go first: no two rows may share a serial, even for a moment.
        for gone in absorbed:
            self.cursor.execute(self.sql["absorb"], (gone[0],))
        self.cursor.execute(self.sql["merge"], (max(b[p["end"]] for b in absorbed), to_pk, kept[0]))

    def _transaction(self, registry_pk: int, source: _Account, target: _Account, quantity: int, effective: dt.datetime) -> int:
        moment = connection.ops.adapt_datetimefield_value(effective)
        values = dict(self.tx_defaults)
        values |= {
            "registry_id": registry_pk,
            "type": TransactionType.INTERNAL_TRANSFER.value,
            "status": TransactionStatus.COMPLETED.value,
            "from_account_id": source.pk,
            "to_account_id": target.pk,
            "quantity": quantity,
            "proposed_by_id": self.proposer_pk,
            "created_at": moment,
            "completed_at": moment,
        }
        self.cursor.execute(self.sql["transaction"], [values[c] for c in self.tx_columns])
        return int(self.cursor.fetchone()[0])

    def _record_block(self, tx: int, block: list[Any]) -> None:
        p = self.position
        identity = BlockIdentity(
            approach=self._code("approach", block[p["cooperative_approach_id"]]),
            scheme=self._code("scheme", block[p["unit_type_id"]]) or "",
            originating_registry=block[p["originating_registry"]],
            first_transferring_party=self._code("party", block[p["first_transferring_party_id"]]),
            first=block[p["start"]],
            last=block[p["end"]],
            vintage=block[p["vintage"]],
        )
        identifier = block_identifier(identity, settings.REGISTRY_BLOCK_IDENTIFIER_FORMAT)
        values = {
            "transaction_id": tx,
            "originating_registry": block[p["originating_registry"]],
            "start": block[p["start"]],
            "end": block[p["end"]],
            "vintage": block[p["vintage"]],
            "identifier": identifier,
        }
        self.cursor.execute(self.sql["transaction_block"], [values[c] for c in self.tx_block_columns])

    def _code(self, kind: str, pk: int | None) -> str | None:
        if pk is None:
            return None
        known = self.codes[kind]
        if pk not in known:
            match kind:
                case "scheme":
                    known[pk] = UnitType.objects.select_related("programme").get(pk=pk).programme.scheme_code
                case "approach":
                    known[pk] = CooperativeApproach.objects.get(pk=pk).identifier
                case _:
                    known[pk] = Party.objects.get(pk=pk).alpha3
        return known[pk]

    def _journal(self, head: _Head, entry: e.Entry, at: dt.datetime, tx: int, effective: dt.datetime) -> None:
        """As ``append_entry``: the next entry of the registry's chain (written in batches)."""
        sequence = head.length + 1
        text = e.write_body(e.Recorded(head.registry_id, sequence, at, entry, effective))
        digest = chain_hash(head.head, text)
        values = {
            "registry_id": head.pk,
            "sequence": sequence,
            "kind": e.entry_kind(entry),
            "transaction_id": tx,
            "recorded_at": connection.ops.adapt_datetimefield_value(at),
            "body": text,
            "previous_hash": head.head,
            "hash": digest,
        }
        self.journal_rows.append([values[c] for c in self.journal_columns])
        head.head, head.length, head.written = digest, sequence, True
        if len(self.journal_rows) >= 500:
            self.cursor.executemany(self.sql["journal"], self.journal_rows)
            self.journal_rows.clear()
