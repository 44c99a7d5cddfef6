from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand, add_amount_arguments
from registry.cli.report import report_transaction
from registry.transactions.services import retire_units


class Command(RegistryCommand):
    help = "Retire units (use towards the NDC) from an account into the registry's retirement account."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--purpose", default="")
        add_amount_arguments(parser)

    def run(self, **options: Any) -> None:
        tx = retire_units(
            actor=self.actor,
            account=self.account(options["account"]),
            quantity=options["quantity"],
            ranges=self.ranges(options["ranges"]),
            purpose=options["purpose"],
        )
        report_transaction(self.stdout, tx)
