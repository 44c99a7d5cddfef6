"""A first transfer at use or cancellation, recorded by the registry of the Party that authorised it
(docs/interoperability.md §5a).

ITMOs whose authorisation puts the first transfer at their "Use or Cancellation" may travel to a
peer registry before it happens; when they are used or cancelled there, only the authorising Party
records the first transfer and its corresponding adjustment (2/CMA.3 annex para 2(b)). The using
registry stores a signed ``first_transfer_notice`` in its outbox in the database transaction of
the use (``enqueue_notices``, or the use is refused 1517 when the authorising registry is not a
registered peer); the worker sends it until answered (``registry.peers.worker``); the authorising
registry checks it and records the first transfer dated at the use (``answer_notice``), once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction as db
from django.dispatch import receiver
from django.utils import timezone

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.accounts.models import AccountType
from registry.article6 import rules
from registry.article6.models import Authorization, FirstTransfer, FirstTransferDefinition
from registry.core import peer_messages as pm
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.journal.services import journaled_authorizations
from registry.notifications.services import notify
from registry.parties.models import Registry
from registry.parties.services import Actor
from registry.peers.keys import signing_key
from registry.peers.models import InboundNotice, NoticeState, OutboundNotice, Peer
from registry.peers.services import administrators_of, ensure_installation_administrator
from registry.peers.transfers import peer_refusal
from registry.refusals import kept_params, kept_refusal_message
from registry.transactions.article6_services import record_first_transfer_used_abroad
from registry.transactions.blocks import blocks_overlapping
from registry.transactions.handoff import first_transfer_abroad_due
from registry.transactions.models import Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.units.holdings import identifier_of
from registry.units.models import UnitBlock

# The using registry ---------------------------------------------------------------------------------


@receiver(first_transfer_abroad_due, dispatch_uid="registry.peers.enqueue_notices")
def enqueue_notices(sender: object, transaction: Transaction, blocks: Sequence[UnitBlock], now: dt.datetime, **_: Any) -> bool:
    """One notice per authorising registry (the registry the units were issued in) into the outbox,
    in the caller's database transaction; 1517 if that registry is not a registered peer."""
    assert transaction.from_account is not None
    by_registry: dict[str, list[UnitBlock]] = defaultdict(list)
    for block in sorted(blocks, key=lambda b: (b.originating_registry, b.start)):
        by_registry[block.originating_registry].append(block)
    for registry_id, group in sorted(by_registry.items()):
        peer = Peer.objects.registered().filter(registry_id=registry_id).first()
        if peer is None:
            raise rules.fail(Check.PEER_NOTICE_PEER_UNKNOWN, group, registry=registry_id)
        notice = pm.Notice(
            notice=transaction.pk,
            used_at=now,
            use="cancellation",
            using_account=transaction.from_account.number,
            using_party=transaction.registry.party.alpha3,
            oimp_purpose=transaction.oimp_purpose,
            blocks=tuple(
                pm.NoticedBlock(
                    originating_registry=b.originating_registry,
                    start=b.start,
                    end=b.end,
                    unit_type=b.unit_type.code,
                    project=b.project.identifier,
                    vintage=b.vintage,
                    cooperative_approach=b.cooperative_approach.identifier if b.cooperative_approach else None,
                    authorization=b.authorization.identifier if b.authorization else "",
                    identifier=identifier_of(b),
                )
                for b in group
            ),
        )
        OutboundNotice.objects.create(transaction=transaction, peer=peer, payload=notice.as_payload(), created_at=now, next_attempt_at=now)
    return True


def notice_message(notice: OutboundNotice, now: dt.datetime) -> dict[str, Any]:
    """The notice, signed anew for this attempt (a new message id and time, the same payload)."""
    envelope = pm.new_envelope(
        notice.transaction.registry.registry_id, notice.peer.registry_id, pm.FIRST_TRANSFER_NOTICE, notice.payload, now
    )
    return pm.sign_message(envelope, signing_key())


def settle_notice(notice: OutboundNotice, answer: pm.Answer, text: str, now: dt.datetime) -> None:
    """A signed answer settles the notice: recorded if accepted; refused otherwise, its codes kept and
    the administrators told (the refusal is for good: the peer answered)."""
    with db.atomic():
        locked = OutboundNotice.objects.select_for_update(of=("self",)).select_related("transaction__registry", "peer").get(pk=notice.pk)
        if locked.state != NoticeState.PENDING:
            return
        locked.state = NoticeState.RECORDED if answer.outcome == pm.ACCEPTED else NoticeState.REFUSED
        locked.answer, locked.settled_at = text, now
        if answer.outcome != pm.ACCEPTED:
            locked.last_error = f"{list(answer.codes)} {answer.detail}"[:1000]
            _, refusal = peer_refusal(locked.peer.registry_id, answer, Check.PEER_NOTICE_REFUSED, transaction=locked.transaction_id)
            _not_recorded(locked, refusal)
        locked.save(update_fields=["state", "answer", "settled_at", "last_error", "not_recorded"])
    log_operation(
        None,
        Operation.PEER_MESSAGE_SENT,
        registry=notice.transaction.registry,
        target=f"{pm.FIRST_TRANSFER_NOTICE} T{notice.transaction_id} to {notice.peer.registry_id}",
        outcome=f"{locked.state} {' '.join(str(c) for c in answer.codes)}".strip(),
    )


