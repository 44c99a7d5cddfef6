from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.article6"
    verbose_name = _("Article 6")
    label = "article6"
