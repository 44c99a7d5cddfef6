from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand, positive_int
from registry.cli.report import report_transaction
from registry.core.checks import Check, CheckFailed
from registry.transactions.services import correct_transaction


class Command(RegistryCommand):
    help = "Reverse a completed internal transfer (administrators only; a reason is required)."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--transaction", required=True, type=positive_int)
        parser.add_argument("--reason", required=True)

    def run(self, **options: Any) -> None:
        original = self.registry.transactions.filter(pk=options["transaction"]).first()
        if original is None:
            raise CheckFailed(Check.TRANSACTION_UNKNOWN, transaction=options["transaction"], registry=self.registry.registry_id)
        report_transaction(self.stdout, correct_transaction(actor=self.actor, transaction=original, reason=options["reason"]))
