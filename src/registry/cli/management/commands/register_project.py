from argparse import ArgumentParser
from typing import Any

from registry.cli.base import RegistryCommand
from registry.core.checks import Check, CheckFailed
from registry.parties.models import CooperativeApproach, CreditingProgramme
from registry.parties.services import get_party, register_project


class Command(RegistryCommand):
    help = "Register a mitigation project of a crediting programme in this registry."

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--project", required=True, help="project identifier")
        parser.add_argument("--name", required=True)
        parser.add_argument("--programme", required=True, help="e.g. JCM or J-Credit")
        parser.add_argument("--host", required=True, help="host Party (alpha-2 or alpha-3)")
        parser.add_argument("--approach", help="cooperative approach id, e.g. CA0001")
        parser.add_argument("--methodology", default="")
        parser.add_argument("--sector", default="")

    def run(self, **options: Any) -> None:
        programme = CreditingProgramme.objects.filter(code=options["programme"]).first()
        if programme is None:
            raise CheckFailed(Check.VALUE_INVALID, field="Programme", detail=f"{options['programme']!r} does not exist")
        approach = None
        if options["approach"]:
            approach = CooperativeApproach.objects.filter(identifier=options["approach"]).first()
            if approach is None:
                raise CheckFailed(Check.VALUE_INVALID, field="Cooperative approach", detail=f"{options['approach']!r} does not exist")
        project = register_project(
            self.actor,
            self.registry,
            identifier=options["project"],
            name=options["name"],
            programme=programme,
            host_party=get_party(options["host"]),
            cooperative_approach=approach,
            methodology=options["methodology"],
            sector=options["sector"],
        )
        self.stdout.write(f"project {project.identifier} registered in {self.registry.registry_id}")
