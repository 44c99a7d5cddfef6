import datetime as dt
from argparse import ArgumentParser
from typing import Any

from registry.article6.models import FirstTransferDefinition, Purpose
from registry.article6.services import create_authorization
from registry.cli.base import RegistryCommand, positive_int, vintage_years
from registry.core.checks import Check, CheckFailed
from registry.parties.models import CooperativeApproach
from registry.parties.services import get_party


class Command(RegistryCommand):
    help = "Record the Party's authorisation of ITMOs (for NDC use, OIMP, or both) with its first-transfer definition."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--identifier", required=True, help="the authorisation's id, e.g. MN-2025-001")
        parser.add_argument("--date", required=True, type=dt.date.fromisoformat, help="date of the authorisation, YYYY-MM-DD")
        parser.add_argument("--approach", required=True, help="cooperative approach id, e.g. CA0001")
        parser.add_argument("--purposes", required=True, choices=Purpose.values)
        parser.add_argument("--first-transfer", required=True, choices=FirstTransferDefinition.values)
        parser.add_argument("--document", required=True, help="reference of the authorising document")
        parser.add_argument("--quantity", type=positive_int, help="authorised quantity (tCO2e), if limited")
        parser.add_argument("--oimp-purposes", default="", help="e.g. CORSIA")
        parser.add_argument("--parties", default="", help="authorised Parties, comma-separated codes")
        parser.add_argument("--sectors", default="")
        parser.add_argument("--activity-types", default="", help="activity types, comma-separated")
        parser.add_argument(
            "--timeframe", type=vintage_years, default=(None, None), help="years of vintage authorised: 2023, 2023-2025, 2023- or -2025"
        )
        parser.add_argument("--terms", default="")

    def run(self, **options: Any) -> None:
        approach = CooperativeApproach.objects.filter(identifier=options["approach"]).first()
        if approach is None:
            raise CheckFailed(Check.VALUE_INVALID, field="Cooperative approach", detail=f"{options['approach']!r} does not exist")
        authorization = create_authorization(
            self.actor,
            self.registry,
            identifier=options["identifier"],
            date=options["date"],
            cooperative_approach=approach,
            purposes=options["purposes"],
            first_transfer_definition=options["first_transfer"],
            document_reference=options["document"],
            authorized_quantity=options["quantity"],
            oimp_purposes=options["oimp_purposes"],
            authorized_parties=[get_party(code.strip()) for code in options["parties"].split(",") if code.strip()],
            sectors=options["sectors"],
            activity_types=options["activity_types"],
            timeframe=options["timeframe"],
            terms=options["terms"],
        )
        self.stdout.write(
            f"authorisation {authorization.identifier} recorded ({authorization.purposes}, first transfer: {authorization.get_first_transfer_definition_display()})"
        )
