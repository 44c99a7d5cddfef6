from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.benchmarks.load import loopback_target
from registry.benchmarks.run import Options, Peer, figures_json, markdown, run


def header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise ValueError(text)
    return name.strip(), value.strip()


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
        parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
        parser.add_argument("--http-transfers", type=int, default=500, help="sequential transfers over the API")
        parser.add_argument("--http-each", type=int, default=100, help="transfers over the API per client, --clients at once")
        parser.add_argument("--own-samples", type=int, default=200, help="transfers timed against their own statements")
        parser.add_argument(
            "--http-peer", metavar="URL", help="also time another registry's transfer endpoint (on loopback) with the same client"
        )
        parser.add_argument(
            "--peer-header",
            type=header,
            action="append",
            default=[],
            metavar="'NAME: VALUE'",
            help="a header to send to the peer (repeatable)",
        )
        parser.add_argument("--peer-body", default="", help="the JSON body of one transfer to the peer")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # figures appear as they are measured: a full run takes a while

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quick"]:
            options.update(sizes=[200, 2_000], seconds=1.0, clients=2, samples=20, http_transfers=20, http_each=10, own_samples=20)
        if not 1 <= options["http_transfers"] <= 10_000 or not 1 <= options["http_each"] <= 10_000:
            raise CommandError("--http-transfers and --http-each must be in [1, 10000]")
        peer = None
        if options["http_peer"]:
            if not options["peer_body"]:
                raise CommandError("--http-peer needs --peer-body (the JSON of one transfer)")
            try:
                loopback_target(options["http_peer"].split("?", 1)[0])
            except ValueError as refused:
                raise CommandError(f"--http-peer: {refused}") from None
            peer = Peer(options["http_peer"], dict(options["peer_header"]), options["peer_body"].encode())
        if options["no_sqlite"] and not options["postgres"] and not options["http_peer"]:
            raise CommandError("nothing to measure: --no-sqlite needs --postgres or --http-peer")
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
            http_sequential=options["http_transfers"],
            http_each=options["http_each"],
            own_samples=options["own_samples"],
            peer=peer,
        )
        reports = run(chosen)
        if options["output"]:
            options["output"].write_text(markdown(reports, chosen), encoding="utf-8")
            self.stdout.write(f"figures written to {options['output']}")
        if options["json"]:
            self.stdout.write(figures_json(reports))
