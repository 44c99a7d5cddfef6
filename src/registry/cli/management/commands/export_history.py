from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from registry.cli.base import RegistryCommand
from registry.interchange.export import export_history


class Command(RegistryCommand):
    help = "Export the registry's whole history (reference data, accounts, authorisations, every transaction) as interchange JSON Lines."
    acts = False

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", required=True, help="the .jsonl file to write")

    def run(self, **options: Any) -> None:
        path = Path(options["output"])
        with path.open("w", encoding="utf-8") as out:
            lines = export_history(self.registry, out)
        self.stdout.write(f"{path}: {lines} records of {self.registry.registry_id} (docs/interchange.md)")