def give_up_when_exhausted(notice: OutboundNotice, now: dt.datetime) -> bool:
    """After ``REGISTRY_PEER_NOTICE_ATTEMPTS`` attempts without an answer the notice is given up
    (1521) and the administrators told: a peer that long silent needs people, not more retries."""
    if notice.attempts < settings.REGISTRY_PEER_NOTICE_ATTEMPTS:
        return False
    with db.atomic():
        locked = OutboundNotice.objects.select_for_update(of=("self",)).select_related("transaction__registry", "peer").get(pk=notice.pk)
        if locked.state != NoticeState.PENDING:
            return False
        locked.state, locked.settled_at = NoticeState.GIVEN_UP, now
        failure = CheckFailed(
            Check.PEER_NOTICE_GIVEN_UP, registry=locked.peer.registry_id, transaction=locked.transaction_id, count=locked.attempts
        )
        _not_recorded(locked, failure)
        locked.save(update_fields=["state", "settled_at", "not_recorded"])
    log_operation(
        None,
        Operation.PEER_MESSAGE_SENT,
        registry=locked.transaction.registry,
        target=f"{pm.FIRST_TRANSFER_NOTICE} T{locked.transaction_id} to {locked.peer.registry_id}",
        outcome=f"{locked.state} {failure.code} after {locked.attempts} attempts",
    )
    return True


def _not_recorded(notice: OutboundNotice, failure: CheckFailed) -> None:
    """Keep why the notice ended unrecorded, and tell the registry's administrators and the
    installation's (who may send it again), in the transaction that ends it."""
    notice.not_recorded = {"code": failure.code, "params": kept_params(failure), "message": failure.message}
    registry = notice.transaction.registry
    superusers = User.objects.filter(is_superuser=True, is_active=True)
    notify(
        [*administrators_of(registry), *superusers],
        "peer_notice_not_recorded",
        registry=registry.registry_id,
        peer=notice.peer.registry_id,
        transaction=notice.transaction_id,
        refusal=notice.not_recorded,
    )


def not_recorded_message(notice: OutboundNotice) -> str:
    """Why ``notice`` ended refused or given up, in the active language ("" while it is pending or recorded)."""
    kept = notice.not_recorded
    if not kept:
        return ""
    return kept_refusal_message(kept.get("code"), kept.get("params") or {}, str(kept.get("message", "")))


def notice_to_resend(notice_id: int, lock: bool = False) -> OutboundNotice:
    """The notice ``notice_id`` if it may be sent again: refused or given up (1522 otherwise;
    ``OutboundNotice.DoesNotExist`` if there is none)."""
    rows = OutboundNotice.objects.select_related("transaction__registry", "peer")
    notice: OutboundNotice = (rows.select_for_update(of=("self",)) if lock else rows).get(pk=notice_id)
    if notice.state not in (NoticeState.REFUSED, NoticeState.GIVEN_UP):
        raise CheckFailed(
            Check.PEER_NOTICE_NOT_TO_RESEND,
            transaction=notice.transaction_id,
            registry=notice.peer.registry_id,
        )
    return notice


def resend_notice(actor: Actor, notice_id: int, ip: str | None = None) -> OutboundNotice:
    """An installation administrator sends a refused or given-up notice again: pending from now,
    its attempts counted afresh."""
    target = f"{pm.FIRST_TRANSFER_NOTICE} #{notice_id}"
    try:
        ensure_installation_administrator(actor)
        with db.atomic():
            notice = notice_to_resend(notice_id, lock=True)
            target = f"{pm.FIRST_TRANSFER_NOTICE} T{notice.transaction_id} to {notice.peer.registry_id}"
            notice.state, notice.attempts, notice.next_attempt_at = NoticeState.PENDING, 0, timezone.now()
            notice.answer, notice.settled_at, notice.not_recorded = "", None, {}
            notice.save(update_fields=["state", "attempts", "next_attempt_at", "answer", "settled_at", "not_recorded"])
    except CheckFailed as failure:
        log_operation(actor, Operation.PEER_MESSAGE_SENT, target=target, outcome=f"refused {failure.code}", ip=ip)
        raise
    log_operation(actor, Operation.PEER_MESSAGE_SENT, registry=notice.transaction.registry, target=target, outcome="sent again", ip=ip)
    return notice


