from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.accounts"
    label = "accounts"
