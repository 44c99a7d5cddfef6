from argparse import ArgumentParser
from typing import IO, Any, cast

from rich.console import Console
from rich.table import Table

from registry.cli.base import RegistryCommand
from registry.units.holdings import holdings


class Command(RegistryCommand):
    help = "Show holdings by block, with unique identifiers."
    acts = False

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", help="only this account")

    def run(self, **options: Any) -> None:
        account = self.account(options["account"]) if options["account"] else None
        table = Table(title=f"Holdings in {self.registry.registry_id}")
        for column, justify in (
            ("account", "left"),
            ("type", "left"),
            ("unique identifier", "left"),
            ("quantity", "right"),
            ("reserved by", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        total = 0
        for h in holdings(self.registry, account):
            total += h.quantity
            table.add_row(h.account, h.account_type, h.identifier, f"{h.quantity:,}", str(h.reserved_by or ""))
        table.add_section()
        table.add_row("total", "", "", f"{total:,}", "")
        Console(file=cast(IO[str], self.stdout), width=160).print(table)
