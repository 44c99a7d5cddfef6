"""Article 6.2: authorisations, first transfers and corresponding adjustments (decisions 2/CMA.3, 6/CMA.4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.parties.models import CooperativeApproach, Entity, Party, Registry


class Purpose(models.TextChoices):
    """Purposes for authorisation, as the Agreed Electronic Format names them."""

    NDC = "NDC", "Use towards NDCs"
    OIMP = "OIMP", "Other international mitigation purposes"
    NDC_AND_OIMP = "NDC and OIMP", "Use towards NDCs and other international mitigation purposes"

    @classmethod
    def covers_ndc(cls, value: str) -> bool:
        return value in (cls.NDC, cls.NDC_AND_OIMP)

    @classmethod
    def covers_oimp(cls, value: str) -> bool:
        return value in (cls.OIMP, cls.NDC_AND_OIMP)


class FirstTransferDefinition(models.TextChoices):
    """When the first transfer happens (2/CMA.3 annex para 2); for NDC use always the first international transfer."""

    FIRST_INTERNATIONAL_TRANSFER = "first_international_transfer", "First international transfer"
    AUTHORIZATION = "authorization", "Authorisation"
    ISSUANCE = "issuance", "Issuance"
    USE_OR_CANCELLATION = "use_or_cancellation", "Use or Cancellation"


class Authorization(models.Model):
    """A Party's authorisation of ITMOs for use towards NDCs and/or other international mitigation purposes."""

    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="authorizations")
    identifier = models.CharField(verbose_name=_("authorisation identifier"), max_length=60, unique=True)
    version = models.PositiveSmallIntegerField(verbose_name=_("version"), default=1)
    date = models.DateField(verbose_name=_("date"))
    cooperative_approach = models.ForeignKey(
        CooperativeApproach, verbose_name=_("cooperative approach"), on_delete=models.PROTECT, related_name="authorizations"
    )
    purposes = models.CharField(verbose_name=_("purposes"), max_length=20, choices=Purpose.choices)
    oimp_purposes = models.CharField(verbose_name=_("OIMP purposes"), max_length=200, blank=True, help_text=_("e.g. CORSIA"))
    first_transfer_definition = models.CharField(
        verbose_name=_("definition of the first transfer"), max_length=40, choices=FirstTransferDefinition.choices
    )
    authorized_quantity = models.BigIntegerField(verbose_name=_("authorised quantity"), null=True, blank=True)
    document_reference = models.CharField(verbose_name=_("document reference"), max_length=300)
    authorized_parties = models.ManyToManyField(Party, verbose_name=_("authorised Parties"), blank=True, related_name="authorizations")
    authorized_entities: models.ManyToManyField[Entity, AuthorizedEntity] = models.ManyToManyField(
        Entity, verbose_name=_("authorised entities"), blank=True, related_name="authorizations", through="AuthorizedEntity"
    )
    sectors = models.CharField(verbose_name=_("sectors"), max_length=300, blank=True)
    activity_types = models.CharField(verbose_name=_("activity types"), max_length=300, blank=True)
    # The authorised timeframe, as years of vintage (inclusive); an open end is unbounded.
    timeframe_first_vintage = models.PositiveSmallIntegerField(verbose_name=_("first vintage of the timeframe"), null=True, blank=True)
    timeframe_last_vintage = models.PositiveSmallIntegerField(verbose_name=_("last vintage of the timeframe"), null=True, blank=True)
    terms = models.TextField(verbose_name=_("terms"), blank=True)

    class Meta:
        ordering = ["registry", "identifier"]
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")

    def __str__(self) -> str:
        return self.identifier

    @property
    def timeframe(self) -> str:
        """The authorised timeframe as the AEF shows it: ``2023-2025``, ``2023``, ``2023-`` or ``-2025``; empty if unbounded."""
        first, last = self.timeframe_first_vintage, self.timeframe_last_vintage
        if first is None and last is None:
            return ""
        if first == last:
            return str(first)
        return f"{first or ''}-{last or ''}"

    def covers_vintage(self, vintage: int) -> bool:
        first, last = self.timeframe_first_vintage, self.timeframe_last_vintage
        return (first is None or vintage >= first) and (last is None or vintage <= last)


