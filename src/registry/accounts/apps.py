from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.accounts"
    verbose_name = _("Accounts")
    label = "accounts"
