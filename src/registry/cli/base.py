"""What every operator command shares: who acts, which registry, and how refusals are shown."""

from __future__ import annotations

import os
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from registry.access.login_ids import find_user
from registry.accounts.models import Account
from registry.accounts.services import get_account
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.parties.models import Registry
from registry.parties.services import get_registry
from registry.refusals import refusal_message
from registry.transactions.blocks import RequestedRange, UnitChoice, requested_units, unit_choice


def positive_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a whole number") from None


def vintage_years(text: str) -> tuple[int | None, int | None]:
    """``2023``, ``2023-2025``, ``2023-`` or ``-2025``: the first and last year of vintage (``None``: open)."""
    first, dash, last = text.strip().partition("-")
    try:
        years = (int(first) if first else None, int(last) if last else None) if dash else (int(first), int(first))
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a year or a range of years such as 2023-2025") from None
    return years


class RegistryCommand(BaseCommand):
    """A command acting in one registry as a named user (``--as``, or ``REGISTRY_OPERATOR``)."""

    acts = True

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--registry", required=True, help="registry id, e.g. JPN01")
        if self.acts:
            parser.add_argument(
                "--as",
                dest="actor",
                default=os.environ.get("REGISTRY_OPERATOR"),
                help="login of the administrator acting (default: $REGISTRY_OPERATOR)",
            )
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        pass

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.registry = get_registry(options["registry"])
            if self.acts:
                self.actor = self._actor(options.get("actor"))
            self.run(**options)
        except CheckFailed as failure:
            blocks = f" (blocks: {', '.join(failure.blocks)})" if failure.blocks else ""
            raise CommandError(f"refused {refusal_message(failure)}{blocks}") from failure

    def run(self, **options: Any) -> None:
        raise NotImplementedError

    actor: User

    def _actor(self, login: str | None) -> User:
        if not login:
            raise CommandError("say who acts: --as LOGIN (or set REGISTRY_OPERATOR)")
        user = find_user(login)
        if user is None or not user.is_active:
            raise CommandError(f"no active user {login!r}; create one with 'registry create-admin'")
        return user

    def account(self, number: str, missing: Check = Check.ACCOUNT_UNKNOWN) -> Account:
        return get_account(self.registry, number, missing)

    def ranges(self, texts: list[str] | None) -> list[RequestedRange] | None:
        """``--range 1-100`` (serials the account holds, of whichever registry), ``--range
        MNG01:1-100``, or a block's unique identifier, as the holdings show them."""
        return [requested_units(text) for text in texts] if texts else None

    def choice(self, options: dict[str, Any]) -> UnitChoice:
        return unit_choice(self.registry, options.get("unit_type"), options.get("project"), options.get("vintage"))


def add_amount_arguments(parser: ArgumentParser) -> None:
    """A quantity (of one unit type) or units by range; both or neither is refused with 1003, as
    on the web and the API (so the check answers, not argparse)."""
    parser.add_argument("--quantity", type=positive_int, help="number of units of one type, oldest vintage and lowest serial first")
    parser.add_argument(
        "--range", action="append", dest="ranges", metavar="UNITS", help="[REGISTRY:]FIRST-LAST or a unique identifier (repeatable)"
    )
    parser.add_argument("--unit-type", help="with --quantity: take units of this type only (required if the account holds several)")
    parser.add_argument("--project", help="with --quantity: of this project only")
    parser.add_argument("--vintage", type=int, help="with --quantity: of this vintage only")


def add_use_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--purpose-code", default="", help="purpose of use from the programme's list, e.g. jc-offset")
    parser.add_argument("--aim", default="", help="the detailed aim")
    parser.add_argument("--credit-user", default="", help="the credit user's name")
    parser.add_argument("--country", default="", help="ISO 3166 alpha-2 code of the country of use")


def describe_range(serials: SerialRange) -> str:
    return f"{serials.start}-{serials.end}"


__all__ = ["Registry", "RegistryCommand", "add_amount_arguments", "add_use_arguments", "describe_range", "positive_int", "vintage_years"]
