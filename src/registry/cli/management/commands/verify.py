from typing import IO, Any, cast

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from registry.verification import verify


class Command(BaseCommand):
    help = "Recompute the journal's hash chains, replay them, and check every ledger invariant. Exits 1 if anything is wrong."

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stderr), stderr=True)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            tasks: dict[str, Any] = {}

            def tick(stage: str, n: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=None)
                progress.advance(tasks[stage], n)

            report = verify(tick)
        for (registry, unit_type, vintage), where in sorted(report.totals.items()):
            spread = ", ".join(f"{kind} {units:,}" for kind, units in sorted(where.items()))
            self.stdout.write(f"{registry} {unit_type} {vintage}: {sum(where.values()):,} issued = {spread}")
        if report.ok:
            self.stdout.write(f"verify: OK ({report.entries:,} journal entries, {report.blocks:,} blocks)")
            return
        for problem in report.problems:
            self.stdout.write(f"PROBLEM: {problem}")
        self.stdout.write(f"verify: FAILED with {len(report.problems)} problem(s)")
        raise SystemExit(1)
