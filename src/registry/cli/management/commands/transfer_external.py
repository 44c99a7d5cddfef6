from argparse import ArgumentParser
from typing import Any

from registry.accounts.services import destination_account
from registry.cli.base import RegistryCommand, add_amount_arguments
from registry.cli.report import report_transaction
from registry.core.checks import Check, CheckFailed
from registry.peers.services import peer_account
from registry.transactions.services import transfer_externally


class Command(RegistryCommand):
    help = "Transfer authorised units (ITMOs) to an account of another registry, of this installation or of a registered peer."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="from_account", required=True)
        parser.add_argument(
            "--to",
            dest="to_account",
            required=True,
            help="an account number of the acquiring registry (of this installation or of a registered peer)",
        )
        add_amount_arguments(parser)

    def run(self, **options: Any) -> None:
        from_account = self.account(options["from_account"], Check.TRANSFERRING_ACCOUNT_UNKNOWN)
        to_account = peer_account(from_account.registry, options["to_account"]) or destination_account(
            from_account.registry, options["to_account"]
        )
        if to_account is None:
            raise CheckFailed(Check.ACQUIRING_ACCOUNT_UNKNOWN, account=options["to_account"], registry="this installation")
        tx = transfer_externally(
            actor=self.actor,
            from_account=from_account,
            to_account=to_account,
            quantity=options["quantity"],
            ranges=self.ranges(options["ranges"]),
            choice=self.choice(options),
        )
        report_transaction(self.stdout, tx)
