from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.benchmarks.run import Options, markdown, run


def sizes(text: str) -> list[int]:
    return sorted({int(size.replace("_", "")) for size in text.split(",") if size.strip()})


class Command(BaseCommand):
    help = (
        "Measure transfer throughput against the database's own limit, transfer latency and verify/AEF cost as the ledger "
        "grows, and the web under load, on scratch databases (never the registry's own). Prints the figures."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server where a scratch database may be created and dropped")
        parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
        parser.add_argument("--sizes", type=sizes, default=[1_000, 100_000, 1_000_000], help="ledger sizes in blocks, e.g. 1000,100000")
        parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput and load run")
        parser.add_argument("--clients", type=int, default=8, help="concurrent clients (besides one)")
        parser.add_argument("--samples", type=int, default=200, help="transfers timed at each ledger size")
        parser.add_argument("--quick", action="store_true", help="a short run that proves the benchmark works (CI)")
        parser.add_argument("--output", type=Path, help="also write the figures as Markdown tables to this file")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # figures appear as they are measured: a full run takes a while

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quick"]:
            options.update(sizes=[200, 2_000], seconds=1.0, clients=2, samples=20)
        if options["no_sqlite"] and not options["postgres"]:
            raise CommandError("nothing to measure: --no-sqlite needs --postgres")
        if not 0 < options["seconds"] <= 600 or not 1 <= options["clients"] <= 64:
            raise CommandError("--seconds must be in (0, 600] and --clients in [1, 64]")
        chosen = Options(
            sizes=options["sizes"],
            seconds=options["seconds"],
            clients=options["clients"],
            samples=options["samples"],
            postgres=options["postgres"],
            scratch=Path(settings.REGISTRY_HOME),
            sqlite=not options["no_sqlite"],
            say=self.say,
        )
        reports = run(chosen)
        if options["output"]:
            options["output"].write_text(markdown(reports, chosen), encoding="utf-8")
            self.stdout.write(f"figures written to {options['output']}")
