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
        _watch_tokens()


def _watch_tokens() -> None:
    """Renew the tokens' stamp after any change of what ``find_token`` keeps: a token, its accounts,
    a user (deactivated, deleted)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from registry.api.models import ApiToken

    for model in (ApiToken, get_user_model()):
        post_save.connect(_tokens_changed, sender=model, dispatch_uid=f"api-tokens-{model._meta.label}-save")
        post_delete.connect(_tokens_changed, sender=model, dispatch_uid=f"api-tokens-{model._meta.label}-delete")
    m2m_changed.connect(_tokens_changed, sender=ApiToken.accounts.through, dispatch_uid="api-tokens-accounts")


def _tokens_changed(sender: object, using: str | None = None, update_fields: Any = None, **kwargs: object) -> None:
    from registry.api.tokens import TOKENS

    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in: nothing a token's check reads
    TOKENS.renew_with_change(using)


def _revoke_tokens(sender: object, user: Any, **kwargs: object) -> None:
    """A password an administrator initialised means the old credentials are not to be trusted."""
    from django.utils import timezone

    from registry.api.models import ApiToken
    from registry.api.tokens import TOKENS

    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    TOKENS.renew_with_change()  # an update sends no signal
