from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.access"
    label = "access"

    def ready(self) -> None:
        from registry.access import signin  # noqa: F401  (connects the sign-in signal receivers)
