import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from registry.article6.aef import build_annual_information, snapshot_note, write_csv, write_workbook
from registry.article6.aef_check import check_annual_information
from registry.cli.base import RegistryCommand, positive_int


class Command(RegistryCommand):
    help = "Export the registry's annual information for a year in the Agreed Electronic Format (Excel workbook and/or CSV)."
    acts = False

    def add_command_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--year", required=True, type=positive_int)
        parser.add_argument("--output", help="the workbook to write (default: <registry>-AEF-<year>.xlsx)")
        parser.add_argument("--csv-dir", help="also write one CSV file per table into this folder")
        parser.add_argument("--ndc-period", default="2021-2030", help="first and last year of the NDC implementation period")
        parser.add_argument(
            "--check",
            action="store_true",
            help="run the UN reporting platform's consistency checks instead of writing files; exit 1 on any finding",
        )

    def run(self, **options: Any) -> None:
        if options["check"]:
            self._check(options["year"])
            return
        first, _, last = options["ndc_period"].partition("-")
        report = build_annual_information(self.registry, options["year"], ndc_period=(int(first), int(last)), submitted=dt.date.today())
        if not report.complete:
            self.stderr.write(f"{snapshot_note(report)} Export it again after 31 December {report.year} before submitting.")
        output = Path(options["output"] or f"{self.registry.registry_id}-AEF-{options['year']}.xlsx")
        write_workbook(report, output)
        self.stdout.write(
            f"{output}: {len(report.actions)} actions, {len(report.holdings)} holding blocks, {len(report.authorizations)} authorisations"
        )
        if options["csv_dir"]:
            for path in write_csv(report, Path(options["csv_dir"])):
                self.stdout.write(f"{path}")
        r = report.reconciliation
        self.stdout.write(
            f"ITMOs held: {r.opening:,} at the start + {r.authorized:,} authorised + {r.acquired:,} acquired - {r.transferred:,} transferred"
            f" - {r.used:,} used - {r.cancelled:,} cancelled = {r.closing:,} at the end ({'reconciled' if r.balanced else 'NOT RECONCILED'})"
        )
        if not r.balanced:
            raise SystemExit(1)

    def _check(self, year: int) -> None:
        findings = check_annual_information(self.registry, year)
        for finding in findings:
            self.stdout.write(str(finding))
        self.stdout.write(
            f"{self.registry.registry_id} {year}: {len(findings)} finding{'' if len(findings) == 1 else 's'}"
            + ("" if findings else " (consistent)")
        )
        if findings:
            raise SystemExit(1)
