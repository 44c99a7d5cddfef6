"""An in-memory ledger of blocks, used to replay the journal from empty.

It keeps blocks maximally merged (touching blocks with the same holder and attributes are one), so
two ledgers holding the same units compare equal however their blocks were cut.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace
from typing import Generic, TypeVar

from registry.core.serials import Block, SerialRange

A = TypeVar("A", bound=Hashable)


class LedgerConflict(Exception):
    """A replayed action does not fit the ledger (serials issued twice, or moved from the wrong holder)."""


class Ledger(Generic[A]):
    def __init__(self) -> None:
        self._starts: dict[str, list[int]] = {}
        self._blocks: dict[str, dict[int, Block[A]]] = {}

    def add(self, block: Block[A]) -> None:
        """Record newly issued units; they must not overlap anything already there."""
        registry = block.originating_registry
        starts = self._starts.setdefault(registry, [])
        blocks = self._blocks.setdefault(registry, {})
        index = bisect_right(starts, block.range.start)
        neighbours = [starts[i] for i in (index - 1, index) if 0 <= i < len(starts)]
        for start in neighbours:
            if blocks[start].range.overlaps(block.range):
                raise LedgerConflict(f"{registry} serials {block.range} overlap the block {blocks[start].range}")
        self._put(block)

    def move(self, originating_registry: str, wanted: SerialRange, from_holder: str, to_holder: str) -> list[Block[A]]:
        """Give ``wanted`` from ``from_holder`` to ``to_holder``; every serial must be held by the giver.

        Returns the pieces as they were before the move (one per block they came from).
        """
        taken = self._take(originating_registry, wanted, from_holder)
        for piece in taken:
            self._put(replace(piece, holder=to_holder))
        return taken

    def remove(self, originating_registry: str, wanted: SerialRange, holder: str) -> list[Block[A]]:
        """Take ``wanted`` out of this ledger (units leaving for another registry); returns the pieces."""
        return self._take(originating_registry, wanted, holder)

    def restate(self, originating_registry: str, wanted: SerialRange, holder: str, change: Callable[[A], A]) -> list[Block[A]]:
        """Change the attributes of ``wanted`` (authorisation, first transfer); returns the pieces as they were."""
        taken = self._take(originating_registry, wanted, holder)
        for piece in taken:
            self._put(replace(piece, attributes=change(piece.attributes)))
        return taken

    def _take(self, originating_registry: str, wanted: SerialRange, holder: str) -> list[Block[A]]:
        covering = self._covering(originating_registry, wanted)
        for block in covering:
            if block.holder != holder:
                raise LedgerConflict(f"{originating_registry} serials {wanted} are held by {block.holder}, not {holder}")
        taken: list[Block[A]] = []
        for block in covering:
            self._remove(block)
            lo, hi = max(block.range.start, wanted.start), min(block.range.end, wanted.end)
            if block.range.start < lo:
                self._put(replace(block, range=SerialRange(block.range.start, lo - 1)), merge=False)
            if hi < block.range.end:
                self._put(replace(block, range=SerialRange(hi + 1, block.range.end)), merge=False)
            taken.append(replace(block, range=SerialRange(lo, hi)))
        return taken

    def blocks(self) -> Iterator[Block[A]]:
        """Every block, sorted by originating registry and first serial."""
        for registry in sorted(self._blocks):
            blocks = self._blocks[registry]
            for start in self._starts[registry]:
                yield blocks[start]

    def _covering(self, registry: str, wanted: SerialRange) -> list[Block[A]]:
        starts = self._starts.get(registry, [])
        blocks = self._blocks.get(registry, {})
        index = max(bisect_right(starts, wanted.start) - 1, 0)
        covering: list[Block[A]] = []
        cursor = wanted.start
        while cursor <= wanted.end:
            if index >= len(starts) or not (blocks[starts[index]].range.start <= cursor <= blocks[starts[index]].range.end):
                raise LedgerConflict(f"{registry} serial {cursor} is not in the ledger")
            block = blocks[starts[index]]
            covering.append(block)
            cursor = block.range.end + 1
            index += 1
        return covering

    def _remove(self, block: Block[A]) -> None:
        registry = block.originating_registry
        starts = self._starts[registry]
        del starts[bisect_right(starts, block.range.start) - 1]
        del self._blocks[registry][block.range.start]

    def _put(self, block: Block[A], merge: bool = True) -> None:
        registry = block.originating_registry
        starts = self._starts.setdefault(registry, [])
        blocks = self._blocks.setdefault(registry, {})
        if merge:
            index = bisect_right(starts, block.range.start)
            if index > 0 and blocks[starts[index - 1]].mergeable_with(block):
                before = blocks[starts[index - 1]]
                self._remove(before)
                block = replace(block, range=SerialRange(before.range.start, block.range.end))
            following = blocks.get(block.range.end + 1)
            if following is not None and block.mergeable_with(following):
                self._remove(following)
                block = replace(block, range=SerialRange(block.range.start, following.range.end))
        insort(starts, block.range.start)
        blocks[block.range.start] = block
