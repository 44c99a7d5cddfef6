from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.transactions"
    verbose_name = _("Transactions")
    label = "transactions"
