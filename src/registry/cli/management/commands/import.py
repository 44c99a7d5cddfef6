import os
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from registry.access.login_ids import find_user
from registry.interchange.checking import ImportRefused, check_files
from registry.interchange.checking import Progress as Tick
from registry.interchange.importing import import_history

#: Files smaller than this (together) are read without a progress bar.
PROGRESS_FROM_BYTES = 1 << 20


class Command(BaseCommand):
    help = (
        "Import registries' histories from interchange files (docs/interchange.md): every file is checked in full"
        " (shape, references, the history replayed in order), then written in one database transaction through the"
        " registry's services, each action journaled with its original date. --dry-run only checks."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--input", required=True, action="append", help="a .jsonl file; give it again for each registry whose history comes along"
        )
        parser.add_argument("--dry-run", action="store_true", help="only check the files; write nothing")
        parser.add_argument(
            "--as",
            dest="actor",
            default=os.environ.get("REGISTRY_OPERATOR"),
            help="login of the administrator importing (default: $REGISTRY_OPERATOR)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        given = options["input"]
        paths = [Path(p) for p in ([given] if isinstance(given, str) else given)]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"no file {path}")
        actor = None
        if not options["dry_run"]:
            login = options.get("actor")
            if not login:
                raise CommandError("say who imports: --as LOGIN (or set REGISTRY_OPERATOR)")
            actor = find_user(login)
            if actor is None or not actor.is_active:
                raise CommandError(f"no active user {login!r}; create one with 'registry create-admin'")
        try:
            with self._progress(paths, "checking" if options["dry_run"] else "importing") as tick:
                if actor is None:
                    reports = check_files(paths, tick)
                else:
                    imported = import_history(actor, paths, tick)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            if refused.count > len(refused.problems):
                self.stderr.write(f"... and {refused.count - len(refused.problems)} more problems")
            raise CommandError(f"{refused.count} problems; nothing was written. Correct the lines named and import again.") from None
        if actor is None:
            for path, report in zip(paths, reports, strict=True):
                span = (
                    f"{report.first_effective:%Y-%m-%d} to {report.last_effective:%Y-%m-%d}"
                    if report.first_effective and report.last_effective
                    else "no dates"
                )
                self.stdout.write(f"{path}: {report.lines} lines, {report.dated} dated records of {report.registry} ({span}): no problems")
            self.stdout.write("dry run: nothing was written")
            return
        self.stdout.write(
            f"imported {imported.records} dated records into {', '.join(imported.registries)}: {imported.entries} journal entries written"
        )

    @contextmanager
    def _progress(self, paths: list[Path], verb: str) -> Iterator[Tick | None]:
        size = sum(path.stat().st_size for path in paths)
        if size < PROGRESS_FROM_BYTES:
            yield None
            return
        columns = (TextColumn(verb), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=True) as progress:
            # Checking reads the files once, writing once more: one bar for both passes.
            total = size if verb == "checking" else 2 * size
            task = progress.add_task(verb, total=total)
            passes: list[int] = [0]
            last: list[int] = [0]

            def tick(read: int) -> None:
                if read < last[0]:
                    passes[0] += 1
                last[0] = read
                progress.update(task, completed=min(total, read + passes[0] * size))

            advance: Callable[[int], None] = tick
            yield advance
