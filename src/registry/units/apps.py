from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.units"
    label = "units"