# The authorising registry ---------------------------------------------------------------------------


def answer_notice(envelope: pm.Envelope, now: dt.datetime) -> pm.Answer:
    """Record the first transfers a peer's notice reports (inside the caller's database
    transaction), or refuse it with the check it fails; a notice recorded before gets the same answer."""
    notice = pm.parse_notice(envelope.payload, envelope.sender)
    if notice.used_at > now + pm.DEFAULT_WINDOW:
        raise pm.PayloadInvalid("used_at is in the future")
    known = InboundNotice.objects.select_for_update().filter(sender=envelope.sender, notice=notice.notice).first()
    if known is not None:
        return pm.accepted(envelope.message_id, {"notice": notice.notice, "first_transfers": known.first_transfers})
    groups: dict[tuple[str, str], list[pm.NoticedBlock]] = defaultdict(list)
    for block in notice.blocks:
        groups[(block.originating_registry, block.authorization)].append(block)
    checked = [(_authorization(registry_id, identifier), group) for (registry_id, identifier), group in sorted(groups.items())]
    used_at = min(notice.used_at, now)
    recorded = []
    for authorization, group in checked:
        for block in group:
            _check_sent_and_not_first_transferred(authorization.registry, block)
        rows = [
            UnitBlock(originating_registry=b.originating_registry, start=b.start, end=b.end, vintage=b.vintage, authorization=authorization)
            for b in group
        ]
        tx = record_first_transfer_used_abroad(
            authorization,
            rows,
            used_in=envelope.sender,
            use=notice.notice,
            use_type=TransactionType.CANCELLATION,
            using_account=notice.using_account,
            identifiers=[b.identifier for b in group],
            projects=[b.project for b in group],
            unit_types=[b.unit_type for b in group],
            used_at=used_at,
            now=now,
        )
        recorded.append(tx.pk)
    InboundNotice.objects.create(sender=envelope.sender, notice=notice.notice, first_transfers=recorded, recorded_at=now)
    return pm.accepted(envelope.message_id, {"notice": notice.notice, "first_transfers": recorded})


def _authorization(registry_id: str, identifier: str) -> Authorization:
    """This installation's own authorisation ``identifier`` of ``registry_id``, whose journaled
    version puts the first transfer at use or cancellation (1518, 1519 otherwise)."""
    registry = Registry.objects.filter(registry_id=registry_id).first()
    if registry is None:
        raise CheckFailed(Check.PEER_NOTICE_UNITS_NOT_SENT, ranges=f"{registry_id} ({identifier})", registry=registry_id)
    authorization = (
        Authorization.objects.select_related("registry__party", "cooperative_approach")
        .filter(registry=registry, identifier=identifier, authorizing_party__isnull=True)
        .first()
    )
    version = journaled_authorizations(registry, [identifier]).get(identifier) if authorization else None
    if authorization is None or version is None or version.first_transfer_definition != FirstTransferDefinition.USE_OR_CANCELLATION:
        raise CheckFailed(
            Check.PEER_NOTICE_NOT_AT_USE,
            authorization=identifier,
            registry=registry_id,
            definition=version.first_transfer_definition if version else "-",
        )
    return authorization


def _check_sent_and_not_first_transferred(registry: Registry, block: pm.NoticedBlock) -> None:
    """The serials left ``registry`` for a peer, as the vintage says, are not here any more, and were
    never first transferred (1518, 6006)."""
    ranges = f"{block.originating_registry} {block.start}-{block.end}"
    sent = TransactionBlock.objects.filter(
        transaction__registry=registry,
        transaction__type=TransactionType.EXTERNAL_TRANSFER,
        transaction__status=TransactionStatus.COMPLETED,
        transaction__to_account__type=AccountType.PEER,
        originating_registry=block.originating_registry,
        start__lte=block.start,
        end__gte=block.end,
        vintage=block.vintage,
    ).exists()
    if not sent or blocks_overlapping(block.originating_registry, SerialRange(block.start, block.end)):
        raise CheckFailed(Check.PEER_NOTICE_UNITS_NOT_SENT, blocks=[ranges], ranges=ranges, registry=registry.registry_id)
    if FirstTransfer.objects.filter(originating_registry=block.originating_registry, start__lte=block.end, end__gte=block.start).exists():
        raise CheckFailed(Check.ALREADY_FIRST_TRANSFERRED, blocks=[ranges], ranges=ranges)
