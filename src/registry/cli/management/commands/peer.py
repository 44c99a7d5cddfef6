"""``registry peer key|list|add|remove``: this installation's public key and its peer registries."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.access.login_ids import find_user
from registry.core.checks import CheckFailed
from registry.peers.keys import SigningKeyMissing, public_key
from registry.peers.services import add_peer, registered_peers, remove_peer
from registry.refusals import refusal_message


class Command(BaseCommand):
    help = "Show this installation's public key; list, add or remove peer registries of other installations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("key", help="print this installation's Ed25519 public key (give it to the peer's administrators)")
        actions.add_parser("list", help="the registered peers")
        add = actions.add_parser("add", help="register a registry of another installation")
        add.add_argument("--registry-id", required=True, help="the peer's registry id, e.g. THA01")
        add.add_argument("--url", required=True, help="the peer installation's address, e.g. https://registry.example.th")
        add.add_argument("--key", required=True, help="the public key 'registry peer key' prints on the peer")
        remove = actions.add_parser("remove", help="remove a registered peer (its messages are refused from then on)")
        remove.add_argument("--registry-id", required=True)
        for writer in (add, remove):
            writer.add_argument(
                "--as", dest="actor", default=os.environ.get("REGISTRY_OPERATOR"), help="login of the installation administrator acting"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "key":
                self.stdout.write(public_key())
            elif action == "list":
                for peer in registered_peers():
                    self.stdout.write(f"{peer.registry_id}\t{peer.url}\t{peer.public_key}\tadded {peer.added_at:%Y-%m-%d %H:%M} UTC")
            elif action == "add":
                peer = add_peer(self._actor(options["actor"]), options["registry_id"], options["url"], options["key"])
                self.stdout.write(f"peer {peer.registry_id} registered at {peer.url}")
            else:
                peer = remove_peer(self._actor(options["actor"]), options["registry_id"])
                self.stdout.write(f"peer {peer.registry_id} removed")
        except CheckFailed as failure:
            raise CommandError(f"refused {refusal_message(failure)}") from failure
        except SigningKeyMissing as missing:
            raise CommandError(str(missing)) from missing

    def _actor(self, login: str | None) -> Any:
        if not login:
            raise CommandError("say who acts: --as LOGIN (or set REGISTRY_OPERATOR)")
        user = find_user(login)
        if user is None or not user.is_active:
            raise CommandError(f"no active user {login!r}; create one with 'registry create-admin'")
        return user