class AuthorizedEntity(models.Model):
    """An entity authorised under an authorisation, with the conditions of AEF Table 5."""

    authorization = models.ForeignKey(
        Authorization, verbose_name=_("authorisation"), on_delete=models.PROTECT, related_name="entity_authorizations"
    )
    entity = models.ForeignKey(Entity, verbose_name=_("entity"), on_delete=models.PROTECT, related_name="entity_authorizations")
    conditions = models.TextField(verbose_name=_("conditions"), blank=True)
    change_and_revocation_conditions = models.TextField(verbose_name=_("conditions of change and revocation"), blank=True)
    explanation = models.TextField(verbose_name=_("explanation"), blank=True, help_text=_("additional explanatory information"))

    class Meta:
        # The table Django made for the plain many-to-many relation before it carried conditions.
        db_table = "article6_authorization_authorized_entities"
        ordering = ["authorization", "entity__name"]
        constraints = [models.UniqueConstraint(fields=["authorization", "entity"], name="authorized_entity_once")]
        verbose_name = _("authorised entity")
        verbose_name_plural = _("authorised entities")

    def __str__(self) -> str:
        return f"{self.authorization} {self.entity}"


class FirstTransfer(models.Model):
    """Serials first transferred, once and for all (PostgreSQL refuses overlapping rows)."""

    transaction = models.ForeignKey(
        "transactions.Transaction", verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="first_transfers"
    )
    authorization = models.ForeignKey(
        Authorization, verbose_name=_("authorisation"), on_delete=models.PROTECT, related_name="first_transfers"
    )
    first_transferring_party = models.ForeignKey(
        Party, verbose_name=_("first transferring Party"), on_delete=models.PROTECT, related_name="+"
    )
    acquiring_party = models.ForeignKey(
        Party, verbose_name=_("acquiring Party"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    originating_registry = models.CharField(verbose_name=_("originating registry"), max_length=5)
    start = models.BigIntegerField(verbose_name=_("first serial number"))
    end = models.BigIntegerField(verbose_name=_("last serial number"))
    vintage = models.PositiveSmallIntegerField(verbose_name=_("vintage"))
    at = models.DateTimeField(verbose_name=_("at"))

    class Meta:
        ordering = ["originating_registry", "start"]
        constraints = [models.UniqueConstraint(fields=["originating_registry", "start"], name="first_transfer_start_unique")]
        verbose_name = _("first transfer")
        verbose_name_plural = _("first transfers")

    def __str__(self) -> str:
        return f"{self.originating_registry} {self.start}-{self.end}"


class AdjustmentKind(models.TextChoices):
    FIRST_TRANSFER = "first_transfer", "Addition by the first transferring Party"
    USE = "use", "Subtraction by the using Party"


class CorrespondingAdjustment(models.Model):
    """One Party's adjustment: ``quantity`` is added (first transfer) or subtracted (use) for ``year``."""

    party = models.ForeignKey(Party, verbose_name=_("Party"), on_delete=models.PROTECT, related_name="corresponding_adjustments")
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=AdjustmentKind.choices)
    transaction = models.ForeignKey(
        "transactions.Transaction", verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="corresponding_adjustments"
    )
    authorization = models.ForeignKey(
        Authorization, verbose_name=_("authorisation"), on_delete=models.PROTECT, related_name="corresponding_adjustments"
    )
    quantity = models.BigIntegerField(verbose_name=_("quantity"))
    vintage = models.PositiveSmallIntegerField(verbose_name=_("vintage"))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"), help_text=_("the year the adjustment is applied to"))

    class Meta:
        ordering = ["party", "year", "pk"]
        verbose_name = _("corresponding adjustment")
        verbose_name_plural = _("corresponding adjustments")

    def __str__(self) -> str:
        sign = "+" if self.kind == AdjustmentKind.FIRST_TRANSFER else "-"
        return f"{self.party} {sign}{self.quantity} ({self.year})"

    @property
    def signed_quantity(self) -> int:
        return self.quantity if self.kind == AdjustmentKind.FIRST_TRANSFER else -self.quantity
