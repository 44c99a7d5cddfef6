"""The journal: append-only, hash-chained record of completed transactions and account events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.parties.models import Registry


class JournalEntry(models.Model):
    """Entry ``sequence`` of one registry's chain: ``hash = SHA-256(previous_hash + body)``.

    ``body`` is canonical JSON and holds everything needed to replay the entry; the other columns
    are copies for querying. Rows are never updated or deleted (database triggers refuse it).
    """

    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="journal")
    sequence = models.BigIntegerField(verbose_name=_("sequence number"))
    kind = models.CharField(verbose_name=_("kind"), max_length=30)
    transaction = models.ForeignKey(
        "transactions.Transaction",
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"))
    body = models.TextField(verbose_name=_("content"))
    previous_hash = models.CharField(verbose_name=_("previous hash"), max_length=64)
    hash = models.CharField(verbose_name=_("hash"), max_length=64)

    class Meta:
        ordering = ["registry", "sequence"]
        constraints = [models.UniqueConstraint(fields=["registry", "sequence"], name="journal_sequence_unique")]
        # The movement rules read an authorisation's journaled versions, a few entries among millions.
        indexes = [models.Index(fields=["registry", "kind", "sequence"], name="journal_kind")]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"{self.registry.registry_id}#{self.sequence} {self.kind}"
