from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.access"
    label = "access"
