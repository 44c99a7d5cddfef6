import os
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from registry.access.models import Operation
from registry.access.permissions import administered_registries, visible_registries
from registry.access.services import log_operation
from registry.accounts.models import Account
from registry.api.models import Scope
from registry.api.tokens import create_token
from registry.core.checks import CheckFailed
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.refusals import refusal_message


class Command(BaseCommand):
    help = (
        "Make an API token for a user (a machine client of the Party's own systems). The secret is printed once and never "
        "stored; the operator (--as, or $REGISTRY_OPERATOR) must administer every registry the token reaches."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, help="login ID of the user the token acts as")
        parser.add_argument("--scope", required=True, choices=Scope.values)
        parser.add_argument("--account", action="append", default=[], help="limit the token to this account (repeatable)")
        parser.add_argument("--days", type=int, default=90, help="validity in days (1-366; default 90)")
        parser.add_argument("--name", default="command line", help="what the token is for, as listed on /app/tokens/")
        parser.add_argument("--as", dest="actor", default=os.environ.get("REGISTRY_OPERATOR"), help="login of the administrator acting")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = User.objects.filter(username=options["actor"] or "", is_active=True).first()
        if operator is None:
            raise CommandError("say who acts: --as LOGIN (or set REGISTRY_OPERATOR) naming an active administrator")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        accounts = []
        for number in options["account"]:
            account = Account.objects.select_related("registry").filter(number=number).first()
            if account is None:
                raise CommandError(f"account {number} does not exist")
            accounts.append(account)
        # The token reaches the listed accounts, or everything the user sees: its operator must
        # administer all of it (a token is a credential for the registry's own machines).
        reached = {a.registry for a in accounts} if accounts else set(visible_registries(user))
        if not reached and not administered_registries(operator).exists():
            raise CommandError(f"refused: {operator.username} administers no registry")
        for registry in reached:
            if not is_administrator(operator, registry):
                raise CommandError(f"refused: {operator.username} does not administer registry {registry.registry_id}")
        try:
            token, secret = create_token(user, options["name"], options["scope"], accounts, days=options["days"])
        except CheckFailed as failure:
            raise CommandError(f"refused {refusal_message(failure)}") from failure
        targets: list[Registry | None] = [*reached] or [None]  # a user who sees no registry yet: logged without one
        for target in targets:
            log_operation(
                operator, Operation.API_TOKEN_CREATED_FOR, registry=target, target=f"{user.username} {token.prefix}", outcome=token.scope
            )
        self.stdout.write(f"token {token.prefix} for {user.username} ({token.scope}, expires {token.expires_at:%Y-%m-%d %H:%M %Z}):")
        self.stdout.write(secret)
        self.stderr.write("The secret is shown once and never stored: keep it now.")
