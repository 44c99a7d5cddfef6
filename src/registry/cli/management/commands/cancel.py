from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand, add_amount_arguments, add_use_arguments
from registry.cli.report import report_transaction
from registry.parties.services import get_entity
from registry.transactions.models import CancellationKind
from registry.transactions.services import cancel_units


class Command(RegistryCommand):
    help = "Cancel units (mandatory, voluntary or OMGE) from an account into the matching cancellation account."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--kind", required=True, choices=CancellationKind.values)
        parser.add_argument("--oimp-purpose", default="", help="with --kind oimp: the purpose, e.g. CORSIA")
        parser.add_argument(
            "--using-entity", help="the entity using the units (e.g. the airline for CORSIA): its identification number or name"
        )
        add_amount_arguments(parser)
        add_use_arguments(parser)

    def run(self, **options: Any) -> None:
        tx = cancel_units(
            actor=self.actor,
            account=self.account(options["account"]),
            kind=options["kind"],
            quantity=options["quantity"],
            ranges=self.ranges(options["ranges"]),
            using_entity=get_entity(self.registry, options["using_entity"]) if options["using_entity"] else None,
            oimp_purpose=options["oimp_purpose"],
            choice=self.choice(options),
            purpose_code=options["purpose_code"],
            aim=options["aim"],
            credit_user=options["credit_user"],
            use_country=options["country"],
        )
        report_transaction(self.stdout, tx)
