"""Replaying one registry's journal from empty: its blocks, its accounts and its Article 6 records.

Used by ``verify`` (what the replay rebuilds must equal what the database stores) and by the Agreed
Electronic Format and ``registry adjustments`` (every figure they report is what the journal
proves). Both replay into a scratch database (``scratched``), so their memory does not grow with the
ledger. Each entry says everything needed: issuance and acquisition bring whole blocks with their
attributes; movements name serial ranges; authorisation and first transfer restate ranges; an
authorisation's versions, first transfers, corresponding adjustments and the using Party, entity
and purpose of each use and cancellation are entries or fields of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from registry.core import entries as e
from registry.core.ledger import Ledger, LedgerConflict
from registry.core.serials import Block, SerialRange
from registry.journal.scratch import ScratchStore
from registry.parties.models import Project


class Attributes(NamedTuple):
    unit_type: str
    project: str
    vintage: int
    approach: str | None
    first_transferring_party: str | None
    issuance: int
    authorization: str | None
    first_transferred: bool


def attributes_of(block: e.JournalBlock) -> Attributes:
    return Attributes(
        block.unit_type,
        block.project,
        block.vintage,
        block.approach,
        block.first_transferring_party,
        block.issuance,
        block.authorization,
        block.first_transferred,
    )


@dataclass(frozen=True, slots=True)
class ProvenFirstTransfer:
    """A first transfer as the journal proves it (one per block named)."""

    transaction: int
    authorization: str
    first_transferring_party: str
    acquiring_party: str | None
    originating_registry: str
    start: int
    end: int
    vintage: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ProvenAdjustment:
    """A corresponding adjustment as the journal proves it, with the transaction that made it."""

    transaction: int
    adjustment: e.Adjustment


@dataclass
class Applied:
    """What one journal entry did: the entry and the pieces (as they were before) it touched."""

    recorded: e.Recorded
    pieces: list[Block[Attributes]]


#: Project identifier -> alpha-3 of its host Party: only for uses journaled before their adjustments were.
Hosts = Callable[[str], str | None]


@dataclass
class Replay:
    ledger: Ledger[Attributes] = field(default_factory=Ledger)
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)  # number -> (type, status)
    #: every version of every authorisation, in the order recorded
    authorizations: dict[str, list[e.AuthorizationVersion]] = field(default_factory=dict)
    first_transfers: list[ProvenFirstTransfer] = field(default_factory=list)
    adjustments: list[ProvenAdjustment] = field(default_factory=list)
    #: retirements and cancellations by transaction: their purpose, kind, using Party and entity
    uses: dict[int, e.Retirement | e.Cancellation] = field(default_factory=dict)
    hosts: Hosts | None = None
    #: transfers to peer registries proposed and not yet answered: their units are reserved
    reservations: dict[int, e.PeerTransferReserved] = field(default_factory=dict)
    #: transfers to peer registries whose reservation the peer's refusal (or void) released
    released: dict[int, e.PeerTransferReleased] = field(default_factory=dict)

    def apply(self, recorded: e.Recorded) -> Applied:
        entry = recorded.entry
        if self.reservations and not isinstance(entry, e.PeerTransferState):
            self._check_not_reserved(entry)
        match entry:
            case e.PeerTransferReserved():
                self._reserve(entry)
                return Applied(recorded, [])
            case e.PeerTransferReleased():
                self._release(entry)
                return Applied(recorded, [])
            case e.AccountOpened() | e.AccountStatusChanged():
                self.accounts[entry.account] = (entry.type, entry.status)
                return Applied(recorded, [])
            case e.AuthorizationVersion():
                self.authorizations.setdefault(entry.identifier, []).append(entry)
                return Applied(recorded, [])
            case e.Issuance() | e.Acquisition():
                pieces = [
                    Block(b.originating_registry, SerialRange(b.start, b.end), entry.to_account, attributes_of(b)) for b in entry.blocks
                ]
                for piece in pieces:
                    self.ledger.add(piece)
                return Applied(recorded, pieces)
            case e.ExternalTransfer():
                reserved = self.reservations.pop(entry.transaction, None)
                if reserved is not None and not _same_spans(reserved.ranges, entry.ranges):
                    raise LedgerConflict(
                        f"transaction {entry.transaction} sends {_spans(entry.ranges)}, it reserved {_spans(reserved.ranges)}"
                    )
                return Applied(recorded, self._each(entry.ranges, lambda o, r: self.ledger.remove(o, r, entry.from_account)))
            case e.UnitsAuthorized():
                authorized = entry.authorization
                return Applied(
                    recorded,
                    self._each_held(
                        entry.ranges, lambda o, r, h: self.ledger.restate(o, r, h, lambda a: a._replace(authorization=authorized))
                    ),
                )
            case e.FirstTransferred(used_in=str() as used_in):
                # Used in a peer registry after they left: they are not in this ledger any more.
                pieces = [
                    Block(
                        u.originating_registry,
                        SerialRange(u.start, u.end),
                        used_in,
                        Attributes(
                            u.unit_type, u.project, u.vintage, u.approach, entry.first_transferring_party, 0, entry.authorization, True
                        ),
                    )
                    for u in entry.units
                ]
                self._first_transferred(recorded.took_effect, entry, pieces)
                return Applied(recorded, pieces)
            case e.FirstTransferred():
                pieces = self._each_held(
                    entry.ranges, lambda o, r, h: self.ledger.restate(o, r, h, lambda a: a._replace(first_transferred=True))
                )
                self._first_transferred(recorded.took_effect, entry, pieces)
                return Applied(recorded, pieces)
            case e.InternalTransfer() | e.Correction() | e.Retirement() | e.Cancellation():
                moving = entry
                pieces = self._each(entry.ranges, lambda o, r: self.ledger.move(o, r, moving.from_account, moving.to_account))
                if isinstance(entry, e.Retirement | e.Cancellation):
                    self.uses[entry.transaction] = entry
                if isinstance(entry, e.Retirement) and entry.towards_ndc:
                    self._used(recorded.took_effect, entry, pieces)
                return Applied(recorded, pieces)

    def _reserve(self, entry: e.PeerTransferReserved) -> None:
        """The units must be held by the sending account and reserved for nothing else."""
        if entry.transaction in self.reservations or entry.transaction in self.released:
            raise LedgerConflict(f"transaction {entry.transaction} reserves units a second time")
        for span in entry.ranges:
            self.ledger.check_held(span.originating_registry, SerialRange(span.start, span.end), entry.from_account)
        self._check_not_reserved(entry)
        self.reservations[entry.transaction] = entry

    def _release(self, entry: e.PeerTransferReleased) -> None:
        reserved = self.reservations.pop(entry.transaction, None)
        if reserved is None:
            raise LedgerConflict(f"transaction {entry.transaction} releases units it never reserved")
        if not _same_spans(reserved.ranges, entry.ranges):
            raise LedgerConflict(f"transaction {entry.transaction} releases {_spans(entry.ranges)}, it reserved {_spans(reserved.ranges)}")
        self.released[entry.transaction] = entry

    def _check_not_reserved(self, entry: e.Entry) -> None:
        """Reserved units move only by the transfer they are reserved for (or are restated in place)."""
        match entry:
            case e.InternalTransfer() | e.Correction() | e.Retirement() | e.Cancellation() | e.ExternalTransfer():
                spans, own = entry.ranges, entry.transaction
            case e.PeerTransferReserved():
                spans, own = entry.ranges, entry.transaction
            case _:
                return
        for other in self.reservations.values():
            if other.transaction == own:
                continue
            for span in spans:
                for held in other.ranges:
                    if span.originating_registry == held.originating_registry and span.start <= held.end and held.start <= span.end:
                        raise LedgerConflict(
                            f"{span.originating_registry} serials {span.start}-{span.end} are reserved for transaction {other.transaction}"
                        )

    def _first_transferred(self, at: datetime, entry: e.FirstTransferred, pieces: list[Block[Attributes]]) -> None:
        for piece in pieces:
            self.first_transfers.append(
                ProvenFirstTransfer(
                    entry.transaction,
                    entry.authorization,
                    entry.first_transferring_party,
                    entry.acquiring_party,
                    piece.originating_registry,
                    piece.range.start,
                    piece.range.end,
                    piece.attributes.vintage,
                    at,
                )
            )
        adjustments = entry.adjustments
        if adjustments is None:  # journaled before adjustments were: the addition for each vintage
            adjustments = _summed(pieces, entry.first_transferring_party, "first_transfer", year=None)
        self.adjustments += [ProvenAdjustment(entry.transaction, a) for a in adjustments]

    def _used(self, at: datetime, entry: e.Retirement, pieces: list[Block[Attributes]]) -> None:
        adjustments = entry.adjustments
        if adjustments is None:  # journaled before adjustments were: the using Party subtracts foreign units
            assert entry.using_party is not None
            hosts = self.hosts or (lambda _project: None)
            foreign = [p for p in pieces if hosts(p.attributes.project) != entry.using_party and p.attributes.authorization]
            adjustments = _summed(foreign, entry.using_party, "use", year=entry.ndc_year or at.year)
        self.adjustments += [ProvenAdjustment(entry.transaction, a) for a in adjustments]

    @staticmethod
    def _each(ranges: tuple[e.Span, ...], act: Callable[[str, SerialRange], list[Block[Attributes]]]) -> list[Block[Attributes]]:
        pieces: list[Block[Attributes]] = []
        for span in ranges:
            pieces += act(span.originating_registry, SerialRange(span.start, span.end))
        return pieces

    @staticmethod
    def _each_held(
        ranges: tuple[e.HeldSpan, ...], act: Callable[[str, SerialRange, str], list[Block[Attributes]]]
    ) -> list[Block[Attributes]]:
        pieces: list[Block[Attributes]] = []
        for span in ranges:
            pieces += act(span.originating_registry, SerialRange(span.start, span.end), span.holder)
        return pieces

    def blocks(self) -> Iterator[Block[Attributes]]:
        return self.ledger.blocks()

    def current_authorizations(self) -> dict[str, e.AuthorizationVersion]:
        """The version in force of each authorisation (the last one recorded)."""
        return {identifier: versions[-1] for identifier, versions in self.authorizations.items()}


def _same_spans(a: tuple[e.Span, ...], b: tuple[e.Span, ...]) -> bool:
    """Whether ``a`` and ``b`` name the same serials, however cut."""

    def merged(spans: tuple[e.Span, ...]) -> list[list[Any]]:
        out: list[list[Any]] = []
        for s in sorted(spans, key=lambda s: (s.originating_registry, s.start)):
            if out and out[-1][0] == s.originating_registry and out[-1][2] + 1 == s.start:
                out[-1][2] = s.end
            else:
                out.append([s.originating_registry, s.start, s.end])
        return out

    return merged(a) == merged(b)


def _spans(ranges: tuple[e.Span, ...]) -> str:
    return ", ".join(f"{s.originating_registry} {s.start}-{s.end}" for s in ranges)


def _summed(pieces: list[Block[Attributes]], party: str, kind: str, year: int | None) -> tuple[e.Adjustment, ...]:
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for piece in pieces:
        assert piece.attributes.authorization is not None
        totals[(piece.attributes.authorization, piece.attributes.vintage)] += piece.range.quantity
    return tuple(e.Adjustment(party, kind, a, vintage, year or vintage, quantity) for (a, vintage), quantity in sorted(totals.items()))


def project_hosts() -> Hosts:
    """Host Party of each project, for uses journaled before their adjustments were (looked up once)."""
    hosts: dict[str, str] | None = None

    def host(project: str) -> str | None:
        nonlocal hosts
        if hosts is None:
            hosts = dict(Project.objects.values_list("identifier", "host_party__alpha3"))
        return hosts.get(project)

    return host


@contextmanager
def scratched(hosts: Hosts | None = None) -> Iterator[Replay]:
    """A replay whose blocks live in a scratch database, thrown away on leaving."""
    store: ScratchStore[Attributes] = ScratchStore(lambda values: Attributes(*values))
    try:
        yield Replay(Ledger(store), hosts=hosts)
    finally:
        store.close()


__all__ = [
    "Applied",
    "Attributes",
    "Hosts",
    "ProvenAdjustment",
    "ProvenFirstTransfer",
    "Replay",
    "attributes_of",
    "project_hosts",
    "replace",
    "scratched",
]
