"""What the registry tells the public: notices, maintenance windows, the CORSIA eligibility list."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.parties.models import CreditingProgramme, Registry


class NoticeKind(models.TextChoices):
    NEWS = "news", _("What's new")
    MAINTENANCE = "maintenance", _("Scheduled maintenance")


class Notice(models.Model):
    """A notice in both languages; a maintenance notice's window also stops account holders' movements."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, null=True, blank=True, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices, default=NoticeKind.NEWS)
    title_en = models.CharField(max_length=200)
    title_ja = models.CharField(max_length=200)
    body_en = models.TextField(blank=True)
    body_ja = models.TextField(blank=True)
    published_at = models.DateTimeField()
    starts_at = models.DateTimeField(null=True, blank=True, help_text="maintenance window start")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="maintenance window end")

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title_en


class CorsiaEligibility(models.Model):
    """Vintages of a programme's units and whether CORSIA accepts them (maintained by administrators)."""

    programme = models.ForeignKey(CreditingProgramme, on_delete=models.CASCADE, related_name="corsia_eligibility")
    first_vintage = models.PositiveSmallIntegerField()
    last_vintage = models.PositiveSmallIntegerField()
    eligible = models.BooleanField(default=True)
    compliance_period = models.CharField(max_length=100, help_text="e.g. First phase (2024-2026)")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["programme", "first_vintage"]
        verbose_name_plural = "CORSIA eligibility"

    def __str__(self) -> str:
        return f"{self.programme} {self.first_vintage}-{self.last_vintage}: {'eligible' if self.eligible else 'not eligible'}"
