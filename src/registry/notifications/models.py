"""Notifications: what the registry tells a person, kept in their inbox and sent by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """``kind`` names a message (see ``registry.notifications.messages``); ``params`` fill it in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"
