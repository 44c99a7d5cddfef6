from django.apps import AppConfig


class PeersConfig(AppConfig):
    name = "registry.peers"
    label = "peers"
    verbose_name = "Peer registries"
