import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from rich.progress import Progress

from registry import csvfiles
from registry.cli.base import RegistryCommand
from registry.replica import replica_reads
from registry.units.holdings import Holding, holdings
from registry.units.models import UnitBlock


class Command(RegistryCommand):
    help = "Export holdings by block as CSV (to a file, or to standard output)."
    acts = False

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", help="only this account")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def run(self, **options: Any) -> None:
        account = self.account(options["account"]) if options["account"] else None
        with replica_reads():  # an export may be a moment behind: it reads the standby if there is one
            self._export(account, options)

    def _export(self, account: Any, options: dict[str, Any]) -> None:
        if options["output"]:
            count = UnitBlock.objects.filter(account__registry=self.registry).count()
            with Path(options["output"]).open("w", newline="", encoding="utf-8") as out, Progress(console=None, transient=True) as progress:
                task = progress.add_task("exporting blocks", total=count)
                rows = self._write(out, holdings(self.registry, account), lambda: progress.advance(task))
            self.stderr.write(f"{rows} blocks written to {options['output']}")
        else:
            self._write(sys.stdout, holdings(self.registry, account), lambda: None, bom=False)

    @staticmethod
    def _write(out: Any, rows: Any, tick: Any, bom: bool = True) -> int:
        def values() -> Any:
            for h in rows:
                yield [getattr(h, column) for column in Holding.COLUMNS]
                tick()

        return csvfiles.write(out, Holding.COLUMNS, values(), bom=bom)
