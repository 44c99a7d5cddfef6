from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from registry.interchange.validation import Report, validate
from registry.parties.models import Registry

#: Files smaller than this are checked without a progress bar.
PROGRESS_FROM_BYTES = 1 << 20


class Command(BaseCommand):
    help = (
        "Check an interchange file (docs/interchange.md) line by line: its shape, its references, and its history"
        " replayed in order. --dry-run reports every problem with its line and writes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--input", required=True, help="the .jsonl file to read")
        parser.add_argument("--dry-run", action="store_true", help="only check the file; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["input"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        report = self._validate(path)
        for problem in report.problems:
            self.stderr.write(f"{path}:{problem}")
        if report.problem_count > len(report.problems):
            self.stderr.write(f"... and {report.problem_count - len(report.problems)} more problems")
        if not report.valid:
            raise CommandError(f"{path}: {report.problem_count} problems; nothing was written. Correct the lines named and import again.")
        existing = Registry.objects.filter(registry_id=report.registry).first()
        if existing is not None and existing.journal_length:
            raise CommandError(
                f"registry {report.registry} already has {existing.journal_length} journal entries: history can only be imported"
                " into an empty registry, before its first live action. Import into a new installation instead."
            )
        span = (
            f"{report.first_effective:%Y-%m-%d} to {report.last_effective:%Y-%m-%d}"
            if report.first_effective and report.last_effective
            else "no dates"
        )
        self.stdout.write(f"{path}: {report.lines} lines, {report.dated} dated records of {report.registry} ({span}): no problems")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written")
            return
        raise CommandError("writing an imported history is not available yet (only --dry-run); nothing was written")

    def _validate(self, path: Path) -> Report:
        size = path.stat().st_size
        if size < PROGRESS_FROM_BYTES:
            with path.open(encoding="utf-8") as text:
                return validate(text)
        columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=True) as progress, path.open("rb") as raw:
            task = progress.add_task("checking", total=size)

            def lines() -> Iterator[str]:
                for line in raw:
                    progress.advance(task, len(line))
                    yield line.decode("utf-8")

            return validate(lines())
