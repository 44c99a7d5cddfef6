from argparse import ArgumentParser
from typing import Any

from registry.article6.models import Authorization
from registry.article6.services import authorize_entity
from registry.cli.base import RegistryCommand
from registry.core.checks import Check, CheckFailed


class Command(RegistryCommand):
    help = "Authorise an entity under an authorisation, with the conditions of AEF Table 5 (registering the entity if new)."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--authorization", required=True, help="the authorisation's id")
        parser.add_argument("--name", required=True, help="the entity's name")
        parser.add_argument("--country", required=True, help="ISO alpha-2 country of incorporation")
        parser.add_argument("--identification-number", default="")
        parser.add_argument("--conditions", default="", help="conditions of the authorisation of this entity")
        parser.add_argument("--change-conditions", default="", help="conditions for changing or revoking it")
        parser.add_argument("--explanation", default="", help="additional explanatory information")

    def run(self, **options: Any) -> None:
        authorization = Authorization.objects.filter(registry=self.registry, identifier=options["authorization"]).first()
        if authorization is None:
            raise CheckFailed(Check.AUTHORIZATION_UNKNOWN, authorization=options["authorization"], registry=self.registry.registry_id)
        authorized = authorize_entity(
            self.actor,
            authorization,
            name=options["name"],
            country=options["country"],
            identification_number=options["identification_number"],
            conditions=options["conditions"],
            change_and_revocation_conditions=options["change_conditions"],
            explanation=options["explanation"],
        )
        self.stdout.write(f"{authorized.entity.name} authorised under {authorization.identifier}")
