from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand, add_amount_arguments
from registry.cli.report import report_transaction
from registry.core.checks import Check
from registry.transactions.services import transfer_units


class Command(RegistryCommand):
    help = "Transfer units between two accounts of the registry, by quantity or by serial ranges."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="from_account", required=True)
        parser.add_argument("--to", dest="to_account", required=True)
        add_amount_arguments(parser)

    def run(self, **options: Any) -> None:
        tx = transfer_units(
            actor=self.actor,
            from_account=self.account(options["from_account"], Check.TRANSFERRING_ACCOUNT_UNKNOWN),
            to_account=self.account(options["to_account"], Check.ACQUIRING_ACCOUNT_UNKNOWN),
            quantity=options["quantity"],
            ranges=self.ranges(options["ranges"]),
            choice=self.choice(options),
        )
        report_transaction(self.stdout, tx)
