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

    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(max_length=30, choices=TransactionType.choices)
    status = models.CharField(max_length=20, choices=TransactionStatus.choices)
    from_account = models.ForeignKey(Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_account = models.ForeignKey(Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.BigIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=100, blank=True)
    # A cancellation's kind and, for OIMP, its purpose (e.g. CORSIA): fields of their own, never folded into ``purpose``.
    cancellation_kind = models.CharField(max_length=20, choices=CancellationKind.choices, blank=True)
    oimp_purpose = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    execute_after = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Article 6: who uses the units and for what; the authorisation an authorisation transaction
    # applies; the other registry's half of an external transfer; what triggered a first transfer.
    using_party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    using_entity = models.ForeignKey(Entity, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    towards_ndc = models.BooleanField(default=False)
    ndc_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # A retirement's or cancellation's use as the holder declares it (a J-Credit nullification's
    # purpose, detailed aim, credit user and country of use). ``credit_user`` is a name: the user
    # need not be an entity of the registry; ``using_entity`` is set when it is one.
    use_purpose = models.ForeignKey(UsePurpose, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    aim = models.TextField(blank=True)
    credit_user = models.CharField(max_length=300, blank=True)
    use_country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 alpha-2 code of the country where the offset emissions occur"
    )
    authorization = models.ForeignKey(
        "article6.Authorization", on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    counterpart = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    trigger = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="triggered")
    check_code = models.PositiveIntegerField(null=True, blank=True)
    check_message = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["registry", "status"], name="transaction_registry_status")]

    def __str__(self) -> str:
        return f"{self.registry.registry_id}-T{self.pk}"


class TransactionBlock(models.Model):
    """A serial range a transaction moved (or issued), as it was when the transaction named it."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="blocks")
    originating_registry = models.CharField(max_length=5)
    start = models.BigIntegerField()
    end = models.BigIntegerField()
    vintage = models.PositiveSmallIntegerField()
    identifier = models.CharField(max_length=120, blank=True, help_text="the block's unique identifier when the transaction named it")

    class Meta:
        ordering = ["transaction", "originating_registry", "start"]

    def __str__(self) -> str:
        return f"{self.originating_registry} {self.start}-{self.end}"

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1
