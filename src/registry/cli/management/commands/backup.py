from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.cli.backups import BackupError, backup


class Command(BaseCommand):
    help = "Write a consistent backup of the whole database (SQLite online backup, or pg_dump), even while the registry runs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="the backup file to write (must not exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            heads = backup(options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"backup written to {options['output']}")
        for head in heads:
            self.stdout.write(str(head))
