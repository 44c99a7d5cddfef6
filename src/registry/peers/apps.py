from django.apps import AppConfig


class PeersConfig(AppConfig):
    name = "registry.peers"
    label = "peers"
    verbose_name = "Peer registries"

    def ready(self) -> None:
        from registry.notifications.messages import show_parameter
        from registry.peers.reconcile import render_discrepancies

        show_parameter("discrepancies", render_discrepancies)
