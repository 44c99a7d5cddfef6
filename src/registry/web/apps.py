from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.web"
    label = "web"
