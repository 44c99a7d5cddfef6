"""One step of ``registry bench`` in a process of its own, on the scratch database it is given.
Prints its figures as one line of JSON. Not for operators: ``registry bench`` runs these."""

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from registry.api.models import Scope
from registry.api.tokens import create_token
from registry.benchmarks import measure
from registry.benchmarks.ledger import grow_ledger, load_world, prepare_world
from registry.units.models import UnitBlock


class Command(BaseCommand):
    help = "internal: one step of 'registry bench' (setup, worker, grow, latency, own, acknowledged, profile, profile-pages)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("step", choices=["setup", "worker", "grow", "latency", "own", "acknowledged", "profile", "profile-pages"])
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--role", choices=["transfer", "raw"], default="transfer")
        parser.add_argument("--index", type=int, default=0)
        parser.add_argument("--writes", type=int, default=1)
        parser.add_argument("--blocks", type=int, default=1000)
        parser.add_argument("--samples", type=int, default=200)
        parser.add_argument("--answers", type=Path, help="acknowledged: a file of the API's answers, one JSON body a line")

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "setup":
            call_command("migrate", verbosity=0)
            world = prepare_world(options["clients"])
            measure.ensure_raw_table()
            _token, secret = create_token(world.admin, "bench", Scope.WRITE, days=1)
            sender, receiver = world.pairs[0]
            result: dict[str, Any] = {
                "row_writes": measure.row_writes_per_transfer(world),
                "blocks": UnitBlock.objects.count(),
                "token": secret,  # a scratch registry's, gone with it
                "from_account": sender.number,
                "to_account": receiver.number,
            }
        elif step == "worker":
            world = load_world()
            index = options["index"]
            connection.ensure_connection()
            self.stdout.write("ready")  # the window is given once every worker is set up
            self.stdout.flush()
            start_at, until = (float(moment) for moment in sys.stdin.readline().split())
            if options["role"] == "transfer":
                done = measure.work_until(lambda: measure.transfer(world, index), start_at, until)
            else:
                done = measure.work_until(lambda: measure.raw_transaction(index, options["writes"]), start_at, until)
            result = {"done": done}
        elif step == "grow":
            added = grow_ledger(load_world(), options["blocks"])
            result = {"added": added, "blocks": UnitBlock.objects.count()}
        elif step == "own":
            result = measure.own_statements(load_world(), options["samples"])
        elif step == "profile":
            from registry.benchmarks.profile import profile_api_transfers  # the test client: not loaded for the other steps

            call_command("migrate", verbosity=0)
            result = profile_api_transfers(prepare_world(1), options["samples"])
        elif step == "profile-pages":
            from registry.benchmarks.profile import profile_public_pages
            from registry.benchmarks.run import LOAD_PATHS

            call_command("migrate", verbosity=0)
            prepare_world(1)
            result = profile_public_pages(LOAD_PATHS, options["samples"])
        elif step == "acknowledged":
            answers = [json.loads(line) for line in options["answers"].read_text(encoding="utf-8").splitlines() if line]
            result = measure.acknowledged_transfers(load_world(), answers)
        else:
            result = measure.transfer_latency(load_world(), options["samples"])
        self.stdout.write(json.dumps(result))
