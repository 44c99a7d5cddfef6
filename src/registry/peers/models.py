"""Registries of other installations that this installation speaks the peer protocol with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PeerQuerySet(models.QuerySet["Peer"]):
    def registered(self) -> PeerQuerySet:
        """Peers not removed: the only ones whose messages are opened and whose accounts are destinations."""
        return self.filter(removed_at__isnull=True)


class Peer(models.Model):
    """Registry ``registry_id`` of another installation, reached at ``url``, signing with ``public_key``.

    Removing a peer keeps the row (``removed_at``) so the history of who registered whom survives;
    the same registry may be registered again afterwards, as a new row.
    """

    registry_id = models.CharField(max_length=5)
    url = models.URLField(max_length=300)
    public_key = models.CharField(max_length=43)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = PeerQuerySet.as_manager()

    class Meta:
        ordering = ["registry_id", "added_at"]
        constraints = [
            models.UniqueConstraint(fields=["registry_id"], condition=models.Q(removed_at__isnull=True), name="peer_registered_once")
        ]

    def __str__(self) -> str:
        return f"{self.registry_id} at {self.url}"


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

    def __str__(self) -> str:
        return f"{self.registry_id} with {self.peer.registry_id} at {self.started_at:%Y-%m-%d %H:%M}: {self.outcome}"
