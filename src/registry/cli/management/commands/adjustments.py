from typing import Any

from django.core.management.base import BaseCommand

from registry.article6.adjustments import adjustment_totals


class Command(BaseCommand):
    help = "Corresponding adjustments per Party and year: + first transferred, - used towards the NDC."

    def handle(self, *args: Any, **options: Any) -> None:
        totals = adjustment_totals()
        if not totals:
            self.stdout.write("no corresponding adjustments recorded")
        for (party, year), quantity in sorted(totals.items()):
            self.stdout.write(f"{party} {year}: {quantity:+,} tCO2e")
