from argparse import ArgumentParser
from typing import Any

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.cli.base import RegistryCommand
from registry.parties.services import register_entity


class Command(RegistryCommand):
    help = "Open an account. Entity holding accounts name their holder (created with --entity-country if new)."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--type", required=True, choices=AccountType.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--entity", help="the holding entity's name (entity holding accounts)")
        parser.add_argument("--entity-country", help="ISO alpha-2 country of incorporation, to register a new entity")
        parser.add_argument("--head-office", default="")
        parser.add_argument("--purpose", default="", help="for use accounts, e.g. CORSIA")

    def run(self, **options: Any) -> None:
        entity = None
        if options["entity"]:
            entity = self.registry.entities.filter(name=options["entity"]).first()
            if entity is None:
                if not options["entity_country"]:
                    self.stderr.write("new entity: give --entity-country too")
                    raise SystemExit(1)
                entity = register_entity(
                    self.actor, self.registry, name=options["entity"], country=options["entity_country"], head_office=options["head_office"]
                )
        account = open_account(
            self.actor, self.registry, account_type=options["type"], name=options["name"], entity=entity, purpose=options["purpose"]
        )
        self.stdout.write(f"account {account.number} ({account.get_type_display()}) opened")
