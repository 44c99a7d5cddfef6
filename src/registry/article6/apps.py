from django.apps import AppConfig


class Config(AppConfig):
    name = "registry.article6"
    label = "article6"
