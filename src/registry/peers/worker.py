"""The worker that sends what the outbox holds (``registry peer run``, and a step of ``run-due``).

For each transfer still ``proposed`` whose next attempt is due: until ``ask_after`` it resends the
proposal exactly as first signed (same id, same signature: the peer answers a copy as it answered
the first); afterwards it asks for the transfer's state with a new ``status`` message. Only a
signed answer that names the message it answers settles anything (``transfers.settle``); a
failure of any other kind (no connection, a timeout, a 4xx or 5xx, an unsigned or wrongly signed
body) waits for the next attempt, 5 s, 10 s, 20 s ... later, at most 10 minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction as db
from django.utils import timezone

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.core import peer_messages as pm
from registry.core.checks import Check, CheckFailed
from registry.peers.keys import signing_key
from registry.peers.models import OutboundState, OutboundTransfer, Peer, SeenMessage
from registry.peers.notices import send_due_notices
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
    #: first-transfer notices answered (recorded or refused by the peer)
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
    """One pass over the due transfers, each settled in its own database transaction."""
    done = Round()
    moment = now or timezone.now()
    due = OutboundTransfer.objects.filter(state=OutboundState.PROPOSED, next_attempt_at__lte=moment).select_related("peer", "transaction")
    for outbound in list(due.order_by("next_attempt_at", "pk")[:500]):
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
        done.sent += 1
        try:
            answer, text = exchange(outbound.peer, message, attempt_at)
        except NoAnswer as missing:
            _wait(outbound, kind, str(missing), attempt_at)
            done.failed += 1
            continue
        decision = settle(outbound, kind, answer, text, attempt_at)
        if decision == pm.SETTLE_COMPLETE:
            done.completed.append(outbound.transaction_id)
        elif decision == pm.SETTLE_RELEASE:
            done.released.append(outbound.transaction_id)
        else:
            _wait(outbound, kind, f"answered without deciding: {answer.outcome} {list(answer.codes)} {answer.detail}", attempt_at)
    settled, unanswered = send_due_notices(moment, exchange)
    done.notices += settled
    done.sent += len(settled) + unanswered
    done.failed += unanswered
    forget_seen_messages(moment)
    return done


def _wait(outbound: OutboundTransfer, kind: str, why: str, now: dt.datetime) -> None:
    with db.atomic():
        locked = OutboundTransfer.objects.select_for_update().get(pk=outbound.pk)
        if locked.state != OutboundState.PROPOSED:
            return
        locked.attempts += 1
        delay = pm.retry_delay(locked.attempts, first=dt.timedelta(seconds=settings.REGISTRY_PEER_FIRST_RETRY_SECONDS))
        locked.next_attempt_at = now + delay
        locked.last_error = why[:1000]
        locked.save(update_fields=["attempts", "next_attempt_at", "last_error"])
    log_operation(
        None,
        Operation.PEER_MESSAGE_SENT,
        registry=outbound.transaction.registry,
        target=f"{kind} T{outbound.transaction_id} to {outbound.peer.registry_id}",
        outcome=f"no answer, attempt {locked.attempts}: {why}"[:200],
    )


def forget_seen_messages(now: dt.datetime) -> int:
    """Forget message ids older than the time window plus a margin: the window refuses their copies."""
    deleted, _ = SeenMessage.objects.filter(received_at__lt=now - pm.DEFAULT_WINDOW - SEEN_MARGIN).delete()
    return deleted
