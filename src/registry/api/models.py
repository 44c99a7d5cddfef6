"""API tokens for machine clients, and the record that makes a write idempotent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Account


class Scope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A token is shown once; only its SHA-256 is kept. ``prefix`` finds it without revealing it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(verbose_name=_("name"), max_length=100)
    prefix = models.CharField(verbose_name=_("prefix"), max_length=12, unique=True)
    digest = models.CharField(verbose_name=_("digest"), max_length=64)
    scope = models.CharField(verbose_name=_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    accounts = models.ManyToManyField(
        Account, verbose_name=_("accounts"), blank=True, related_name="+", help_text=_("empty: every account the user may see")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(verbose_name=_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key``; a retry gets it again."""

    token = models.ForeignKey(ApiToken, verbose_name=_("token"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(verbose_name=_("key"), max_length=200)
    fingerprint = models.CharField(verbose_name=_("fingerprint"), max_length=64, help_text=_("SHA-256 of method, path and body"))
    status = models.PositiveSmallIntegerField(verbose_name=_("HTTP status"))
    body = models.JSONField(verbose_name=_("answer"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_once_per_token")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self) -> str:
        return self.key
