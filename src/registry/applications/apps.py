from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.applications"
    label = "applications"
