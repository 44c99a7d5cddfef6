from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.access"
    verbose_name = _("Access and operation log")
    label = "access"

    def ready(self) -> None:
        from registry.access import signin  # noqa: F401  (connects the sign-in signal receivers)
