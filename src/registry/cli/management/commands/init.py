from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from registry.installation.seed import seed_demo_ledger, seed_reference_data
from registry.peers.keys import ensure_signing_key, key_file


class Command(BaseCommand):
    help = "Create or upgrade the database and load the reference data (Parties, registries, programmes, system accounts)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--demo", action="store_true", help="also load a small demonstration ledger")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        for registry in seed_reference_data():
            self.stdout.write(f"registry {registry.registry_id} ({registry.name}) ready")
        if ensure_signing_key():
            self.stdout.write(f"signing key pair created in {key_file()} (public key: registry peer key)")
        if options["demo"]:
            seed_demo_ledger()
            self.stdout.write("demonstration ledger loaded")
