from argparse import ArgumentParser
from typing import Any

from registry.article6.models import Authorization
from registry.cli.base import RegistryCommand
from registry.cli.report import report_transaction
from registry.core.checks import Check, CheckFailed
from registry.transactions.authorization_services import authorize_units
from registry.transactions.blocks import requested_range


class Command(RegistryCommand):
    help = "Authorise units as ITMOs under an authorisation: named serial ranges, or a project's units (optionally of some vintages)."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--authorization", required=True)
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--range", action="append", dest="ranges", metavar="[REGISTRY:]FIRST-LAST")
        which.add_argument("--project", help="every unauthorised unit of this project held in the registry")
        parser.add_argument("--vintages", help="with --project: FIRST-LAST vintage years, e.g. 2023-2024")

    def run(self, **options: Any) -> None:
        authorization = Authorization.objects.filter(registry=self.registry, identifier=options["authorization"]).first()
        if authorization is None:
            raise CheckFailed(Check.AUTHORIZATION_UNKNOWN, authorization=options["authorization"], registry=self.registry.registry_id)
        project = None
        if options["project"]:
            project = self.registry.projects.filter(identifier=options["project"]).first()
            if project is None:
                raise CheckFailed(Check.PROJECT_UNKNOWN, project=options["project"], registry=self.registry.registry_id)
        vintages = None
        if options["vintages"]:
            first, _, last = options["vintages"].partition("-")
            try:
                vintages = (int(first), int(last or first))
            except ValueError:
                raise CheckFailed(Check.VALUE_INVALID, field="Vintages", detail=repr(options["vintages"])) from None
        tx = authorize_units(
            actor=self.actor,
            authorization=authorization,
            ranges=[requested_range(t, self.registry.registry_id) for t in options["ranges"]] if options["ranges"] else None,
            project=project,
            vintages=vintages,
        )
        report_transaction(self.stdout, tx)
