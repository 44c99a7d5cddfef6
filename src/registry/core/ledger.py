"""A ledger of blocks, used to replay the journal from empty.

It keeps blocks maximally merged (touching blocks with the same holder and attributes are one), so
two ledgers holding the same units compare equal however their blocks were cut.

Where the blocks live is a ``Store``'s business: ``InMemory`` here (pure, for small ledgers and the
property tests), or a scratch database for replays that must not grow with the ledger
(``registry.journal.scratch``). The ledger's rules are the same whichever store holds the blocks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, Protocol, TypeVar

from registry.core.serials import Block, SerialRange

A = TypeVar("A", bound=Hashable)


class LedgerConflict(Exception):
    """A replayed action does not fit the ledger (serials issued twice, or moved from the wrong holder)."""


class Store(Protocol[A]):
    """Non-overlapping blocks, found by serial. The ledger alone decides what goes in."""

    def intersecting(self, originating_registry: str, wanted: SerialRange) -> list[Block[A]]:
        """The blocks holding any serial of ``wanted``, by first serial."""
        ...

    def touching(self, originating_registry: str, serials: SerialRange) -> tuple[Block[A] | None, Block[A] | None]:
        """The blocks ending just before ``serials`` and starting just after, if there are such."""
        ...

    def insert(self, block: Block[A]) -> None: ...

    def delete(self, block: Block[A]) -> None: ...

    def blocks(self) -> Iterator[Block[A]]:
        """Every block, sorted by originating registry and first serial."""
        ...


class InMemory(Generic[A]):
    def __init__(self) -> None:
        self._starts: dict[str, list[int]] = {}
        self._blocks: dict[str, dict[int, Block[A]]] = {}

    def intersecting(self, originating_registry: str, wanted: SerialRange) -> list[Block[A]]:
        starts = self._starts.get(originating_registry, [])
        blocks = self._blocks.get(originating_registry, {})
        index = max(bisect_right(starts, wanted.start) - 1, 0)
        found: list[Block[A]] = []
        while index < len(starts) and starts[index] <= wanted.end:
            block = blocks[starts[index]]
            if block.range.end >= wanted.start:
                found.append(block)
            index += 1
        return found

    def touching(self, originating_registry: str, serials: SerialRange) -> tuple[Block[A] | None, Block[A] | None]:
        starts = self._starts.get(originating_registry, [])
        blocks = self._blocks.get(originating_registry, {})
        index = bisect_left(starts, serials.start) - 1
        before = blocks[starts[index]] if index >= 0 and blocks[starts[index]].range.end == serials.start - 1 else None
        return before, blocks.get(serials.end + 1)

    def insert(self, block: Block[A]) -> None:
        insort(self._starts.setdefault(block.originating_registry, []), block.range.start)
        self._blocks.setdefault(block.originating_registry, {})[block.range.start] = block

    def delete(self, block: Block[A]) -> None:
        starts = self._starts[block.originating_registry]
        del starts[bisect_right(starts, block.range.start) - 1]
        del self._blocks[block.originating_registry][block.range.start]

    def blocks(self) -> Iterator[Block[A]]:
        for registry in sorted(self._blocks):
            blocks = self._blocks[registry]
            for start in self._starts[registry]:
                yield blocks[start]


class Ledger(Generic[A]):
    def __init__(self, store: Store[A] | None = None) -> None:
        self._store: Store[A] = store if store is not None else InMemory()

    def add(self, block: Block[A]) -> None:
        """Record newly issued units; they must not overlap anything already there."""
        found = self._store.intersecting(block.originating_registry, block.range)
        if found:
            raise LedgerConflict(f"{block.originating_registry} serials {block.range} overlap the block {found[0].range}")
        self._put(block)

    def move(self, originating_registry: str, wanted: SerialRange, from_holder: str, to_holder: str) -> list[Block[A]]:
        """Give ``wanted`` from ``from_holder`` to ``to_holder``; every serial must be held by the giver.

        Returns the pieces as they were before the move (one per block they came from).
        """
        taken = self._take(originating_registry, wanted, from_holder)
        for piece in taken:
            self._put(piece.with_holder(to_holder))
        return taken

    def remove(self, originating_registry: str, wanted: SerialRange, holder: str) -> list[Block[A]]:
        """Take ``wanted`` out of this ledger (units leaving for another registry); returns the pieces."""
        return self._take(originating_registry, wanted, holder)

    def restate(self, originating_registry: str, wanted: SerialRange, holder: str, change: Callable[[A], A]) -> list[Block[A]]:
        """Change the attributes of ``wanted`` (authorisation, first transfer); returns the pieces as they were."""
        taken = self._take(originating_registry, wanted, holder)
        for piece in taken:
            self._put(piece.with_attributes(change(piece.attributes)))
        return taken

    def check_held(self, originating_registry: str, wanted: SerialRange, holder: str) -> None:
        """``LedgerConflict`` unless every serial of ``wanted`` is held by ``holder`` (nothing changes)."""
        for block in self._covering(originating_registry, wanted):
            if block.holder != holder:
                raise LedgerConflict(f"{originating_registry} serials {wanted} are held by {block.holder}, not {holder}")

    def blocks(self) -> Iterator[Block[A]]:
        """Every block, sorted by originating registry and first serial."""
        return self._store.blocks()

    def _take(self, originating_registry: str, wanted: SerialRange, holder: str) -> list[Block[A]]:
        covering = self._covering(originating_registry, wanted)
        for block in covering:
            if block.holder != holder:
                raise LedgerConflict(f"{originating_registry} serials {wanted} are held by {block.holder}, not {holder}")
        taken: list[Block[A]] = []
        for block in covering:
            self._store.delete(block)
            lo, hi = max(block.range.start, wanted.start), min(block.range.end, wanted.end)
            # What stays behind cannot merge: the block was maximal, and its other neighbour is taken.
            if block.range.start < lo:
                self._store.insert(block.with_range(SerialRange(block.range.start, lo - 1)))
            if hi < block.range.end:
                self._store.insert(block.with_range(SerialRange(hi + 1, block.range.end)))
            taken.append(block.with_range(SerialRange(lo, hi)))
        return taken

    def _covering(self, registry: str, wanted: SerialRange) -> list[Block[A]]:
        covering = self._store.intersecting(registry, wanted)
        cursor = wanted.start
        for block in covering:
            if block.range.start > cursor:
                break
            cursor = block.range.end + 1
        if cursor <= wanted.end:
            raise LedgerConflict(f"{registry} serial {cursor} is not in the ledger")
        return covering

    def _put(self, block: Block[A]) -> None:
        before, after = self._store.touching(block.originating_registry, block.range)
        if before is not None and before.mergeable_with(block):
            self._store.delete(before)
            block = block.with_range(SerialRange(before.range.start, block.range.end))
        if after is not None and block.mergeable_with(after):
            self._store.delete(after)
            block = block.with_range(SerialRange(block.range.start, after.range.end))
        self._store.insert(block)
