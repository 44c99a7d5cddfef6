from argparse import ArgumentParser
from typing import Any

from django.db.models import F, Sum

from registry import csvfiles
from registry.accounts.models import Account
from registry.cli.base import RegistryCommand

COLUMNS = ("number", "type", "name", "status", "purpose", "entity", "entity_country", "identification_number", "authorizations", "units")


class Command(RegistryCommand):
    help = "List the registry's accounts with their holders and the authorisations their entities hold."
    acts = False

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=("text", "csv"), default="text")

    def run(self, **options: Any) -> None:
        found = (
            Account.objects.filter(registry=self.registry)
            .select_related("entity")
            .prefetch_related("entity__entity_authorizations__authorization")
            .annotate(units=Sum(F("blocks__end") - F("blocks__start") + 1))
            .order_by("number")
        )
        rows = [_row(a) for a in found]
        if options["format"] == "csv":
            csvfiles.write(self.stdout, COLUMNS, csvfiles.dict_rows(COLUMNS, rows), bom=False)
            return
        for r in rows:
            holder = f", {r['entity']} ({r['entity_country']}{', ' + r['identification_number'] if r['identification_number'] else ''})"
            authorised = f", authorised under {r['authorizations']}" if r["authorizations"] else ""
            purpose = f" for {r['purpose']}" if r["purpose"] else ""
            self.stdout.write(
                f"{r['number']} {r['type']}{purpose} {r['name']!r} {r['status']}{holder if r['entity'] else ''}{authorised}: {r['units']} units"
            )


def _row(account: Any) -> dict[str, Any]:
    entity = account.entity
    return {
        "number": account.number,
        "type": account.type,
        "name": account.name,
        "status": account.status,
        "purpose": account.purpose,
        "entity": entity.name if entity else "",
        "entity_country": entity.country if entity else "",
        "identification_number": entity.identification_number if entity else "",
        "authorizations": ", ".join(e.authorization.identifier for e in entity.entity_authorizations.all()) if entity else "",
        "units": account.units or 0,
    }
