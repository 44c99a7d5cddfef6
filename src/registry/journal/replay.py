"""Replaying one registry's journal from empty into a pure ``Ledger``.

Used by ``verify`` (the replayed ledger must equal the stored blocks) and by the Agreed Electronic
Format (every action, with the attributes its units had at that moment, and the holdings at any
date). Both replay into a scratch database (``scratched``), so their memory does not grow with the
ledger. Each journal body says everything needed: issuance and acquisition bring whole blocks with
their attributes; movements name serial ranges; authorisation and first transfer restate ranges.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from registry.core.ledger import Ledger
from registry.core.serials import Block, SerialRange
from registry.journal.scratch import ScratchStore


class Attributes(NamedTuple):
    unit_type: str
    project: str
    vintage: int
    approach: str | None
    first_transferring_party: str | None
    issuance: int
    authorization: str | None
    first_transferred: bool


def attributes_of(block: dict[str, Any]) -> Attributes:
    return Attributes(
        block["unit_type"],
        block["project"],
        block["vintage"],
        block["approach"],
        block["first_transferring_party"],
        block["issuance"],
        block.get("authorization"),
        block.get("first_transferred", False),
    )


def journal_block(block: Block[Attributes]) -> dict[str, Any]:
    """The journal's form of a whole block (issuance, acquisition)."""
    return {
        "originating_registry": block.originating_registry,
        "start": block.range.start,
        "end": block.range.end,
        **block.attributes._asdict(),
    }


@dataclass
class Applied:
    """What one journal entry did: its body and the pieces (as they were before) it touched."""

    body: dict[str, Any]
    pieces: list[Block[Attributes]]


@dataclass
class Replay:
    ledger: Ledger[Attributes] = field(default_factory=Ledger)
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)  # number -> (type, status)

    def apply(self, body: dict[str, Any]) -> Applied:
        kind = body["kind"]
        if kind in ("account_opened", "account_status_changed"):
            self.accounts[body["account"]] = (body["type"], body["status"])
            return Applied(body, [])
        kind = body["type"]
        if kind in ("issuance", "acquisition"):
            pieces = [
                Block(b["originating_registry"], SerialRange(b["start"], b["end"]), body["to"], attributes_of(b)) for b in body["blocks"]
            ]
            for piece in pieces:
                self.ledger.add(piece)
            return Applied(body, pieces)
        if kind == "external_transfer":
            return Applied(body, self._each(body, lambda o, r: self.ledger.remove(o, r, body["from"])))
        if kind == "authorization":
            return Applied(
                body,
                self._each_held(
                    body, lambda o, r, h: self.ledger.restate(o, r, h, lambda a: a._replace(authorization=body["authorization"]))
                ),
            )
        if kind == "first_transfer":
            return Applied(
                body, self._each_held(body, lambda o, r, h: self.ledger.restate(o, r, h, lambda a: a._replace(first_transferred=True)))
            )
        return Applied(body, self._each(body, lambda o, r: self.ledger.move(o, r, body["from"], body["to"])))

    @staticmethod
    def _each(body: dict[str, Any], act: Any) -> list[Block[Attributes]]:
        pieces: list[Block[Attributes]] = []
        for originating_registry, start, end in body["ranges"]:
            pieces += act(originating_registry, SerialRange(start, end))
        return pieces

    @staticmethod
    def _each_held(body: dict[str, Any], act: Any) -> list[Block[Attributes]]:
        pieces: list[Block[Attributes]] = []
        for originating_registry, start, end, holder in body["ranges"]:
            pieces += act(originating_registry, SerialRange(start, end), holder)
        return pieces

    def blocks(self) -> Iterator[Block[Attributes]]:
        return self.ledger.blocks()


@contextmanager
def scratched() -> Iterator[Replay]:
    """A replay whose blocks live in a scratch database, thrown away on leaving."""
    store: ScratchStore[Attributes] = ScratchStore(lambda values: Attributes(*values))
    try:
        yield Replay(Ledger(store))
    finally:
        store.close()


__all__ = ["Applied", "Attributes", "Replay", "attributes_of", "journal_block", "replace", "scratched"]
