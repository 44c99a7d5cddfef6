from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.parties"
    label = "parties"
