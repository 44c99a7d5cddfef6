"""Unit blocks: contiguous serial ranges whose units share every attribute and one holder."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Account
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Project, UnitType


class UnitBlock(models.Model):
    """Serials ``start..end`` (inclusive) of ``originating_registry``, held by ``account``.

    The attributes of decision 6/CMA.4's unique identifier live here (approach, originating
    registry, first transferring Party, serials, vintage). ``issuance`` is the transaction that
    created the serials; ``reserved_by`` the pending transaction, if any, the units are promised to.
    A serial of one originating registry is in exactly one block of the whole installation.
    """

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="blocks")
    originating_registry = models.CharField(verbose_name=_("originating registry"), max_length=5)
    start = models.BigIntegerField(verbose_name=_("first serial number"))
    end = models.BigIntegerField(verbose_name=_("last serial number"))
    unit_type = models.ForeignKey(UnitType, verbose_name=_("unit type"), on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="blocks")
    vintage = models.PositiveSmallIntegerField(verbose_name=_("vintage"))
    cooperative_approach = models.ForeignKey(
        CooperativeApproach, verbose_name=_("cooperative approach"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_transferring_party = models.ForeignKey(
        Party, verbose_name=_("first transferring Party"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issuance = models.ForeignKey(
        "transactions.Transaction", verbose_name=_("issuance"), on_delete=models.PROTECT, related_name="issued_blocks"
    )
    authorization = models.ForeignKey(
        "article6.Authorization", verbose_name=_("authorisation"), on_delete=models.PROTECT, null=True, blank=True, related_name="blocks"
    )
    first_transferred = models.BooleanField(verbose_name=_("first transferred"), default=False)
    reserved_by = models.ForeignKey(
        "transactions.Transaction",
        verbose_name=_("reserved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reserved_blocks",
    )

    #: The fields two touching blocks of one holder must share to be merged.
    ATTRIBUTES = (
        "unit_type_id",
        "project_id",
        "vintage",
        "cooperative_approach_id",
        "first_transferring_party_id",
        "issuance_id",
        "authorization_id",
        "first_transferred",
    )

    class Meta:
        ordering = ["originating_registry", "start"]
        constraints = [
            models.UniqueConstraint(fields=["originating_registry", "start"], name="block_start_unique"),
            models.UniqueConstraint(fields=["originating_registry", "end"], name="block_end_unique"),
            models.CheckConstraint(condition=Q(start__gte=1) & Q(end__gte=F("start")), name="block_range_valid"),
        ]
        indexes = [
            # Deterministic selection: oldest vintage, then lowest serial, of unreserved units.
            models.Index(
                fields=["account", "vintage", "originating_registry", "start"],
                condition=Q(reserved_by__isnull=True),
                name="block_available_order",
            ),
            models.Index(fields=["reserved_by"], name="block_reserved_by"),
            models.Index(fields=["issuance"], name="block_issuance"),
        ]
        verbose_name = _("unit block")
        verbose_name_plural = _("unit blocks")

    def __str__(self) -> str:
        return f"{self.originating_registry} {self.start}-{self.end}"

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1

    def attributes(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.ATTRIBUTES)


class CorsiaEligibility(models.Model):
    """Vintages of a programme's units and whether CORSIA accepts them (maintained by administrators)."""

    programme = models.ForeignKey(
        CreditingProgramme, verbose_name=_("crediting programme"), on_delete=models.CASCADE, related_name="corsia_eligibility"
    )
    first_vintage = models.PositiveSmallIntegerField(verbose_name=_("first vintage"))
    last_vintage = models.PositiveSmallIntegerField(verbose_name=_("last vintage"))
    eligible = models.BooleanField(verbose_name=_("eligible"), default=True)
    compliance_period = models.CharField(verbose_name=_("compliance period"), max_length=100, help_text=_("e.g. First phase (2024-2026)"))
    note = models.CharField(verbose_name=_("note"), max_length=300, blank=True)

    class Meta:
        db_table = "disclosure_corsiaeligibility"  # made by the disclosure app before the units app owned it
        ordering = ["programme", "first_vintage"]
        verbose_name = _("CORSIA eligibility")
        verbose_name_plural = _("CORSIA eligibility")

    def __str__(self) -> str:
        verdict = _("eligible") if self.eligible else _("not eligible")
        return f"{self.programme} {self.first_vintage}-{self.last_vintage}: {verdict}"
