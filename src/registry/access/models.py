"""Who may do what: representatives of accounts, trusted accounts, and the log of operations."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.accounts.models import Account, Right
from registry.parties.models import Registry

INITIATING = frozenset({Right.INITIATE, Right.INITIATE_AND_APPROVE})
APPROVING = frozenset({Right.APPROVE, Right.INITIATE_AND_APPROVE})


class Representative(models.Model):
    """A person allowed to act for an account, with one right."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="representations")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="representatives")
    right = models.CharField(max_length=30, choices=Right.choices)
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="one_right_per_user_and_account")]

    def __str__(self) -> str:
        return f"{self.user} {self.right} {self.account}"


class TrustedAccount(models.Model):
    """``trusted`` is on ``account``'s trusted list from ``effective_at`` until ``removed_at``."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="trusted_list")
    trusted = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField()
    effective_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account", "trusted__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "trusted"], condition=models.Q(removed_at__isnull=True), name="trusted_once_while_listed"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} trusts {self.trusted}"


class OperationLog(models.Model):
    """What each person did, and every refused attempt (for the access and operation log screens)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    registry = models.ForeignKey(Registry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField()
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["registry", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.target} {self.outcome}"


class TemporaryPassword(models.Model):
    """``user``'s password was set by someone else (an administrator, an approval): the user must
    choose their own at the next sign-in before doing anything else."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="temporary_password")
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} must change the password set at {self.set_at:%Y-%m-%d %H:%M}"
