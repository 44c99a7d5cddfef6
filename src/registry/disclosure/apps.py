from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.disclosure"
    label = "disclosure"
