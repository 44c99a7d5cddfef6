"""Registries of other installations that this installation speaks the peer protocol with."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
