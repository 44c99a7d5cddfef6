"""Transactions: one movement or state change of unit blocks each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Account
from registry.core.status import Status
from registry.parties.models import Entity, Party, Registry, UsePurpose


class TransactionType(models.TextChoices):
    ISSUANCE = "issuance", _("Issuance")
    INTERNAL_TRANSFER = "internal_transfer", _("Internal transfer")
    RETIREMENT = "retirement", _("Retirement")
    CANCELLATION = "cancellation", _("Cancellation")
    CORRECTION = "correction", _("Correction")
    AUTHORIZATION = "authorization", _("Authorisation")
    FIRST_TRANSFER = "first_transfer", _("First transfer")
    EXTERNAL_TRANSFER = "external_transfer", _("External transfer")
    ACQUISITION = "acquisition", _("Acquisition")


class TransactionStatus(models.TextChoices):
    PROPOSED = Status.PROPOSED.value, _("Proposed")
    AWAITING_APPROVAL = Status.AWAITING_APPROVAL.value, _("Awaiting approval")
    DELAYED = Status.DELAYED.value, _("Delayed")
    COMPLETED = Status.COMPLETED.value, _("Completed")
    REJECTED = Status.REJECTED.value, _("Rejected")
    CANCELLED = Status.CANCELLED.value, _("Cancelled")


class CancellationKind(models.TextChoices):
    MANDATORY = "mandatory", _("Mandatory cancellation")
    VOLUNTARY = "voluntary", _("Voluntary cancellation")
    OMGE = "omge", _("Cancellation for overall mitigation in global emissions")
    OIMP = "oimp", _("Use for other international mitigation purposes")


class Transaction(models.Model):
    """A transaction and its outcome.

    A refused request is kept too, with status ``rejected`` and the failed check's code and
    message, so that the registry can show why; it never changed a holding.
    """

    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(verbose_name=_("transaction type"), max_length=30, choices=TransactionType.choices)
    status = models.CharField(verbose_name=_("status"), max_length=20, choices=TransactionStatus.choices)
    from_account = models.ForeignKey(
        Account, verbose_name=_("transferring account"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_account = models.ForeignKey(
        Account, verbose_name=_("acquiring account"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.BigIntegerField(verbose_name=_("quantity"), null=True, blank=True)
    purpose = models.CharField(verbose_name=_("purpose"), max_length=100, blank=True)
    # A cancellation's kind and, for OIMP, its purpose (e.g. CORSIA): fields of their own, never folded into ``purpose``.
    cancellation_kind = models.CharField(
        verbose_name=_("kind of cancellation"), max_length=20, choices=CancellationKind.choices, blank=True
    )
    oimp_purpose = models.CharField(verbose_name=_("OIMP purpose"), max_length=100, blank=True)
    reason = models.TextField(verbose_name=_("reason"), blank=True)
    corrects = models.OneToOneField(
        "self", verbose_name=_("corrected transaction"), on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    execute_after = models.DateTimeField(verbose_name=_("execute after"), null=True, blank=True)
    completed_at = models.DateTimeField(verbose_name=_("completed at"), null=True, blank=True)
    # Article 6: who uses the units and for what; the authorisation an authorisation transaction
    # applies; the other registry's half of an external transfer; what triggered a first transfer.
    using_party = models.ForeignKey(Party, verbose_name=_("using Party"), on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    using_entity = models.ForeignKey(
        Entity, verbose_name=_("using entity"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    towards_ndc = models.BooleanField(verbose_name=_("towards the NDC"), default=False)
    ndc_year = models.PositiveSmallIntegerField(verbose_name=_("NDC year"), null=True, blank=True)
    # A retirement's or cancellation's use as the holder declares it (a J-Credit nullification's
    # purpose, detailed aim, credit user and country of use). ``credit_user`` is a name: the user
    # need not be an entity of the registry; ``using_entity`` is set when it is one.
    use_purpose = models.ForeignKey(
        UsePurpose, verbose_name=_("purpose of use"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    aim = models.TextField(verbose_name=_("aim"), blank=True)
    credit_user = models.CharField(verbose_name=_("credit user"), max_length=300, blank=True)
    use_country = models.CharField(
        verbose_name=_("country of use"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 alpha-2 code of the country where the offset emissions occur"),
    )
    authorization = models.ForeignKey(
        "article6.Authorization",
        verbose_name=_("authorisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    counterpart = models.OneToOneField(
        "self", verbose_name=_("counterpart"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.ForeignKey(
        "self", verbose_name=_("trigger"), on_delete=models.PROTECT, null=True, blank=True, related_name="triggered"
    )
    check_code = models.PositiveIntegerField(verbose_name=_("check code"), null=True, blank=True)
    check_message = models.TextField(verbose_name=_("check message"), blank=True)
    # The failed check's values, so the refusal reads in each reader's language (registry.refusals.kept_params).
    check_params = models.JSONField(verbose_name=_("values of the check"), default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["registry", "status"], name="transaction_registry_status")]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")

    def __str__(self) -> str:
        return f"{self.registry.registry_id}-T{self.pk}"


class TransactionBlock(models.Model):
    """A serial range a transaction moved (or issued), as it was when the transaction named it."""

    transaction = models.ForeignKey(Transaction, verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="blocks")
    originating_registry = models.CharField(verbose_name=_("originating registry"), max_length=5)
    start = models.BigIntegerField(verbose_name=_("first serial number"))
    end = models.BigIntegerField(verbose_name=_("last serial number"))
    vintage = models.PositiveSmallIntegerField(verbose_name=_("vintage"))
    identifier = models.CharField(
        verbose_name=_("block identifier"),
        max_length=120,
        blank=True,
        help_text=_("the block's unique identifier when the transaction named it"),
    )

    class Meta:
        ordering = ["transaction", "originating_registry", "start"]
        verbose_name = _("block of a transaction")
        verbose_name_plural = _("blocks of transactions")

    def __str__(self) -> str:
        return f"{self.originating_registry} {self.start}-{self.end}"

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1
