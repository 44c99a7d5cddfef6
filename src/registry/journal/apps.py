from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.journal"
    verbose_name = _("Journal")
    label = "journal"
