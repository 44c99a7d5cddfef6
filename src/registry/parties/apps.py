from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.parties"
    verbose_name = _("Parties, programmes and projects")
    label = "parties"
