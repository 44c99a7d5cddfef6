from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "registry.disclosure"
    verbose_name = _("Public information")
    label = "disclosure"

    def ready(self) -> None:
        from registry.disclosure import published
        from registry.parties import models as parties
        from registry.units.models import CorsiaEligibility

        # What the kept public pages name besides the ledger (see registry.disclosure.published).
        published.watch(
            [
                parties.Party,
                parties.Registry,
                parties.CreditingProgramme,
                parties.UnitType,
                parties.CooperativeApproach,
                parties.Project,
                parties.Entity,
                parties.Notice,
                CorsiaEligibility,
            ]
        )
