from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.transactions"
    verbose_name = _("Transactions")
    label = "transactions"

    def ready(self) -> None:
        from registry.notifications.messages import show_parameter

        show_parameter("refusal", _kept_refusal)


def _kept_refusal(kept: Any) -> str:
    """A refusal a notification carries (code, values, recorded message), in its reader's language."""
    from registry.refusals import kept_refusal_message

    if not isinstance(kept, dict):
        return str(kept)
    return kept_refusal_message(kept.get("code"), kept.get("params") or {}, str(kept.get("message", "")))
