"""One step of ``registry bench`` in a process of its own, on the scratch database it is given.
Prints its figures as one line of JSON. Not for operators: ``registry bench`` runs these."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from registry.benchmarks import measure
from registry.benchmarks.ledger import grow_ledger, load_world, prepare_world
from registry.units.models import UnitBlock


class Command(BaseCommand):
    help = "internal: one step of 'registry bench' (setup, worker, grow, latency)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("step", choices=["setup", "worker", "grow", "latency"])
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--role", choices=["transfer", "raw"], default="transfer")
        parser.add_argument("--index", type=int, default=0)
        parser.add_argument("--writes", type=int, default=1)
        parser.add_argument("--start-at", type=float, default=0.0)
        parser.add_argument("--until", type=float, default=0.0)
        parser.add_argument("--blocks", type=int, default=1000)
        parser.add_argument("--samples", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "setup":
            call_command("migrate", verbosity=0)
            world = prepare_world(options["clients"])
            measure.ensure_raw_table()
            result: dict[str, Any] = {"row_writes": measure.row_writes_per_transfer(world), "blocks": UnitBlock.objects.count()}
        elif step == "worker":
            world = load_world()
            index = options["index"]
            if options["role"] == "transfer":
                done = measure.work_until(lambda: measure.transfer(world, index), options["start_at"], options["until"])
            else:
                done = measure.work_until(lambda: measure.raw_transaction(index, options["writes"]), options["start_at"], options["until"])
            result = {"done": done}
        elif step == "grow":
            added = grow_ledger(load_world(), options["blocks"])
            result = {"added": added, "blocks": UnitBlock.objects.count()}
        else:
            result = measure.transfer_latency(load_world(), options["samples"])
        self.stdout.write(json.dumps(result))
