from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand, positive_int
from registry.core.checks import Check, CheckFailed
from registry.parties.models import CooperativeApproach, UnitType
from registry.parties.services import get_party
from registry.transactions.services import issue_units


class Command(RegistryCommand):
    help = "Issue units of a project's vintage into an account, with the registry's next serial numbers."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--project", required=True)
        parser.add_argument("--unit-type", required=True, help="e.g. JCM or JC")
        parser.add_argument("--vintage", required=True, type=positive_int)
        parser.add_argument("--quantity", required=True, type=positive_int)
        parser.add_argument("--approach", help="cooperative approach id (default: the project's)")
        parser.add_argument("--first-transferring-party", help="alpha-2 or alpha-3 (ITMOs)")

    def run(self, **options: Any) -> None:
        project = self.registry.projects.filter(identifier=options["project"]).first()
        if project is None:
            raise CheckFailed(Check.PROJECT_UNKNOWN, project=options["project"], registry=self.registry.registry_id)
        unit_type = UnitType.objects.filter(code=options["unit_type"]).first()
        if unit_type is None:
            raise CheckFailed(Check.UNIT_TYPE_UNKNOWN, unit_type=options["unit_type"])
        approach = None
        if options["approach"]:
            approach = CooperativeApproach.objects.filter(identifier=options["approach"]).first()
            if approach is None:
                raise CheckFailed(Check.VALUE_INVALID, field="Cooperative approach", detail=f"{options['approach']!r} does not exist")
        party = get_party(options["first_transferring_party"]) if options["first_transferring_party"] else None
        tx = issue_units(
            actor=self.actor,
            account=self.account(options["account"]),
            project=project,
            unit_type=unit_type,
            vintage=options["vintage"],
            quantity=options["quantity"],
            cooperative_approach=approach,
            first_transferring_party=party,
        )
        block = tx.blocks.get()
        self.stdout.write(f"transaction {tx.pk} completed: issued {tx.quantity} units, block {block.identifier}")
