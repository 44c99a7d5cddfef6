"""The worker that sends what the outbox holds (``registry peer run``, and a step of ``run-due``).

For each transfer still ``proposed`` whose next attempt is due: until ``ask_after`` it resends the
proposal exactly as first signed (same id, same signature: the peer answers a copy as it answered
the first); afterwards it asks for the transfer's state with a new ``status`` message. Only a
signed answer that names the message it answers settles anything (``transfers.settle``); a
failure of any other kind (no connection, a timeout, a 4xx or 5xx, an unsigned or wrongly signed
body) waits for the next attempt, 5 s, 10 s, 20 s ... later, at most 10 minutes. Pending
first-transfer notices (``registry.peers.notices``) go the same way, signed anew at each attempt:
every outbox (``models.Outbox``) is retried by the one step ``retry_later``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.core import peer_messages as pm
from registry.core.checks import Check, CheckFailed
from registry.peers.keys import signing_key
from registry.peers.models import OutboundNotice, OutboundTransfer, Outbox, Peer, SeenMessage
from registry.peers.notices import give_up_when_exhausted, notice_message, settle_notice
from registry.peers.protocol import hosted_registries
from registry.peers.transfers import settle

logger = logging.getLogger("registry.peers")

ENDPOINT = "/api/v1/peer/"
#: Seen message ids are kept this long past the time window; older copies fail the window anyway.
SEEN_MARGIN = dt.timedelta(hours=1)


@dataclass
class Round:
    """What one pass of the worker did."""

    sent: int = 0
    completed: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    failed: int = 0
    #: first-transfer notices settled (recorded or refused by the peer, or given up)
    notices: list[int] = field(default_factory=list)


class NoAnswer(Exception):
    """The peer gave no signed answer to the message (the reason is kept for the next attempt)."""


def post(peer: Peer, message: dict[str, object]) -> tuple[int, bytes]:
    """POST ``message`` to the peer's endpoint: the HTTP status and body, whatever the status."""
    request = urllib.request.Request(
        peer.url.rstrip("/") + ENDPOINT,
        data=json.dumps(message).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.REGISTRY_PEER_TIMEOUT_SECONDS) as response:
            return response.status, response.read(1_000_000)
    except urllib.error.HTTPError as error:
        return error.code, error.read(100_000)


def exchange(peer: Peer, message: dict[str, object], now: dt.datetime) -> tuple[pm.Answer, str]:
    """Send ``message`` and open the peer's signed answer to it; ``NoAnswer`` otherwise."""
    question = pm.parse_envelope(message["body"])
    try:
        status, body = post(peer, message)
    except (OSError, ValueError) as error:  # refused, reset, timed out, unreachable
        raise NoAnswer(f"not sent: {error}") from None
    if status != 200:
        raise NoAnswer(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")
    try:
        parsed = json.loads(body)
        opened = pm.open_message(
            parsed,
            peer_keys={peer.registry_id: pm.parse_public_key(peer.public_key)},
            hosted=hosted_registries(),
            now=timezone.now(),
            seen=lambda _id: False,
            # An answer to a resent proposal is the first answer again, signed when first given.
            window=dt.timedelta(seconds=settings.REGISTRY_PEER_RESEND_SECONDS) + pm.DEFAULT_WINDOW,
        )
        return pm.parse_answer(opened, question), json.dumps(parsed)
    except (ValueError, CheckFailed) as error:
        unusable = CheckFailed(Check.PEER_ANSWER_INVALID, registry=peer.registry_id, message=question.message_id, detail=str(error))
        raise NoAnswer(str(unusable)) from None


def run_once(now: dt.datetime | None = None) -> Round:
    """One pass over the due transfers, then the due first-transfer notices, each settled in its own
    database transaction."""
    done = Round()
    moment = now or timezone.now()
    for outbound in list(OutboundTransfer.objects.due(moment).select_related("peer", "transaction")[:500]):
        attempt_at = timezone.now() if now is None else moment
        if attempt_at < outbound.ask_after:
            kind, message = pm.TRANSFER_PROPOSAL, json.loads(outbound.proposal)
        else:
            kind = pm.STATUS
            envelope = pm.new_envelope(
                outbound.transaction.registry.registry_id,
                outbound.peer.registry_id,
                pm.STATUS,
                {"transfer": outbound.transaction_id},
                attempt_at,
            )
            message = pm.sign_message(envelope, signing_key())
        answered = _attempt(outbound, kind, message, attempt_at, done)
        if answered is None:
            continue
        answer, text = answered
        decision = settle(outbound, kind, answer, text, attempt_at)
        if decision == pm.SETTLE_COMPLETE:
            done.completed.append(outbound.transaction_id)
        elif decision == pm.SETTLE_RELEASE:
            done.released.append(outbound.transaction_id)
        else:
            retry_later(outbound, kind, f"answered without deciding: {answer.outcome} {list(answer.codes)} {answer.detail}", attempt_at)
    for notice in list(OutboundNotice.objects.due(moment).select_related("peer", "transaction__registry")[:500]):
        answered = _attempt(notice, pm.FIRST_TRANSFER_NOTICE, notice_message(notice, moment), moment, done)
        if answered is not None:
            settle_notice(notice, *answered, moment)
            done.notices.append(notice.pk)
        elif give_up_when_exhausted(notice, moment):
            done.notices.append(notice.pk)
    forget_seen_messages(moment)
    return done


def _attempt(row: Outbox, kind: str, message: dict[str, object], now: dt.datetime, done: Round) -> tuple[pm.Answer, str] | None:
    """Send ``message`` for ``row``: the peer's signed answer, or None after putting the next attempt off."""
    done.sent += 1
    try:
        return exchange(row.peer, message, now)
    except NoAnswer as missing:
        retry_later(row, kind, str(missing), now)
        done.failed += 1
        return None


def retry_later(row: Outbox, kind: str, why: str, now: dt.datetime) -> None:
    """The one retry step of every outbox: back off (``Outbox.postpone``) and log the attempt that got no answer."""
    if not row.postpone(why, now):
        return  # settled meanwhile (by another worker): nothing to retry
    log_operation(
        None,
        Operation.PEER_MESSAGE_SENT,
        registry=row.transaction.registry,
        target=f"{kind} T{row.transaction_id} to {row.peer.registry_id}",
        outcome=f"no answer, attempt {row.attempts}: {why}"[:200],
    )


def forget_seen_messages(now: dt.datetime) -> int:
    """Forget message ids older than the time window plus a margin: the window refuses their copies."""
    deleted, _ = SeenMessage.objects.filter(received_at__lt=now - pm.DEFAULT_WINDOW - SEEN_MARGIN).delete()
    return deleted
