"""Reconciliation between two peer registries (docs/interoperability.md section 6), pure.

Each side states what its own books say about the other: the external transfers it sent to it, the
acquisitions it recorded from it, its transfers to it still pending, and where the serials that
passed between them sit now in its accounts. ``compare`` lays two such statements side by side,
block by block, and returns every discrepancy as a ``CheckFailed`` (15xx) naming the transaction
and the serials, plus the transfers merely in flight (pending on the sender, accepted or not yet
seen by the receiver), which are not discrepancies.

Timing: a transfer may complete between the moment we read our books and the moment the peer reads
its own. So the asker reads its statement before asking (``before``) and again after the answer
(``after``): our sent transfers are compared with ``before`` (the receiver accepts before the sender
completes, so what we completed before asking the peer had already accepted), their sent transfers
with ``after`` (we accepted before they completed, and they completed before answering); a record
found in only one of our two readings is in flight, not a discrepancy.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.core.checks import Check, CheckFailed
from registry.core.journal import canonical_json
from registry.core.peer_messages import REGISTRY_ID

#: A serial range with its originating registry: ``("JPN01", 1, 10)``.
Span = tuple[str, int, int]

STATEMENT_FIELDS = frozenset({"registry", "peer", "journal", "sent", "received", "pending", "holdings", "digest"})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One external transfer between the two: ``transaction`` is the sender's transaction number."""

    transaction: int
    from_account: str
    to_account: str
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Held:
    """Serials a side holds in ``account``; ``reserved_by`` a pending transaction of that side (0: none)."""

    span: Span
    account: str
    reserved_by: int


@dataclass(frozen=True, slots=True)
class Statement:
    """What registry ``registry`` says about its exchanges with ``peer``.

    ``sent`` and ``pending`` are keyed by our transaction number, ``received`` by the sender's (the
    counterpart its acquisitions name), so the two sides' records of one transfer share the key.
    """

    registry: str
    peer: str
    journal_length: int
    journal_head: str
    sent: Mapping[int, Exchange]
    received: Mapping[int, Exchange]
    pending: Mapping[int, Exchange]
    holdings: tuple[Held, ...]
    digest: str


@dataclass(frozen=True, slots=True)
class InFlight:
    """A transfer pending on its sender: ``accepted`` when the receiver already recorded it."""

    sender: str
    transaction: int
    spans: tuple[Span, ...]
    accepted: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    discrepancies: tuple[CheckFailed, ...]
    in_flight: tuple[InFlight, ...]

    @property
    def agreed(self) -> bool:
        return not self.discrepancies


# Spans --------------------------------------------------------------------------------------------


