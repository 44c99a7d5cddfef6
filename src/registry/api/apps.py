from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.api"
    label = "api"
