from argparse import ArgumentParser, ArgumentTypeError
from datetime import time
from typing import Any

from django.core.management.base import CommandError

from registry.access.services import set_operating_hours
from registry.cli.base import RegistryCommand
from registry.parties.hours_text import JCREDIT_PRESET, describe_hours, weekdays

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def days_argument(text: str) -> list[int]:
    """``mon-fri``, ``mon,wed,fri``, ``0-4`` or ``every``."""
    if text.strip().lower() in ("every", "all", "*"):
        return list(range(7))
    numbered = text.lower()
    for number, name in enumerate(DAY_NAMES):
        numbered = numbered.replace(name, str(number))
    try:
        return weekdays(numbered)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a set of days, e.g. mon-fri or mon,wed,fri") from None


def time_argument(text: str) -> time:
    try:
        return time.fromisoformat(text if len(text) > 2 else f"{int(text):02d}:00")
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a time of day, e.g. 09:00") from None


class Command(RegistryCommand):
    help = (
        "Show or set when account holders may move units, in the registry's own time zone: "
        "--days mon-fri --opens 09:00 --closes 23:00, --always, or --preset jcredit (weekdays 9:00-23:00 JST)."
    )

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--days", type=days_argument, help="days open, e.g. mon-fri, mon,wed,fri or every")
        parser.add_argument("--opens", type=time_argument, help="opening time, e.g. 09:00 (the registry's zone)")
        parser.add_argument("--closes", type=time_argument, help="closing time, e.g. 23:00 (the registry's zone)")
        parser.add_argument("--always", action="store_true", help="accept movements at any time")
        parser.add_argument("--preset", choices=["jcredit"], help="jcredit: weekdays 9:00-23:00 Japan time")

    def run(self, **options: Any) -> None:
        registry = self.registry
        if options["preset"] == "jcredit":
            if registry.time_zone != JCREDIT_PRESET["zone"]:
                raise CommandError(f"the J-Credit hours are Japan time; registry {registry.registry_id} keeps {registry.time_zone}")
            set_operating_hours(self.actor, registry, weekdays(JCREDIT_PRESET["open_weekdays"]), time(9), time(23))
        elif options["always"]:
            set_operating_hours(self.actor, registry, list(range(7)), None, None)
        elif options["days"] or options["opens"] or options["closes"]:
            days = options["days"] or weekdays(registry.open_weekdays)
            set_operating_hours(self.actor, registry, days, options["opens"], options["closes"])
        self.stdout.write(
            f"registry {registry.registry_id} accepts account holders' movements {describe_hours(registry)} ({registry.time_zone})"
        )
