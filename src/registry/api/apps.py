from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.api"
    verbose_name = _("API tokens")
    label = "api"

    def ready(self) -> None:
        from registry.access.signals import password_initialised

        password_initialised.connect(_revoke_tokens, dispatch_uid="api-revoke-tokens-on-password-initialisation")


def _revoke_tokens(sender: object, user: Any, **kwargs: object) -> None:
    """A password an administrator initialised means the old credentials are not to be trusted."""
    from django.utils import timezone

    from registry.api.models import ApiToken

    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
