"""Reconciliation with a peer registry (docs/interoperability.md section 6).

The receiving side answers a signed ``holdings_query`` with ``answer_holdings_query``: the statement
of what its books say about the asker (``registry.core.reconciliation``), read in one consistent
snapshot. The asking side (``reconcile``: ``registry reconcile --peer THA01`` and, once a day, ``run-due``)
reads its own statement, asks, reads its own again, compares block by block, records the outcome
and tells the registry's administrators of every discrepancy. Nothing of the ledger changes on
either side.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from registry.core import peer_messages as pm
from registry.core import reconciliation as core
from registry.core.checks import Check, CheckFailed, check_by_code
from registry.core.entries import Acquisition, ExternalTransfer, parse_body
from registry.core.peer_messages import new_envelope, open_message, parse_public_key, sign_message
from registry.core.status import FINAL
from registry.journal.models import JournalEntry
from registry.notifications.services import notify
from registry.parties.models import Registry
from registry.peers.keys import signing_key
from registry.peers.models import Peer, Reconciliation, ReconciliationOutcome
from registry.peers.services import administrators_of
from registry.peers.worker import post
from registry.refusals import refusal_message
from registry.transactions.models import Transaction, TransactionType
from registry.units.models import UnitBlock

#: A scheduled reconciliation that failed (the peer did not answer) is tried again after this long.
RETRY_AFTER = dt.timedelta(hours=1)


# The statement: what our books say about one peer -------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent reading: on PostgreSQL a repeatable-read transaction (every query sees the same
    snapshot); SQLite's read transaction is a snapshot already. Inside a caller's transaction the
    caller decides."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def statement(registry: Registry, peer_registry_id: str) -> dict[str, Any]:
    """``registry``'s statement about ``peer_registry_id``, in its wire form (with its digest)."""
    with _snapshot():
        head = Registry.objects.values_list("journal_length", "journal_head").get(pk=registry.pk)
        sent: list[core.Exchange] = []
        received: list[core.Exchange] = []
        rows = (
            JournalEntry.objects.filter(
                registry=registry,
                kind="transaction",
                sequence__lte=head[0],
                transaction__type__in=[TransactionType.EXTERNAL_TRANSFER, TransactionType.ACQUISITION],
            )
            .order_by("sequence")
            .values_list("body", flat=True)
        )
        for body in rows.iterator(chunk_size=2000):
            entry = parse_body(body).entry
            if isinstance(entry, ExternalTransfer) and entry.to_registry == peer_registry_id:
                spans = tuple((s.originating_registry, s.start, s.end) for s in entry.ranges)
                sent.append(core.Exchange(entry.transaction, entry.from_account, entry.to_account, spans))
            elif isinstance(entry, Acquisition) and entry.from_registry == peer_registry_id:
                spans = tuple((b.originating_registry, b.start, b.end) for b in entry.blocks)
                received.append(core.Exchange(entry.counterpart, entry.from_account, entry.to_account, spans))
        pending = list(_pending_to(registry, peer_registry_id))
        exchanged = core.normalise(span for e in (*sent, *received, *pending) for span in e.spans)
        return core.statement_body(
            registry=registry.registry_id,
            peer=peer_registry_id,
            journal_length=head[0],
            journal_head=head[1],
            sent=sent,
            received=received,
            pending=pending,
            holdings=_holdings(registry, exchanged),
        )


def _pending_to(registry: Registry, peer_registry_id: str) -> Iterator[core.Exchange]:
    """Our external transfers to the peer not yet in a final state (their units are still ours, reserved).

    The acquiring account is named by its number, which begins with its registry id (``THA01-000007``),
    whether it is an account of a peer installation or of another registry of this one.
    """
    pending = (
        Transaction.objects.filter(
            registry=registry, type=TransactionType.EXTERNAL_TRANSFER, to_account__number__startswith=f"{peer_registry_id}-"
        )
        .exclude(status__in=[s.value for s in FINAL])
        .select_related("from_account", "to_account")
        .prefetch_related("blocks")
        .order_by("pk")
    )
    for tx in pending:
        assert tx.from_account is not None and tx.to_account is not None
        spans = tuple((b.originating_registry, b.start, b.end) for b in tx.blocks.all())
        yield core.Exchange(tx.pk, tx.from_account.number, tx.to_account.number, spans)


