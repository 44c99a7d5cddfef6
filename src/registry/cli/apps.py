from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.cli"
    label = "cli"
