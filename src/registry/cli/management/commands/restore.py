from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.cli.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into the configured database (stop the server first). Then run: registry verify."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="a file written by 'registry backup'")
        parser.add_argument("--replace", action="store_true", help="replace a database that already holds a registry")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            heads = restore(options["input"], replace=options["replace"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"restored from {options['input']}")
        for head in heads:
            self.stdout.write(str(head))
