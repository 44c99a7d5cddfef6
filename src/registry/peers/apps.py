from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeersConfig(AppConfig):
    name = "registry.peers"
    label = "peers"
    verbose_name = _("Peer registries")

    def ready(self) -> None:
        # The outbox answers the movement engine's ``peer_transfer_due`` (registry.transactions.handoff).
        from registry.notifications.messages import show_parameter

        # The notices answer ``first_transfer_abroad_due`` (a use of another Party's ITMOs).
        from registry.peers import notices, transfers  # noqa: F401
        from registry.peers.reconcile import render_discrepancies

        show_parameter("discrepancies", render_discrepancies)
