from argparse import ArgumentParser
from typing import Any

from registry.accounts.models import AccountStatus
from registry.accounts.services import change_account_status
from registry.cli.base import RegistryCommand


class Command(RegistryCommand):
    help = "Block, unblock (open) or close an account."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--status", required=True, choices=AccountStatus.values)

    def run(self, **options: Any) -> None:
        account = change_account_status(self.actor, self.account(options["account"]), options["status"])
        self.stdout.write(f"account {account.number} is now {account.status}")
