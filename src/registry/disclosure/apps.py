from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.disclosure"
    verbose_name = _("Public information")
    label = "disclosure"
