from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand, add_amount_arguments, add_use_arguments
from registry.cli.report import report_transaction
from registry.parties.services import get_entity, get_party
from registry.transactions.services import retire_units


class Command(RegistryCommand):
    help = "Retire units (use towards the NDC) from an account into the registry's retirement account."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--purpose", default="")
        parser.add_argument("--not-towards-ndc", action="store_true", help="voluntary offsetting: counts towards no NDC, never adjusted")
        parser.add_argument("--using-party", help="the Party (or, voluntary, the country) using the units; default: this registry's")
        parser.add_argument("--ndc-year", type=int, help="calendar year for which the units count towards the NDC (default: this year)")
        parser.add_argument(
            "--using-entity", help="the entity using the units (e.g. the airline for CORSIA): its identification number or name"
        )
        add_amount_arguments(parser)
        add_use_arguments(parser)

    def run(self, **options: Any) -> None:
        tx = retire_units(
            actor=self.actor,
            account=self.account(options["account"]),
            quantity=options["quantity"],
            ranges=self.ranges(options["ranges"]),
            using_entity=get_entity(self.registry, options["using_entity"]) if options["using_entity"] else None,
            purpose=options["purpose"],
            towards_ndc=not options["not_towards_ndc"],
            using_party=get_party(options["using_party"]) if options["using_party"] else None,
            ndc_year=options["ndc_year"],
            choice=self.choice(options),
            purpose_code=options["purpose_code"],
            aim=options["aim"],
            credit_user=options["credit_user"],
            use_country=options["country"],
        )
        report_transaction(self.stdout, tx)
