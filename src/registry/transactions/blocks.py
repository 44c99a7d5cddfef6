"""Choosing, splitting, moving and merging unit blocks in the database.

Called only from the transaction services, inside their database transaction, after they have
locked the accounts involved: every block write happens under the lock of the account holding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from registry import rows
from registry.accounts.models import Account
from registry.core.checks import Check, CheckFailed
from registry.core.entries import JournalBlock
from registry.core.identifiers import parse_block_identifier
from registry.core.serials import Piece, SerialRange, cut, locate_ranges, parse_range, parse_requested_range, select_for_quantity
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Project, UnitType
from registry.transactions.models import Transaction, TransactionBlock
from registry.units.holdings import IDENTITY_FIELDS, identifier_of
from registry.units.models import UnitBlock

#: Deterministic choice: oldest vintage first, then originating registry, then lowest serial.
AVAILABLE_ORDER = ("vintage", "originating_registry", "start")

RequestedRange = tuple[str, SerialRange]

#: The originating registry of a range given as the holdings page shows its serials (``281-300``):
#: whichever registry's units of those serials the account holds (``resolve_ranges``).
HELD_BY_ACCOUNT = ""


def requested_range(text: str, registry_id: str) -> RequestedRange:
    """``231-240`` in ``registry_id``, or ``MNG01:231-240`` naming the originating registry."""
    return parse_requested_range(text, registry_id)


def requested_units(text: str) -> RequestedRange:
    """Units a holder names as the holdings page shows them: a block's unique identifier
    (``CA0001-MNG01-MNG-281-380-2023``), serials of it (``281-300``, of whichever registry the
    account holds them in), or ``MNG01:281-300``."""
    identified = parse_block_identifier(text, settings.REGISTRY_BLOCK_IDENTIFIER_FORMAT)
    if identified is not None:
        registry_id, first, last = identified
        return registry_id, parse_range(f"{first}-{last}")
    return parse_requested_range(text, HELD_BY_ACCOUNT)


def resolve_ranges(account: Account, requested: Sequence[RequestedRange]) -> list[RequestedRange]:
    """Name the originating registry of ranges given without one: the one whose units of those
    serials ``account`` holds (its own registry if none; 4008 if several)."""
    resolved = []
    for originating_registry, wanted in requested:
        if originating_registry == HELD_BY_ACCOUNT:
            found = sorted(
                set(
                    UnitBlock.objects.filter(account=account, start__lte=wanted.end, end__gte=wanted.start).values_list(
                        "originating_registry", flat=True
                    )
                )
            )
            if len(found) > 1:
                raise CheckFailed(
                    Check.RANGE_AMBIGUOUS, blocks=[str(wanted)], range=str(wanted), account=account.number, registries=", ".join(found)
                )
            originating_registry = found[0] if found else account.registry.registry_id
        resolved.append((originating_registry, wanted))
    return resolved


@dataclass(frozen=True)
class UnitChoice:
    """What a movement by quantity takes: units of one type (perhaps of one project and vintage)."""

    unit_type: UnitType | None = None
    project: Project | None = None
    vintage: int | None = None


def unit_choice(registry: Any, unit_type: str | None, project: str | None, vintage: int | None) -> UnitChoice:
    """The choice as interfaces name it, by codes: unknown ones are refused (1007, 1008)."""
    chosen_type = None
    if unit_type:
        chosen_type = UnitType.objects.filter(code=unit_type).first()
        if chosen_type is None:
            raise CheckFailed(Check.UNIT_TYPE_UNKNOWN, unit_type=unit_type)
    chosen_project = None
    if project:
        chosen_project = Project.objects.filter(registry=registry, identifier=project).first()
        if chosen_project is None:
            raise CheckFailed(Check.PROJECT_UNKNOWN, project=project, registry=registry.registry_id)
    return UnitChoice(unit_type=chosen_type, project=chosen_project, vintage=vintage)


def name_serials(originating_registry: str, serials: SerialRange) -> str:
    """Serials as refusals name them, with their originating registry: ``MNG01:231-240``."""
    return f"{originating_registry}:{serials}"


#: Blocks touching a block picked, at the account its part goes to (before it, after it), as read
#: with it: by block id. ``hand_over_pieces`` then need not read them again.
Touching = dict[int, tuple[UnitBlock | None, UnitBlock | None]]


def pick_by_quantity(
    account: Account,
    quantity: int,
    eligible: Q | None = None,
    choice: UnitChoice | None = None,
    arriving_at: Account | None = None,
    touching: Touching | None = None,
) -> list[Piece[UnitBlock]]:
    """The pieces of ``account``'s unreserved blocks that make up ``quantity``, in selection order.

    Without a unit type in ``choice`` the pieces must all be of one type (4007): nothing mixes
    programmes or credit types silently.

    Reads (and locks) only as many blocks as it needs, so the cost does not grow with the size of
    the account. The caller holds the account's lock, so no other movement changes them meanwhile.
    With ``eligible`` (a use's or cancellation's purpose) only those blocks are chosen, if they
    suffice; if not, the choice is made among all, and the purpose's check names the blocks that
    are not eligible.

    With ``arriving_at`` (whose lock the caller holds too) and ``touching``, a movement taking
    from one block reads the blocks touching it at ``arriving_at`` with it, into ``touching``.
    """
    if eligible is not None:
        try:
            return _pick(account, quantity, eligible, choice, None, None)
        except CheckFailed as failure:
            if failure.check != Check.QUANTITY_EXCEEDS_AVAILABLE:
                raise
    return _pick(account, quantity, None, choice, arriving_at, touching)


def _pick(
    account: Account, quantity: int, eligible: Q | None, choice: UnitChoice | None, arriving_at: Account | None, touching: Touching | None
) -> list[Piece[UnitBlock]]:
    choice = choice or UnitChoice()
    if eligible is None:
        # The common request (any block, or of one type, project, vintage): hand-written, one
        # statement a batch, the block's identity read with it (``_available``), and, in the
        # first, the blocks touching it where it goes.
        def batch(offset: int, size: int) -> list[UnitBlock]:
            return _available(account, choice, offset, size, arriving_at if offset == 0 else None, touching)
    else:
        # A use's purpose: its condition is the ORM's (``rules.eligible_for_use``).
        available = (
            UnitBlock.objects.select_for_update(no_key=True, of=("self",))
            .select_related(*IDENTITY_FIELDS)
            .filter(account=account, reserved_by__isnull=True)
            .order_by(*AVAILABLE_ORDER)
        )
        if choice.unit_type is not None:
            available = available.filter(unit_type=choice.unit_type)
        if choice.project is not None:
            available = available.filter(project=choice.project)
        if choice.vintage is not None:
            available = available.filter(vintage=choice.vintage)
        available = available.filter(eligible)

        def batch(offset: int, size: int) -> list[UnitBlock]:
            return list(available[offset : offset + size])

    chosen: list[UnitBlock] = []
    held, offset, chunk = 0, 0, 1  # most movements take from one block: lock no more rows than needed
    while held < quantity:
        found = batch(offset, chunk)
        if not found:
            raise CheckFailed(Check.QUANTITY_EXCEEDS_AVAILABLE, account=account.number, available=held, quantity=quantity)
        for block in found:
            chosen.append(block)
            held += block.quantity
            if held >= quantity:
                break
        offset += chunk
        chunk *= 4
    types = sorted({block.unit_type.code for block in chosen})
    if len(types) > 1:
        raise CheckFailed(Check.UNIT_TYPES_MIXED, quantity=quantity, account=account.number, unit_types=", ".join(types))
    if touching is not None and len(chosen) > 1:
        # Parts of several blocks may arrive beside each other: each reads its neighbours as the
        # one before it left them.
        touching.clear()
    return select_for_quantity(((block, SerialRange(block.start, block.end)) for block in chosen), quantity)


def _with_identity(besides: str = "") -> str:
    """``SELECT`` of blocks with what their unique identifier is made of (as ``IDENTITY_FIELDS``
    loads it: the unit type with its programme, the approach, the first transferring Party), and
    the columns ``besides`` names (of tables the caller joins)."""
    block, unit_type, programme = rows.table(UnitBlock), rows.table(UnitType), rows.table(CreditingProgramme)
    approach, party = rows.table(CooperativeApproach), rows.table(Party)
    return (
        f"SELECT {rows.columns(UnitBlock)}, {rows.columns(UnitType)}, {rows.columns(CreditingProgramme)},"
        f" {rows.columns(CooperativeApproach)}, {rows.columns(Party)}{besides} FROM {block}"
        f" INNER JOIN {unit_type} ON ({rows.column(UnitBlock, 'unit_type_id')} = {rows.column(UnitType, 'id')})"
        f" INNER JOIN {programme} ON ({rows.column(UnitType, 'programme_id')} = {rows.column(CreditingProgramme, 'id')})"
        f" LEFT OUTER JOIN {approach} ON ({rows.column(UnitBlock, 'cooperative_approach_id')} = {rows.column(CooperativeApproach, 'id')})"
        f" LEFT OUTER JOIN {party} ON ({rows.column(UnitBlock, 'first_transferring_party_id')} = {rows.column(Party, 'id')})"
    )


def _identified(row: tuple[Any, ...]) -> UnitBlock:
    """A block read by ``_with_identity``, with its unit type (and programme), approach and Party."""
    db = rows.engine_database()
    block = rows.build(UnitBlock, row, 0, db)
    at = rows.width(UnitBlock)
    unit_type = rows.build(UnitType, row, at, db)
    at += rows.width(UnitType)
    rows.relate(unit_type, "programme", rows.build(CreditingProgramme, row, at, db))
    at += rows.width(CreditingProgramme)
    rows.relate(block, "unit_type", unit_type)
    rows.relate(block, "cooperative_approach", rows.build(CooperativeApproach, row, at, db) if row[at] is not None else None)
    at += rows.width(CooperativeApproach)
    rows.relate(block, "first_transferring_party", rows.build(Party, row, at, db) if row[at] is not None else None)
    return block


def _available(
    account: Account, choice: UnitChoice, offset: int, size: int, arriving_at: Account | None, touching: Touching | None
) -> list[UnitBlock]:
    """``size`` of ``account``'s unreserved blocks from ``offset``, in ``AVAILABLE_ORDER``, locked;
    with ``arriving_at``, the unreserved blocks touching each there into ``touching`` (not locked:
    the lock of ``arriving_at`` guards them, as it guards ``_mergeable_neighbours``' read)."""
    narrowed = {
        "unit_type_id": choice.unit_type.pk if choice.unit_type is not None else None,
        "project_id": choice.project.pk if choice.project is not None else None,
        "vintage": choice.vintage,
    }
    names = tuple(name for name, value in narrowed.items() if value is not None)
    besides = arriving_at is not None and touching is not None
    params = [*([arriving_at.pk, arriving_at.pk] if besides else []), account.pk, *(narrowed[name] for name in names), size, offset]  # type: ignore[union-attr]
    found = []
    db = rows.engine_database()
    for row in rows.fetch(_available_blocks(names, besides), params, locking=True):
        block = _identified(row)
        if besides:
            at = len(row) - 2 * rows.width(UnitBlock)
            before = rows.build(UnitBlock, row, at, db) if row[at] is not None else None
            at += rows.width(UnitBlock)
            after = rows.build(UnitBlock, row, at, db) if row[at] is not None else None
            touching[block.pk] = (before, after)  # type: ignore[index]
        found.append(block)
    return found


@rows.statement
def _available_blocks(narrowed_by: tuple[str, ...], besides: bool) -> str:
    conditions = [f"{rows.column(UnitBlock, 'account_id')} = %s", f"{rows.column(UnitBlock, 'reserved_by_id')} IS NULL"]
    conditions += [f"{rows.column(UnitBlock, name)} = %s" for name in narrowed_by]
    order = ", ".join(f"{rows.column(UnitBlock, name)} ASC" for name in AVAILABLE_ORDER)
    columns, joins = "", ""
    if besides:
        # The same two unique-index look-ups as ``_touching``, one for each side; locked is only
        # the block picked (``lock_rows``: OF its table, not of these aliases).
        table = rows.table(UnitBlock)
        originating, start, end = (rows.column(UnitBlock, name) for name in ("originating_registry", "start", "end"))
        for alias, meets in (
            ('"before"', f"{rows.assigned(UnitBlock, 'end')} = {start} - 1"),
            ('"after"', f"{rows.assigned(UnitBlock, 'start')} = {end} + 1"),
        ):
            columns += ", " + rows.columns(UnitBlock).replace(f"{table}.", f"{alias}.")
            joins += (
                f" LEFT OUTER JOIN {table} {alias} ON ({alias}.{rows.assigned(UnitBlock, 'originating_registry')} = {originating}"
                f" AND {alias}.{meets} AND {alias}.{rows.assigned(UnitBlock, 'account_id')} = %s"
                f" AND {alias}.{rows.assigned(UnitBlock, 'reserved_by_id')} IS NULL)"
            )
    where = f" WHERE ({' AND '.join(conditions)}) ORDER BY {order} LIMIT %s OFFSET %s{rows.lock_rows(UnitBlock)}"
    return _with_identity(columns) + joins + where


def pick_by_ranges(account: Account, requested: Sequence[RequestedRange]) -> list[Piece[UnitBlock]]:
    """The pieces of blocks that hold exactly the requested serials; refuses 4001 or 4002."""
    pieces: list[Piece[UnitBlock]] = []
    not_held: list[str] = []
    for originating_registry, wanted in requested:
        candidates = blocks_overlapping(originating_registry, wanted)
        held = [(block, SerialRange(block.start, block.end)) for block in candidates if block.account_id == account.pk]
        found, missing = locate_ranges([wanted], held)
        pieces += found
        not_held += [name_serials(originating_registry, r) for r in missing]
    if not_held:
        raise CheckFailed(Check.UNITS_NOT_HELD, blocks=not_held, ranges=", ".join(not_held), account=account.number)
    locked = {block.pk: block for block in _lock([piece.block for piece in pieces])}
    pieces = [Piece(locked[p.block.pk], p.block_range, p.taken) for p in pieces]
    reserved = [p for p in pieces if p.block.reserved_by_id is not None]
    if reserved:
        names = [name_serials(p.block.originating_registry, p.taken) for p in reserved]
        raise CheckFailed(Check.UNITS_RESERVED, blocks=names, ranges=", ".join(names), transaction=reserved[0].block.reserved_by_id)
    return pieces


def blocks_overlapping(originating_registry: str, wanted: SerialRange) -> list[UnitBlock]:
    # Two index range scans: the block holding the first serial, then those starting inside.
    first = [rows.build(UnitBlock, row) for row in rows.fetch(_holding_first_serial(), [originating_registry, wanted.start])]
    following = [rows.build(UnitBlock, row) for row in rows.fetch(_starting_inside(), [originating_registry, wanted.start, wanted.end])]
    return [b for b in first if b.end >= wanted.start] + following


@rows.statement
def _holding_first_serial() -> str:
    originating, start = rows.column(UnitBlock, "originating_registry"), rows.column(UnitBlock, "start")
    return (
        f"SELECT {rows.columns(UnitBlock)} FROM {rows.table(UnitBlock)} WHERE ({originating} = %s AND {start} <= %s)"
        f" ORDER BY {start} DESC LIMIT 1"
    )


@rows.statement
def _starting_inside() -> str:
    originating, start = rows.column(UnitBlock, "originating_registry"), rows.column(UnitBlock, "start")
    return (
        f"SELECT {rows.columns(UnitBlock)} FROM {rows.table(UnitBlock)} WHERE ({originating} = %s AND {start} > %s AND {start} <= %s)"
        f" ORDER BY {start} ASC"
    )


def _lock(blocks: Iterable[UnitBlock]) -> list[UnitBlock]:
    ids = [block.pk for block in blocks]
    if not ids:
        return []
    by_id = {b.pk: b for b in (_identified(row) for row in rows.fetch(_blocks_by_id(len(ids)), ids, locking=True))}
    return [by_id[i] for i in ids]


@rows.statement
def _blocks_by_id(count: int) -> str:
    block = rows.column(UnitBlock, "id")
    return f"{_with_identity()} WHERE {block} IN ({rows.placeholders(count)}) ORDER BY {block} ASC{rows.lock_rows(UnitBlock)}"


def record_blocks(tx: Transaction, blocks: Iterable[UnitBlock]) -> None:
    """Name the serial ranges ``tx`` moves (or issues, authorises...), with their unique identifiers.
    Called once per transaction, when it is created: they are then all the blocks it names."""
    named = _named(tx, blocks)
    rows.insert_many(named)
    _known(tx, named)


def record_with_blocks(tx: Transaction, blocks: Iterable[UnitBlock]) -> None:
    """Insert ``tx`` (not yet written) with the serial ranges it names (``record_blocks``): on
    PostgreSQL in one statement."""
    named = _named(tx, blocks)
    rows.insert_with_rows(tx, named, "transaction")
    _known(tx, named)


def _named(tx: Transaction, blocks: Iterable[UnitBlock]) -> list[TransactionBlock]:
    return [
        TransactionBlock(
            transaction=tx,
            originating_registry=b.originating_registry,
            start=b.start,
            end=b.end,
            vintage=b.vintage,
            identifier=identifier_of(b),
        )
        for b in blocks
    ]


def _known(tx: Transaction, named: list[TransactionBlock]) -> None:
    # Whoever answers with this transaction (the API, the web) reads its blocks from here rather
    # than from the database again: as ``prefetch_related`` would leave them, in the model's order.
    recorded = tx.blocks.all()  # the related manager's queryset: filtered by ``tx``, its blocks' ``transaction`` known
    recorded._result_cache = sorted(named, key=lambda n: (n.originating_registry, n.start))
    recorded._prefetch_done = True  # type: ignore[attr-defined]
    tx._prefetched_objects_cache = {**getattr(tx, "_prefetched_objects_cache", {}), "blocks": recorded}  # type: ignore[attr-defined]


def carve(pieces: Sequence[Piece[UnitBlock]]) -> list[UnitBlock]:
    """Cut each piece out of its block; return the pieces as blocks of their own, in serial order.

    Several pieces may come from one block (a request naming two ranges inside it). The block's row
    keeps its first taken segment; every other segment, taken or kept, becomes a new row.
    """
    taken_by_block: dict[int, list[SerialRange]] = {}
    blocks_by_id: dict[int, UnitBlock] = {}
    for piece in pieces:
        taken_by_block.setdefault(piece.block.pk, []).append(piece.taken)
        blocks_by_id[piece.block.pk] = piece.block
    carved: list[UnitBlock] = []
    for pk, taken in taken_by_block.items():
        block = blocks_by_id[pk]
        segments = cut(SerialRange(block.start, block.end), taken)
        first_taken = next(segment for segment, is_taken in segments if is_taken)
        others = [(segment, is_taken) for segment, is_taken in segments if segment != first_taken]
        block.start, block.end = first_taken.start, first_taken.end
        if others:
            rows.update(block, "start", "end")
        carved.append(block)
        for segment, is_taken in others:
            part = _copy(block, segment)
            rows.insert(part)
            if is_taken:
                carved.append(part)
    return sorted(carved, key=lambda b: (b.originating_registry, b.start))


def cut_out(pieces: Sequence[Piece[UnitBlock]]) -> list[UnitBlock]:
    """The parts ``pieces`` take, as blocks in memory (nothing written), in serial order: each with
    its block's attributes and identity, still held where it is. What a movement completing at
    once names, checks and journals; ``hand_over_pieces`` then writes it."""
    parts = []
    for piece in pieces:
        part = _copy(piece.block, piece.taken)
        for name in IDENTITY_CACHED:
            rows.relate(part, name, getattr(piece.block, name))
        parts.append(part)
    return sorted(parts, key=lambda b: (b.originating_registry, b.start))


#: What a block's identifier is read from (``identifier_of``), loaded with the blocks a movement picks.
IDENTITY_CACHED = ("unit_type", "cooperative_approach", "first_transferring_party")


def hand_over_pieces(pieces: Sequence[Piece[UnitBlock]], parts: Sequence[UnitBlock], to_account: Account, touching: Touching) -> None:
    """Cut ``pieces`` out of their blocks and give them (``parts``: what ``cut_out`` made of them)
    to ``to_account``, merged with touching neighbours there: the blocks ``carve`` then
    ``hand_over`` leave, each row written once.

    A block keeps its row for what stays of it (what stays first: the serials taken are then free),
    or moves with it when taken whole; a part taken extends the neighbour that absorbs it, or is
    inserted as a block of its own. The neighbours are read before anything is written to them
    (or were, with the block: ``touching``, by block id, trusted only when one block gives).
    """
    if len(pieces) != 1:
        touching = {}
    by_block: dict[int, tuple[UnitBlock, list[SerialRange]]] = {}
    for piece in pieces:
        by_block.setdefault(piece.block.pk, (piece.block, []))[1].append(piece.taken)
    part_at = {(part.originating_registry, part.start): part for part in parts}
    arriving: list[tuple[UnitBlock, tuple[UnitBlock | None, UnitBlock | None] | None]] = []
    for block, taken in by_block.values():
        known = touching.get(block.pk)
        segments = cut(SerialRange(block.start, block.end), taken)
        kept = [segment for segment, is_taken in segments if not is_taken]
        if not kept:  # taken whole: one segment, the block itself
            arriving.append((block, known))
            continue
        arriving += [(part_at[(block.originating_registry, segment.start)], known) for segment in taken]
        block.start, block.end = kept[0].start, kept[0].end
        rows.update(block, "start", "end")
        for segment in kept[1:]:
            rows.insert(_copy(block, segment))
    for moving, known in sorted(arriving, key=lambda arrived: (arrived[0].originating_registry, arrived[0].start)):
        moving.account = to_account
        moving.reserved_by = None
        if moving.pk is not None:
            if not merge_with_neighbours(moving, known):
                rows.update(moving, "account", "reserved_by")
        else:
            _arrive(moving, known)


def _arrive(part: UnitBlock, known: tuple[UnitBlock | None, UnitBlock | None] | None) -> None:
    """Write ``part`` (a new block in memory, unreserved, at its new holder) into the neighbour
    that absorbs it, or as a row of its own."""
    before, after = _mergeable_neighbours(part, known)
    if before is None and after is None:
        rows.insert(part)
        return
    if before is not None and after is not None:
        # The absorbed row goes first: no two rows may share a serial, even for a moment.
        rows.delete(UnitBlock, [after.pk])
        before.end = after.end
        rows.update(before, "end")
    elif before is not None:
        before.end = part.end
        rows.update(before, "end")
    else:
        assert after is not None
        after.start = part.start
        rows.update(after, "start")


def _copy(block: UnitBlock, part: SerialRange) -> UnitBlock:
    """A new block (not written, unreserved) of ``block``'s holder and attributes, of the serials ``part``."""
    return rows.copied(block, start=part.start, end=part.end, reserved_by_id=None)


def as_journal_block(block: UnitBlock) -> JournalBlock:
    """A whole block as the journal records it (issuance, acquisition): attributes by their codes."""
    return JournalBlock(
        originating_registry=block.originating_registry,
        start=block.start,
        end=block.end,
        unit_type=block.unit_type.code,
        project=block.project.identifier,
        vintage=block.vintage,
        approach=block.cooperative_approach.identifier if block.cooperative_approach else None,
        first_transferring_party=block.first_transferring_party.alpha3 if block.first_transferring_party else None,
        issuance=block.issuance_id,
        authorization=block.authorization.identifier if block.authorization else None,
        first_transferred=block.first_transferred,
    )


def reserve(blocks: Iterable[UnitBlock], transaction: Transaction) -> None:
    ids = [b.pk for b in blocks]
    if ids:
        rows.execute(_reserving(len(ids)), [transaction.pk, *ids])


@rows.statement
def _reserving(count: int) -> str:
    reserved_by = rows.assigned(UnitBlock, "reserved_by_id")
    return f"UPDATE {rows.table(UnitBlock)} SET {reserved_by} = %s WHERE {rows.column(UnitBlock, 'id')} IN ({rows.placeholders(count)})"


def hand_over(blocks: Iterable[UnitBlock], to_account: Account) -> None:
    """Give ``blocks`` to ``to_account`` (releasing any reservation), merged with touching neighbours.

    Each block is written once, already merged: the neighbours are read first, in one statement.
    """
    for block in sorted(blocks, key=lambda b: (b.originating_registry, b.start)):
        block.account = to_account
        block.reserved_by = None
        if not merge_with_neighbours(block):
            rows.update(block, "account", "reserved_by")


def merge_with_neighbours(block: UnitBlock, known: tuple[UnitBlock | None, UnitBlock | None] | None = None) -> bool:
    """Merge ``block`` (as it is in memory) with the touching blocks of the same holder and
    attributes, if unreserved, and write the merged block; ``False`` if there was nothing to merge.
    (``known``: the blocks that may touch it there, already read.)"""
    if block.reserved_by_id is not None:
        return False
    before, after = _mergeable_neighbours(block, known)
    if before is None and after is None:
        return False
    kept = before or block
    absorbed = [b for b in (block if before else None, after) if b is not None]
    # The absorbed rows go first: no two rows may share a serial, even for a moment.
    rows.delete(UnitBlock, [b.pk for b in absorbed])
    kept.end = max(b.end for b in absorbed)
    rows.update(kept, "end", "account", "reserved_by")
    return True


@rows.statement
def _touching() -> str:
    originating, start, end = (rows.column(UnitBlock, name) for name in ("originating_registry", "start", "end"))
    return (
        f"SELECT {rows.columns(UnitBlock)} FROM {rows.table(UnitBlock)}"
        f" WHERE (({originating} = %s AND {end} = %s) OR ({originating} = %s AND {start} = %s))"
        f" AND {rows.column(UnitBlock, 'account_id')} = %s AND {rows.column(UnitBlock, 'reserved_by_id')} IS NULL"
    )


def _mergeable_neighbours(
    block: UnitBlock, known: tuple[UnitBlock | None, UnitBlock | None] | None = None
) -> tuple[UnitBlock | None, UnitBlock | None]:
    """The unreserved blocks of ``block``'s holder that touch it and share its attributes (among
    ``known``, if given: unreserved blocks of that holder read with the block it was cut from)."""
    if known is not None:
        touching = [neighbour for neighbour in known if neighbour is not None]
    else:
        # Each branch names the originating registry, so each is one look-up in a unique index
        # ((registry, end) and (registry, start)); a shared registry condition would scan the registry.
        registry = block.originating_registry
        found = rows.fetch(_touching(), [registry, block.start - 1, registry, block.end + 1, block.account_id])
        touching = [rows.build(UnitBlock, row) for row in found]
    before = after = None
    for neighbour in touching:
        if neighbour.attributes() != block.attributes() or neighbour.account_id != block.account_id:
            continue
        if neighbour.end == block.start - 1:
            before = neighbour
        elif neighbour.start == block.end + 1:
            after = neighbour
    return before, after
