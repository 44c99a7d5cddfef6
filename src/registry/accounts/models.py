"""Accounts: where unit blocks are held."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.parties.models import Entity, Registry


class AccountType(models.TextChoices):
    PARTY_HOLDING = "party_holding", _("Party holding account")
    ENTITY_HOLDING = "entity_holding", _("Entity holding account")
    ISSUANCE = "issuance", _("Issuance account")
    RETIREMENT = "retirement", _("Retirement account")
    MANDATORY_CANCELLATION = "mandatory_cancellation", _("Mandatory cancellation account")
    VOLUNTARY_CANCELLATION = "voluntary_cancellation", _("Voluntary cancellation account")
    OMGE_CANCELLATION = "omge_cancellation", _("OMGE cancellation account")
    USE = "use", _("Use account")


#: System accounts: at most one of each per registry (use accounts: one per purpose).
SYSTEM_TYPES = frozenset(
    {
        AccountType.ISSUANCE,
        AccountType.RETIREMENT,
        AccountType.MANDATORY_CANCELLATION,
        AccountType.VOLUNTARY_CANCELLATION,
        AccountType.OMGE_CANCELLATION,
    }
)
#: Units in these accounts are final: they never move again.
FINAL_TYPES = frozenset(
    {
        AccountType.RETIREMENT,
        AccountType.MANDATORY_CANCELLATION,
        AccountType.VOLUNTARY_CANCELLATION,
        AccountType.OMGE_CANCELLATION,
        AccountType.USE,
    }
)


class AccountStatus(models.TextChoices):
    OPEN = "open", _("Open")
    BLOCKED = "blocked", _("Blocked")
    CLOSED = "closed", _("Closed")


class Right(models.TextChoices):
    """A representative's right on an account (kept with the accounts, which every app below access reads)."""

    INITIATE = "initiate", _("Initiate")
    APPROVE = "approve", _("Approve")
    INITIATE_AND_APPROVE = "initiate_and_approve", _("Initiate and approve")
    READ_ONLY = "read_only", _("Read only")


class Account(models.Model):
    """An account of one registry, identified as ``<registry id>-<sequence>`` (``JPN01-000003``)."""

    registry = models.ForeignKey(Registry, verbose_name=_("registry"), on_delete=models.PROTECT, related_name="accounts")
    number = models.CharField(verbose_name=_("account number"), max_length=20, unique=True)
    type = models.CharField(verbose_name=_("account type"), max_length=30, choices=AccountType.choices)
    status = models.CharField(verbose_name=_("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.OPEN)
    name = models.CharField(verbose_name=_("name"), max_length=300)
    entity = models.ForeignKey(Entity, verbose_name=_("entity"), on_delete=models.PROTECT, null=True, blank=True, related_name="accounts")
    purpose = models.CharField(
        verbose_name=_("purpose"), max_length=100, blank=True, help_text=_("For use accounts: the purpose, e.g. CORSIA.")
    )
    transaction_limit = models.BigIntegerField(
        verbose_name=_("transaction limit"),
        null=True,
        blank=True,
        help_text=_("most units one transaction of its representatives may move"),
    )
    opened_at = models.DateTimeField(verbose_name=_("opened at"))
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "type"],
                condition=Q(type__in=sorted(t.value for t in SYSTEM_TYPES)),
                name="one_system_account_of_each_type",
            ),
            models.UniqueConstraint(fields=["registry", "purpose"], condition=Q(type="use"), name="one_use_account_per_purpose"),
        ]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.type in FINAL_TYPES
