from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.notifications"
    label = "notifications"