def normalise(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Sorted, with touching or overlapping ranges of one originating registry merged."""
    merged: list[Span] = []
    for registry, start, end in sorted(spans):
        if merged and merged[-1][0] == registry and start <= merged[-1][2] + 1:
            last = merged[-1]
            merged[-1] = (registry, last[1], max(last[2], end))
        else:
            merged.append((registry, start, end))
    return tuple(merged)


def intersect(first: Iterable[Span], second: Iterable[Span]) -> tuple[Span, ...]:
    """The serials in both (each argument normalised first)."""
    by_registry: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for registry, start, end in normalise(second):
        by_registry[registry].append((start, end))
    common: list[Span] = []
    for registry, start, end in normalise(first):
        for other_start, other_end in by_registry.get(registry, ()):
            low, high = max(start, other_start), min(end, other_end)
            if low <= high:
                common.append((registry, low, high))
    return normalise(common)


def subtract(spans: Iterable[Span], taken: Iterable[Span]) -> tuple[Span, ...]:
    """The serials of ``spans`` not in ``taken``."""
    left: list[Span] = []
    removed = normalise(taken)
    for registry, start, end in normalise(spans):
        cursor = start
        for other_registry, other_start, other_end in removed:
            if other_registry != registry or other_end < cursor or other_start > end:
                continue
            if other_start > cursor:
                left.append((registry, cursor, other_start - 1))
            cursor = max(cursor, other_end + 1)
        if cursor <= end:
            left.append((registry, cursor, end))
    return normalise(left)


def describe(spans: Iterable[Span]) -> str:
    """``JPN01:1-10, JPN01:21-30`` (how refusals name serials)."""
    return ", ".join(f"{registry}:{start}-{end}" for registry, start, end in normalise(spans)) or "-"


# The wire form ------------------------------------------------------------------------------------


def statement_body(
    *,
    registry: str,
    peer: str,
    journal_length: int,
    journal_head: str,
    sent: Iterable[Exchange],
    received: Iterable[Exchange],
    pending: Iterable[Exchange],
    holdings: Iterable[Held],
) -> dict[str, Any]:
    """The statement as it travels (JSON, integers only), with the SHA-256 digest of the rest."""

    def exchange(e: Exchange) -> dict[str, Any]:
        return {"transaction": e.transaction, "from": e.from_account, "to": e.to_account, "ranges": [list(s) for s in normalise(e.spans)]}

    body: dict[str, Any] = {
        "registry": registry,
        "peer": peer,
        "journal": {"length": journal_length, "head": journal_head},
        "sent": [exchange(e) for e in sorted(sent, key=lambda e: e.transaction)],
        "received": [exchange(e) for e in sorted(received, key=lambda e: e.transaction)],
        "pending": [exchange(e) for e in sorted(pending, key=lambda e: e.transaction)],
        "holdings": [
            {"range": list(h.span), "account": h.account, "reserved_by": h.reserved_by}
            for h in sorted(holdings, key=lambda h: (h.span, h.account))
        ],
    }
    return body | {"digest": digest(body)}


def digest(body: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the statement without its digest."""
    return hashlib.sha256(canonical_json({k: v for k, v in body.items() if k != "digest"}).encode("utf-8")).hexdigest()


def parse_statement(data: object, *, registry: str, peer: str) -> Statement:
    """The statement ``peer`` made about ``registry``, checked field by field (1531) and by digest (1532).

    ``registry`` here is the peer's registry id (the statement's author), ``peer`` ours.
    """

    def malformed(detail: str) -> CheckFailed:
        return CheckFailed(Check.RECONCILIATION_ANSWER_MALFORMED, peer=registry, detail=detail)

    if not isinstance(data, dict) or set(data) != STATEMENT_FIELDS:
        raise malformed(f"a statement is an object with exactly the fields {sorted(STATEMENT_FIELDS)}")
    if data["registry"] != registry or data["peer"] != peer:
        raise malformed(f"it is the statement of {data['registry']!r} about {data['peer']!r}, not of {registry} about {peer}")
    journal = data["journal"]
    if not (
        isinstance(journal, dict) and set(journal) == {"length", "head"} and _is_int(journal["length"]) and isinstance(journal["head"], str)
    ):
        raise malformed('"journal" must be {"length": integer, "head": text}')
    if not isinstance(data["digest"], str) or data["digest"] != digest(data):
        raise CheckFailed(Check.RECONCILIATION_DIGEST_MISMATCH, peer=registry)
    lists = {}
    for name in ("sent", "received", "pending"):
        items = data[name]
        if not isinstance(items, list):
            raise malformed(f'"{name}" must be a list')
        exchanges: dict[int, Exchange] = {}
        for item in items:
            if not (isinstance(item, dict) and set(item) == {"transaction", "from", "to", "ranges"}):
                raise malformed(f'every item of "{name}" has exactly "transaction", "from", "to" and "ranges"')
            number, source, target = item["transaction"], item["from"], item["to"]
            if not (_is_int(number) and isinstance(source, str) and isinstance(target, str)):
                raise malformed(f'in "{name}", "transaction" is an integer and "from" and "to" are account numbers')
            if number in exchanges:
                raise malformed(f'transaction {number} is in "{name}" twice')
            exchanges[number] = Exchange(number, source, target, _spans(item["ranges"], malformed))
        lists[name] = exchanges
    holdings = []
    for item in data["holdings"] if isinstance(data["holdings"], list) else [None]:
        if not (isinstance(item, dict) and set(item) == {"range", "account", "reserved_by"}):
            raise malformed('every holding is {"range": [registry, start, end], "account": number, "reserved_by": integer}')
        (span,) = _spans([item["range"]], malformed)
        if not (isinstance(item["account"], str) and _is_int(item["reserved_by"])):
            raise malformed('a holding\'s "account" is an account number and "reserved_by" an integer (0: not reserved)')
        holdings.append(Held(span, item["account"], item["reserved_by"]))
    return Statement(
        registry=registry,
        peer=peer,
        journal_length=journal["length"],
        journal_head=journal["head"],
        sent=lists["sent"],
        received=lists["received"],
        pending=lists["pending"],
        holdings=tuple(holdings),
        digest=data["digest"],
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _spans(value: object, malformed: Any) -> tuple[Span, ...]:
    if not isinstance(value, list):
        raise malformed("ranges are a list of [originating registry, start, end]")
    spans = []
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and REGISTRY_ID.match(item[0])
            and _is_int(item[1])
            and _is_int(item[2])
            and 1 <= item[1] <= item[2]
        ):
            raise malformed(f"{item!r} is not [originating registry, start, end] with 1 <= start <= end")
        spans.append((item[0], item[1], item[2]))
    return tuple(spans)


# Comparing ----------------------------------------------------------------------------------------


def compare(before: Statement, theirs: Statement, after: Statement) -> Comparison:
    """Every discrepancy between our statement (read ``before`` and ``after`` asking) and ``theirs``."""
    us, them = before.registry, theirs.registry
    found: list[CheckFailed] = []
    flying: list[InFlight] = []
    # Our transfers to them, against their acquisitions.
    found += _sent_against_received(us, them, before.sent, theirs.received)
    for number, acquired in sorted(theirs.received.items()):
        if number in before.sent:
            continue
        pending = before.pending.get(number) or after.pending.get(number)
        if number in after.sent or pending is not None:
            flying.append(InFlight(us, number, normalise(acquired.spans), accepted=True))
        else:
            found.append(_received_not_sent(us, them, number, acquired))
    flying += [InFlight(us, n, normalise(e.spans), False) for n, e in sorted(after.pending.items()) if n not in theirs.received]
    # Their transfers to us, against our acquisitions.
    found += _sent_against_received(them, us, theirs.sent, after.received)
    for number, acquired in sorted(after.received.items()):
        if number in theirs.sent:
            continue
        if number in theirs.pending:
            flying.append(InFlight(them, number, normalise(acquired.spans), accepted=True))
        else:
            found.append(_received_not_sent(them, us, number, acquired))
    flying += [InFlight(them, n, normalise(e.spans), False) for n, e in sorted(theirs.pending.items()) if n not in after.received]
    found += _held_on_both_sides(before, theirs, after, flying)
    return Comparison(tuple(found), tuple(flying))


def _sent_against_received(sender: str, receiver: str, sent: Mapping[int, Exchange], received: Mapping[int, Exchange]) -> list[CheckFailed]:
    found = []
    for number, transfer in sorted(sent.items()):
        acquired = received.get(number)
        ranges = describe(transfer.spans)
        if acquired is None:
            found.append(
                CheckFailed(Check.RECONCILIATION_SENT_NOT_RECEIVED, transaction=number, registry=sender, peer=receiver, ranges=ranges)
            )
        elif normalise(acquired.spans) != normalise(transfer.spans):
            found.append(
                CheckFailed(
                    Check.RECONCILIATION_RANGES_DIFFER,
                    transaction=number,
                    registry=sender,
                    peer=receiver,
                    ranges=ranges,
                    peer_ranges=describe(acquired.spans),
                )
            )
    return found


def _received_not_sent(sender: str, receiver: str, number: int, acquired: Exchange) -> CheckFailed:
    return CheckFailed(
        Check.RECONCILIATION_RECEIVED_NOT_SENT, transaction=number, registry=sender, peer=receiver, ranges=describe(acquired.spans)
    )


def _held_on_both_sides(before: Statement, theirs: Statement, after: Statement, flying: Sequence[InFlight]) -> list[CheckFailed]:
    """Serials we held in both our readings and they held too, other than those of a transfer in flight
    (its units stay reserved on the sender until it completes, while the receiver may hold them already)."""
    moving = [span for f in flying for span in f.spans]
    ours_after = [h.span for h in after.holdings]
    found = []
    for peer_account, theirs_held in _by_account(theirs.holdings).items():
        for account, ours_held in _by_account(before.holdings).items():
            both = subtract(intersect(intersect(ours_held, theirs_held), ours_after), moving)
            if both:
                found.append(
                    CheckFailed(
                        Check.RECONCILIATION_HELD_ON_BOTH_SIDES,
                        ranges=describe(both),
                        registry=before.registry,
                        account=account,
                        peer=theirs.registry,
                        peer_account=peer_account,
                    )
                )
    return found


def _by_account(holdings: Iterable[Held]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = defaultdict(list)
    for held in holdings:
        grouped[held.account].append(held.span)
    return dict(sorted(grouped.items()))
