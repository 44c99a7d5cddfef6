from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.transactions"
    label = "transactions"
