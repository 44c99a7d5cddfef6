from argparse import ArgumentParser
from typing import Any

from registry import csvfiles
from registry.article6.models import Authorization
from registry.article6.rules import authorized_so_far
from registry.cli.base import RegistryCommand

COLUMNS = (
    "identifier",
    "date",
    "approach",
    "version",
    "purposes",
    "oimp_purposes",
    "first_transfer",
    "authorized_quantity",
    "authorized_units",
    "timeframe",
    "sectors",
    "activity_types",
    "authorized_entities",
)


class Command(RegistryCommand):
    help = "List the registry's authorisations with their timeframe, activity types and authorised entities (AEF tables 2 and 5)."
    acts = False

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=("text", "csv"), default="text")

    def run(self, **options: Any) -> None:
        found = (
            Authorization.objects.filter(registry=self.registry)
            .select_related("cooperative_approach")
            .prefetch_related("entity_authorizations__entity")
            .order_by("date", "identifier")
        )
        rows = [_row(a) for a in found]
        if options["format"] == "csv":
            csvfiles.write(self.stdout, COLUMNS, csvfiles.dict_rows(COLUMNS, rows), bom=False)
            return
        for r in rows:
            limit = r["authorized_quantity"] or "no limit"
            self.stdout.write(
                f"{r['identifier']} ({r['date']}, {r['approach']}, version {r['version']}): {r['purposes']} {r['oimp_purposes']}".rstrip()
                + f"; first transfer: {r['first_transfer']}; {r['authorized_units']} units authorised of {limit}"
            )
            self.stdout.write(f"  timeframe: {r['timeframe'] or 'any vintage'}; activity types: {r['activity_types'] or '-'}")
            for entity in r["authorized_entities"].split("; ") if r["authorized_entities"] else []:
                self.stdout.write(f"  authorised entity: {entity}")


def _row(a: Authorization) -> dict[str, Any]:
    entities = [
        f"{e.entity.name} ({e.entity.country}{', ' + e.entity.identification_number if e.entity.identification_number else ''})"
        + (f" conditions: {e.conditions}" if e.conditions else "")
        + (f" change and revocation: {e.change_and_revocation_conditions}" if e.change_and_revocation_conditions else "")
        for e in a.entity_authorizations.all()
    ]
    return {
        "identifier": a.identifier,
        "date": a.date.isoformat(),
        "approach": a.cooperative_approach.identifier,
        "version": a.version,
        "purposes": a.purposes,
        "oimp_purposes": a.oimp_purposes,
        "first_transfer": a.get_first_transfer_definition_display(),
        "authorized_quantity": a.authorized_quantity if a.authorized_quantity is not None else "",
        "authorized_units": authorized_so_far(a),
        "timeframe": a.timeframe,
        "sectors": a.sectors,
        "activity_types": a.activity_types,
        "authorized_entities": "; ".join(entities),
    }
