"""Notifications: what the registry tells a person, kept in their inbox and sent by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """``kind`` names a message (see ``registry.notifications.messages``); ``params`` fill it in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(verbose_name=_("message"), max_length=50)
    params = models.JSONField(verbose_name=_("parameters"), default=dict)
    created_at = models.DateTimeField(verbose_name=_("created at"))
    read_at = models.DateTimeField(verbose_name=_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"
