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