def _holdings(registry: Registry, exchanged: tuple[core.Span, ...]) -> list[core.Held]:
    """Where the exchanged serials sit in ``registry``'s accounts, clipped to them: nothing else of our
    holdings is told to the peer."""
    held: list[core.Held] = []
    for chunk in (exchanged[i : i + 200] for i in range(0, len(exchanged), 200)):
        overlapping = Q()
        for origin, start, end in chunk:
            overlapping |= Q(originating_registry=origin, start__lte=end, end__gte=start)
        blocks = UnitBlock.objects.filter(overlapping, account__registry=registry).values_list(
            "originating_registry", "start", "end", "account__number", "reserved_by_id"
        )
        for origin, start, end, account, reserved_by in blocks:
            for span in core.intersect([(origin, start, end)], chunk):
                held.append(core.Held(span, account, reserved_by or 0))
    return held


# The receiving side ------------------------------------------------------------------------------


def answer_holdings_query(peer: Peer, query: dict[str, Any]) -> dict[str, Any]:
    """The answer to ``peer``'s verified ``holdings_query``: our statements about the asker.

    ``query`` is the query's payload (what the peer endpoint hands on) or the whole envelope body.
    ``{"registry": "JPN01"}`` asks about one registry of ours (the envelope's receiver, when the
    body is given): the answer is that registry's statement. ``{}`` asks about every registry this
    installation hosts: ``{"statements": {registry id: statement, ...}}``. Anything else is refused
    with 1530 before anything is read.
    """
    payload = query.get("payload") if "payload" in query else query
    if payload == {}:
        return {"statements": {r.registry_id: statement(r, peer.registry_id) for r in Registry.objects.order_by("registry_id")}}
    if not isinstance(payload, dict) or set(payload) != {"registry"}:
        raise CheckFailed(Check.RECONCILIATION_QUERY_MALFORMED, detail='the payload of a holdings query is {"registry": registry id}')
    asked = payload["registry"]
    registry = Registry.objects.filter(registry_id=asked).first() if isinstance(asked, str) else None
    if registry is None or ("receiver" in query and query["receiver"] != asked):
        raise CheckFailed(Check.RECONCILIATION_QUERY_MALFORMED, detail=f"{asked!r} is not a registry this installation hosts")
    return statement(registry, peer.registry_id)


# The asking side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    record: Reconciliation
    comparison: core.Comparison


def ask_holdings(registry: Registry, peer: Peer, now: dt.datetime | None = None) -> core.Statement:
    """Send ``peer`` a signed ``holdings_query`` from ``registry`` and return its verified statement.

    The query names the registry asked about (the envelope's receiver) in its payload too, since the
    peer's endpoint hands the kind only the payload. The answer is a signed ``ack`` like any other:
    its signature, time and the message it answers are checked; its statement is in ``result``.
    """
    envelope = new_envelope(
        registry.registry_id, peer.registry_id, pm.HOLDINGS_QUERY, {"registry": peer.registry_id}, now or timezone.now()
    )
    try:
        status, content = post(peer, sign_message(envelope, signing_key()))
    except (OSError, ValueError) as error:  # refused, reset, timed out, unreachable
        raise CheckFailed(Check.RECONCILIATION_PEER_UNREACHABLE, peer=peer.registry_id, detail=str(error)[:200]) from None
    if status != 200:
        raise _refused(peer, status, content)
    try:
        opened = open_message(
            json.loads(content),
            peer_keys={peer.registry_id: parse_public_key(peer.public_key)},
            hosted=[registry.registry_id],
            now=timezone.now(),
            seen=lambda _: False,  # its id need not be remembered: it must answer this query's fresh id
        )
        answer = pm.parse_answer(opened, envelope)
    except ValueError as error:
        raise CheckFailed(Check.RECONCILIATION_ANSWER_MALFORMED, peer=peer.registry_id, detail=str(error)[:300]) from None
    if answer.outcome != pm.ACCEPTED:
        raise CheckFailed(Check.RECONCILIATION_PEER_REFUSED, peer=peer.registry_id, code=answer.codes[0], detail=answer.detail[:300])
    return core.parse_statement(dict(answer.result or {}), registry=peer.registry_id, peer=registry.registry_id)


def _refused(peer: Peer, status: int, content: bytes) -> CheckFailed:
    """A refusal of the query's envelope (problem details with the peer's check code), or no usable answer."""
    try:
        problem = json.loads(content)
        code, detail = int(problem["code"]), str(problem.get("detail", ""))
    except (ValueError, KeyError, TypeError):
        return CheckFailed(Check.RECONCILIATION_PEER_UNREACHABLE, peer=peer.registry_id, detail=f"HTTP {status}")
    return CheckFailed(Check.RECONCILIATION_PEER_REFUSED, peer=peer.registry_id, code=code, detail=detail[:300])


