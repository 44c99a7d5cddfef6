from argparse import ArgumentParser
from typing import Any

from registry.access.login_ids import find_user
from registry.access.services import grant_right
from registry.accounts.models import Right
from registry.cli.base import RegistryCommand
from registry.core.checks import Check, CheckFailed


class Command(RegistryCommand):
    help = "Make a user a representative of an account (initiate, approve, initiate_and_approve or read_only)."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, help="the representative's login ID")
        parser.add_argument("--account", required=True)
        parser.add_argument("--right", required=True, choices=Right.values)

    def run(self, **options: Any) -> None:
        user = find_user(options["user"])
        if user is None:
            raise CheckFailed(Check.VALUE_INVALID, field="User", detail=f"{options['user']!r} does not exist")
        grant_right(self.actor, self.account(options["account"]), user, options["right"])
        self.stdout.write(f"{user.username} may now {options['right'].replace('_', ' ')} for account {options['account']}")
