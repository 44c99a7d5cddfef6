from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.core.checks import CheckFailed
from registry.parties.services import create_party, create_registry
from registry.refusals import refusal_message


class Command(BaseCommand):
    help = "Create a Party (if new) and its registry, e.g. --party TH --alpha3 THA --party-name Thailand --registry-id THA01."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--party", required=True, help="ISO 3166 alpha-2 code")
        parser.add_argument("--alpha3", required=True, help="ISO 3166 alpha-3 code")
        parser.add_argument("--party-name", required=True)
        parser.add_argument("--registry-id", required=True, help="alpha-3 code and two digits, e.g. THA01")
        parser.add_argument("--name", default="", help="the registry's name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            party = create_party(options["party"], options["alpha3"], options["party_name"])
            registry = create_registry(party, options["registry_id"], options["name"] or f"{party.name} Registry")
        except CheckFailed as failure:
            raise CommandError(f"refused {refusal_message(failure)}") from failure
        self.stdout.write(f"registry {registry.registry_id} of {party.name} ready")