def reconcile(registry: Registry, peer: Peer) -> Outcome:
    """Compare ``registry``'s books with ``peer``'s, record the outcome and notify the administrators of
    a discrepancy. A peer that cannot be asked is recorded as ``failed`` and raised (15xx)."""
    started = timezone.now()
    before = core.parse_statement(statement(registry, peer.registry_id), registry=registry.registry_id, peer=peer.registry_id)
    try:
        theirs = ask_holdings(registry, peer)
    except CheckFailed as failure:
        Reconciliation.objects.create(
            registry=registry,
            peer=peer,
            started_at=started,
            finished_at=timezone.now(),
            outcome=ReconciliationOutcome.FAILED,
            discrepancies=[_stored(failure)],
            our_digest=before.digest,
            detail=failure.message,
        )
        raise
    after = core.parse_statement(statement(registry, peer.registry_id), registry=registry.registry_id, peer=peer.registry_id)
    comparison = core.compare(before, theirs, after)
    with transaction.atomic():
        record = Reconciliation.objects.create(
            registry=registry,
            peer=peer,
            started_at=started,
            finished_at=timezone.now(),
            outcome=ReconciliationOutcome.AGREED if comparison.agreed else ReconciliationOutcome.DISCREPANCIES,
            discrepancies=[_stored(d) for d in comparison.discrepancies],
            in_flight=len(comparison.in_flight),
            our_digest=after.digest,
            their_digest=theirs.digest,
        )
        if not comparison.agreed:
            notify(
                administrators_of(registry),
                "reconciliation_discrepancies",
                registry=registry.registry_id,
                peer=peer.registry_id,
                count=len(comparison.discrepancies),
                discrepancies=record.discrepancies,
            )
    return Outcome(record, comparison)


def _stored(failure: CheckFailed) -> dict[str, Any]:
    return {"code": failure.code, "params": {k: v if isinstance(v, int | str) else str(v) for k, v in failure.params.items()}}


def stored_discrepancy(stored: dict[str, Any]) -> CheckFailed:
    """A discrepancy as ``Reconciliation.discrepancies`` keeps it, to be shown in the reader's language."""
    return CheckFailed(check_by_code(int(stored["code"])), **stored["params"])


# Scheduled ---------------------------------------------------------------------------------------


def due_pairs(now: dt.datetime) -> Iterable[tuple[Registry, Peer]]:
    """Each registry of this installation with each registered peer, when its last reconciliation
    agreed or found discrepancies more than ``REGISTRY_RECONCILE_HOURS`` ago (or never), and it did
    not fail within the last hour."""
    every = dt.timedelta(hours=settings.REGISTRY_RECONCILE_HOURS)
    for peer in Peer.objects.registered().order_by("registry_id"):
        for registry in Registry.objects.order_by("registry_id"):
            latest = Reconciliation.objects.filter(registry=registry, peer=peer).order_by("-started_at", "-pk")
            done = latest.exclude(outcome=ReconciliationOutcome.FAILED).first()
            failed = latest.filter(outcome=ReconciliationOutcome.FAILED).first()
            if done is not None and now - done.started_at < every:
                continue
            if failed is not None and now - failed.started_at < RETRY_AFTER:
                continue
            yield registry, peer


def reconcile_due(now: dt.datetime | None = None) -> list[tuple[Registry, Peer, Outcome | CheckFailed]]:
    """Run every reconciliation that is due (a step of ``run-due``); a peer that fails does not stop the others."""
    results: list[tuple[Registry, Peer, Outcome | CheckFailed]] = []
    for registry, peer in list(due_pairs(now or timezone.now())):
        try:
            results.append((registry, peer, reconcile(registry, peer)))
        except CheckFailed as failure:
            results.append((registry, peer, failure))
    return results


def render_discrepancies(value: Any) -> str:
    """A notification's stored discrepancies, each ``[code] message`` in the reader's language."""
    if not isinstance(value, list):
        return str(value)
    shown = []
    for stored in value:
        try:
            shown.append(refusal_message(stored_discrepancy(stored)))
        except (KeyError, TypeError, ValueError):
            shown.append(str(stored))
    return " ".join(shown)
