from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.journal"
    label = "journal"
