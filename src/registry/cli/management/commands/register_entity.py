from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand
from registry.parties.services import register_entity


class Command(RegistryCommand):
    help = "Register an entity (a legal person: an account holder, an airline using units, an entity to authorise)."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", required=True, help="ISO alpha-2 country of incorporation")
        parser.add_argument("--identification-number", default="", help="e.g. the company or ICAO number")
        parser.add_argument("--name-ja", default="")
        parser.add_argument("--head-office", default="")

    def run(self, **options: Any) -> None:
        entity = register_entity(
            self.actor,
            self.registry,
            name=options["name"],
            country=options["country"],
            identification_number=options["identification_number"],
            name_ja=options["name_ja"],
            head_office=options["head_office"],
        )
        self.stdout.write(f"entity {entity.name} ({entity.country}) registered in {self.registry.registry_id}")
