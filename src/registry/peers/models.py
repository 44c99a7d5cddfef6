"""Registries of other installations that this installation speaks the peer protocol with."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db import transaction as db
from django.utils.translation import gettext_lazy as _

from registry.core import peer_messages as pm

if TYPE_CHECKING:
    from registry.transactions.models import Transaction


class PeerQuerySet(models.QuerySet["Peer"]):
    def registered(self) -> PeerQuerySet:
        """Peers not removed: the only ones whose messages are opened and whose accounts are destinations."""
        return self.filter(removed_at__isnull=True)


class Peer(models.Model):
    """Registry ``registry_id`` of another installation, reached at ``url``, signing with ``public_key``.

    Removing a peer keeps the row (``removed_at``) so the history of who registered whom survives;
    the same registry may be registered again afterwards, as a new row.
    """

    registry_id = models.CharField(verbose_name=_("registry ID"), max_length=5)
    url = models.URLField(verbose_name=_("URL"), max_length=300)
    public_key = models.CharField(verbose_name=_("public key"), max_length=43)
    added_at = models.DateTimeField(verbose_name=_("added at"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(verbose_name=_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("removed by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PeerQuerySet.as_manager()

    class Meta:
        ordering = ["registry_id", "added_at"]
        constraints = [
            models.UniqueConstraint(fields=["registry_id"], condition=models.Q(removed_at__isnull=True), name="peer_registered_once")
        ]
        verbose_name = _("peer registry")
        verbose_name_plural = _("peer registries")

    def __str__(self) -> str:
        return f"{self.registry_id} at {self.url}"


class SeenMessage(models.Model):
    """A message a peer sent us that passed the envelope's checks, with the answer we gave.

    The same message again (same id, same body) gets the same answer, so a sender whose answer was
    lost learns it by resending; the same id with another body is refused (1504). Rows older than
    the time window plus a margin are forgotten (``registry.peers.worker.forget_seen_messages``): the window refuses
    such messages anyway (1503).
    """

    sender = models.CharField(max_length=5)
    message_id = models.CharField(max_length=36)
    kind = models.CharField(max_length=40)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the canonical body")
    received_at = models.DateTimeField()
    answer = models.TextField(help_text="the signed answer, as sent")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "message_id"], name="peer_message_seen_once")]
        indexes = [models.Index(fields=["received_at"], name="peer_seen_received_at")]
        verbose_name = _("message received from a peer")
        verbose_name_plural = _("messages received from peers")

    def __str__(self) -> str:
        return f"{self.sender} {self.message_id}"


class OutboxQuerySet(models.QuerySet[Any]):
    def due(self, now: dt.datetime) -> OutboxQuerySet:
        """Still waiting for the peer, and the next attempt is due: what the worker sends, oldest first."""
        return self.filter(state=self.model.WAITING, next_attempt_at__lte=now).order_by("next_attempt_at", "pk")


class Outbox(models.Model):
    """A message to a peer that the worker sends until a signed answer settles it
    (``registry.peers.worker``): how often it was tried, when next, and the answer that settled it.

    Each kind names its waiting state ``WAITING``; settling moves the row out of it, which ends the retries.
    """

    WAITING: ClassVar[str]
    if TYPE_CHECKING:  # each kind's own fields, named alike: the transaction it is about, and the peer
        transaction: Transaction
        transaction_id: int
        peer: Peer

    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    answer = models.TextField(blank=True, help_text="the peer's signed answer that settled it")
    settled_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        abstract = True

    def postpone(self, why: str, now: dt.datetime) -> bool:
        """Count an attempt that got no answer (``why``) and wait before the next: 5 s, 10 s, 20 s ...
        at most 10 minutes (docs/interoperability.md §3). Under the row's lock; nothing happens to a
        row settled meanwhile (False)."""
        with db.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            if locked.state != self.WAITING:
                return False
            locked.attempts += 1
            locked.next_attempt_at = now + pm.retry_delay(
                locked.attempts, first=dt.timedelta(seconds=settings.REGISTRY_PEER_FIRST_RETRY_SECONDS)
            )
            locked.last_error = why[:1000]
            locked.save(update_fields=["attempts", "next_attempt_at", "last_error"])
        self.attempts, self.next_attempt_at, self.last_error = locked.attempts, locked.next_attempt_at, locked.last_error
        return True


class OutboundState(models.TextChoices):
    PROPOSED = "proposed", "proposed"  # reserved here, proposal in the outbox or sent
    COMPLETED = "completed", "completed"  # the peer accepted: the units left
    RELEASED = "released", "released"  # the peer refused, or declared the transfer void: the units are free again


class OutboundTransfer(Outbox):
    """An external transfer to a peer's account: the outbox of its proposal and what became of it.

    Created in the database transaction that reserves the blocks; the proposal (signed once, with
    its id and time) is resent unchanged until answered or until ``ask_after``; after that the
    sender asks for the transfer's state (a ``status`` message) until the peer answers.
    """

    transaction = models.OneToOneField("transactions.Transaction", on_delete=models.PROTECT, related_name="peer_transfer")
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="outbound")
    state = models.CharField(max_length=10, choices=OutboundState.choices, default=OutboundState.PROPOSED)
    proposal = models.TextField(help_text="the signed proposal, as sent")
    proposal_id = models.CharField(max_length=36)
    ask_after = models.DateTimeField(help_text="resend the proposal until then; ask for the state afterwards")
    #: the blocks that left, with their issuance (verify counts them as sent away)
    blocks = models.TextField(default="[]")

    WAITING = OutboundState.PROPOSED

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="peer_outbound_due")]
        verbose_name = _("transfer to a peer registry")
        verbose_name_plural = _("transfers to peer registries")

    def __str__(self) -> str:
        return f"T{self.transaction_id} to {self.peer.registry_id}: {self.state}"


class InboundState(models.TextChoices):
    ACCEPTED = "accepted", "accepted"
    REFUSED = "refused", "refused"
    VOID = "void", "void"  # asked about before any proposal arrived: never accepted afterwards


class InboundTransfer(models.Model):
    """What this installation decided about one transfer a peer proposed (``sender`` and its
    transaction number name it): decided once, so every later proposal or question gets the same."""

    sender = models.CharField(max_length=5)
    transfer = models.BigIntegerField(help_text="the sender's transaction number")
    state = models.CharField(max_length=10, choices=InboundState.choices)
    codes = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    #: the values of each code's message (``codes`` order), answered with the refusal so the sender words it itself
    parameters = models.JSONField(default=list, blank=True)
    acquisition = models.OneToOneField(
        "transactions.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="peer_inbound"
    )
    message_id = models.CharField(max_length=36, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "transfer"], name="peer_transfer_decided_once")]
        verbose_name = _("transfer from a peer registry")
        verbose_name_plural = _("transfers from peer registries")

    def __str__(self) -> str:
        return f"{self.sender}-T{self.transfer}: {self.state}"


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Waiting for the peer")
    RECORDED = "recorded", _("Recorded by the peer")
    REFUSED = "refused", _("Refused by the peer")
    GIVEN_UP = "given_up", _("Given up: no answer")


class OutboundNotice(Outbox):
    """A ``first_transfer_notice`` to the registry of the Party that authorised ITMOs used or
    cancelled here (docs/interoperability.md §5a): created in the database transaction of the use,
    sent by the worker until that registry answers, or given up after ``REGISTRY_PEER_NOTICE_ATTEMPTS``
    attempts without one; refused or given up, the administrators are told, and an installation
    administrator may send it again (``notices.resend_notice``). Each attempt is signed anew (a new message id,
    the same payload): the receiver knows the notice by ``(sender, notice)`` and answers a copy as
    it answered the first, so the window of an envelope never ends the retries."""

    transaction = models.ForeignKey("transactions.Transaction", on_delete=models.PROTECT, related_name="peer_notices")
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="notices")
    state = models.CharField(max_length=10, choices=NoticeState.choices, default=NoticeState.PENDING)
    payload = models.JSONField(help_text="the notice's payload, the same in every attempt")
    #: why a notice ended refused or given up, as a notification keeps a refusal (code, values, English
    #: message), so the peers page words it in its reader's language
    not_recorded = models.JSONField(default=dict, blank=True)

    WAITING = NoticeState.PENDING

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transaction", "peer"], name="peer_notice_once_per_peer")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="peer_notice_due")]
        verbose_name = _("first-transfer notice to a peer registry")
        verbose_name_plural = _("first-transfer notices to peer registries")

    def __str__(self) -> str:
        return f"T{self.transaction_id} to {self.peer.registry_id}: {self.state}"


class InboundNotice(models.Model):
    """A peer's ``first_transfer_notice`` recorded here: the first transfers it made, so a copy of
    the notice is answered with them again and never records them twice."""

    sender = models.CharField(max_length=5)
    notice = models.BigIntegerField(help_text="the sender's transaction number of the use or cancellation")
    first_transfers = models.JSONField(default=list, help_text="the first_transfer transactions recorded for it")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "notice"], name="peer_notice_recorded_once")]
        verbose_name = _("first-transfer notice from a peer registry")
        verbose_name_plural = _("first-transfer notices from peer registries")

    def __str__(self) -> str:
        return f"{self.sender}-T{self.notice}"


class ReconciliationOutcome(models.TextChoices):
    AGREED = "agreed", _("Agreed")
    DISCREPANCIES = "discrepancies", _("Discrepancies found")
    FAILED = "failed", _("Not completed")


class Reconciliation(models.Model):
    """One comparison of ``registry``'s books with ``peer``'s (docs/interoperability.md section 6).

    ``discrepancies`` keeps each one as its check code and parameters, so it reads in any language;
    ``detail`` says why a reconciliation that could not complete (the peer did not answer) failed.
    """

    registry = models.ForeignKey("parties.Registry", on_delete=models.PROTECT, related_name="+")
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="reconciliations")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=ReconciliationOutcome.choices)
    discrepancies = models.JSONField(default=list)
    in_flight = models.PositiveIntegerField(default=0)
    our_digest = models.CharField(max_length=64, blank=True)
    their_digest = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["registry", "peer", "started_at"], name="reconciliation_latest")]
        verbose_name = _("reconciliation with a peer registry")
        verbose_name_plural = _("reconciliations with peer registries")

    def __str__(self) -> str:
        return f"{self.registry_id} with {self.peer.registry_id} at {self.started_at:%Y-%m-%d %H:%M}: {self.outcome}"
