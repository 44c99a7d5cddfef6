"""The Agreed Electronic Format (AEF, version 2): a registry's annual information for one year.

Built from the journal alone (forged rows never reach it): the registry's journal is replayed from its first entry, so each
action is reported with the attributes its units had at that moment, and holdings at the start
and end of the year are the replayed ledger at those instants. One row per action per block.
Only ITMOs (units under an authorisation) are reported. Cells the UN platform fills stay empty.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from registry import csvfiles
from registry.accounts.models import FINAL_TYPES
from registry.article6.models import FirstTransferDefinition
from registry.core import entries as e
from registry.core.entries import parse_body
from registry.core.serials import Block, merge_adjacent
from registry.journal.models import JournalEntry
from registry.journal.replay import Applied, Attributes, Replay, scratched
from registry.parties.models import Entity, Registry
from registry.replica import reads_from_replica

NA = "NA"
METRIC = "GHG"
GWP = "AR5"
MITIGATION_TYPE = "Emission reductions"

SUBMISSION_COLUMNS = (
    "Party",
    "Version",
    "Reported year",
    "Date of submission",
    "Review status of the initial report*",
    "Result of the consistency check of this AEF submission*",
    "First year of the NDC implementation period",
    "Last year of the NDC implementation period",
    "Reference to the Article 6 technical expert review report of the initial report*",
)
AUTHORIZATION_COLUMNS = (
    "Authorization ID",
    "Date of authorization",
    "Cooperative approach ID",
    "Version of the authorization",
    "Authorized quantity",
    "Metric",
    "Applicable GWP value(s)",
    "Applicable non-GHG metric",
    "Sector(s)",
    "Activity type(s)",
    "Purposes for authorization",
    "Authorized Party(ies) ID",
    "Authorized entity(ies) ID",
    "OIMP authorized by the Party",
    "Authorized timeframe",
    "Authorization terms and conditions",
    "Authorization documentation*",
    "First transfer definition for OIMP",
    "Additional explanatory information",
)
UNIT_COLUMNS = (
    "Cooperative approach ID",
    "Authorization ID",
    "First transferring participating Party ID",
    "Party ITMO registry ID",
    "First ID",
    "Last ID",
    "Underlying unit registry ID",
    "First unit ID",
    "Last unit ID",
    "Metric",
    "Applicable GWP value(s)",
    "Applicable non-GHG metric",
    "Quantity (t CO2 eq)",
    "Quantity (in non-GHG metric)",
    "Mitigation type",
    "Vintage",
)
#: The AEF reports from 2021, the first year of the Paris Agreement's NDC period (the API's bound too).
FIRST_REPORTING_YEAR = 2021

ACTION_COLUMNS = (
    "Action date",
    "Action type",
    "Action subtype",
    *UNIT_COLUMNS,
    "Transferring participating Party ID",
    "Acquiring participating Party ID",
    "Purpose for which the ITMO has been used towards or cancelled for OIMP",
    "Using/cancelling participating Party ID",
    "Using/cancelling authorized entity ID",
    "Calendar year for which the ITMOs are used towards the Party's NDC",
    "Result of the consistency checks*",
    "Additional explanatory information",
)
HOLDING_COLUMNS = UNIT_COLUMNS
ENTITY_COLUMNS = (
    "Date of the authorization",
    "Name",
    "Country of incorporation",
    "Identification number",
    "Cooperative approach ID",
    "Conditions",
    "Change and revocation conditions",
    "Additional explanatory information",
)
#: The purposes a use or cancellation for OIMP is reported under: international mitigation purposes
#: (IMP, e.g. CORSIA) or other purposes (OP); the use account's own name goes to the explanation.
INTERNATIONAL_MITIGATION_PURPOSES = frozenset({"CORSIA"})
FIRST_TRANSFER_SUBTYPES = {
    FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER: "First transfer to another Party",
    FirstTransferDefinition.AUTHORIZATION: "Authorization",
    FirstTransferDefinition.ISSUANCE: "Issuance",
    FirstTransferDefinition.USE_OR_CANCELLATION: "Use or cancellation",
}


@dataclass
class Reconciliation:
    """ITMOs held in the registry's holding accounts: start + in - out must equal the end."""

    opening: int = 0
    authorized: int = 0
    acquired: int = 0
    transferred: int = 0
    used: int = 0
    cancelled: int = 0
    closing: int = 0

    @property
    def balanced(self) -> bool:
        return self.opening + self.authorized + self.acquired - self.transferred - self.used - self.cancelled == self.closing


@dataclass
class AnnualInformation:
    """One year's five AEF tables. ``snapshot`` is the instant the holdings (Table 4) were taken:
    the end of the year, or now for a year that has not ended (``complete`` is then ``False``)."""

    registry: Registry
    year: int
    snapshot: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    complete: bool = True
    submission: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: Reconciliation = field(default_factory=Reconciliation)

    def tables(self) -> list[tuple[str, tuple[str, ...], list[dict[str, Any]]]]:
        return [
            ("Table 1 Submission", SUBMISSION_COLUMNS, self.submission),
            ("Table 2 Authorizations", AUTHORIZATION_COLUMNS, self.authorizations),
            ("Table 3 Actions", ACTION_COLUMNS, self.actions),
            ("Table 4 Holdings", HOLDING_COLUMNS, self.holdings),
            ("Table 5 Authorized entities", ENTITY_COLUMNS, self.entities),
        ]


@reads_from_replica
def build_annual_information(
    registry: Registry, year: int, *, ndc_period: tuple[int, int] = (2021, 2030), submitted: dt.date | None = None
) -> AnnualInformation:
    registries = dict(Registry.objects.values_list("registry_id", "party__alpha3"))
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    report = AnnualInformation(registry, year, snapshot=min(end, now), complete=now >= end)
    entities = entity_ids()
    with scratched() as replay:
        opened = False
        # Dated by when each action took effect: an imported history's effective dates come before
        # the first live action's, so the journal's order is the order of effect and the year ends
        # at the first entry that took effect after it.
        for entry in JournalEntry.objects.filter(registry=registry).order_by("sequence").iterator(chunk_size=2000):
            recorded = parse_body(entry.body)
            if recorded.took_effect >= end:
                break
            if not opened and recorded.took_effect >= start:
                report.reconciliation.opening = _itmos_held(replay)
                opened = True
            applied = replay.apply(recorded)
            if recorded.took_effect >= start:
                for row, counted in action_rows(registry, applied, registries, entities):
                    report.actions.append(row)
                    _count(report.reconciliation, counted, row["Quantity (t CO2 eq)"])
        if not opened:
            report.reconciliation.opening = _itmos_held(replay)
        report.reconciliation.closing = _itmos_held(replay)
        report.holdings = list(merge_rows(_unit_columns(registry, b, registries) for b in _holding_blocks(replay)))
        # Another Party's authorisations (held here for ITMOs acquired from a peer) are that Party's to report.
        versions = [
            v
            for history in replay.authorizations.values()
            for v in history
            if v.date < dt.date(year + 1, 1, 1) and v.authorizing_party is None
        ]
    report.submission = [
        dict(
            zip(
                SUBMISSION_COLUMNS,
                [registry.party.alpha3, 1, year, (submitted or dt.date.today()).isoformat(), "", "", ndc_period[0], ndc_period[1], ""],
                strict=True,
            )
        )
    ]
    # Table 2 and Table 5 from the journal's versions, not from the rows: a forged row never reaches them.
    for version in sorted(versions, key=lambda v: (v.identifier, v.version)):
        report.authorizations.append(_authorization_row(version))
        report.entities += [_entity_row(version, entity) for entity in version.authorized_entities]
    return report


# Actions ------------------------------------------------------------------------------------------


def entity_ids() -> dict[int, str]:
    """How the AEF names each entity: its identification number, or its name if it has none."""
    return {pk: number or name for pk, number, name in Entity.objects.values_list("pk", "identification_number", "name")}


def oimp_purpose(use_account_purpose: str) -> str:
    """The AEF's controlled value for a use or cancellation for OIMP."""
    return "IMP" if use_account_purpose.strip().upper() in INTERNATIONAL_MITIGATION_PURPOSES else "OP"


def party_of_registry(registries: dict[str, str], registry_id: str) -> str:
    """The Party of a registry: of this installation from its row; of a peer installation the ISO
    alpha-3 code its registry id begins with (``THA01``: ``THA``), as registry ids are made."""
    return registries.get(registry_id) or registry_id[:3]


def action_rows(
    registry: Registry, applied: Applied, registries: dict[str, str], entities: dict[int, str]
) -> Iterator[tuple[dict[str, Any], str]]:
    """The Table 3 rows of one applied journal entry, each with what it counts for in the reconciliation."""
    entry, pieces = applied.recorded.entry, applied.pieces
    at = applied.recorded.took_effect.astimezone(dt.UTC)
    party = registry.party.alpha3
    extra: dict[str, Any] = {}
    explanation = f"registry transaction {getattr(entry, 'transaction', '')}"
    match entry:
        case e.UnitsAuthorized():
            action, subtype, counted = "Authorization", NA, "authorized"
            pieces = [_authorized(p, entry.authorization) for p in pieces]
        case e.Issuance():
            action, subtype, counted = "Authorization", NA, "authorized"  # units born authorised
        case e.FirstTransferred():
            action, subtype, counted = "First transfer", FIRST_TRANSFER_SUBTYPES[FirstTransferDefinition(entry.definition)], ""
            extra["Acquiring participating Party ID"] = entry.acquiring_party or NA
        case e.ExternalTransfer():
            action, subtype, counted = "Transfer", NA, "transferred"
            extra["Acquiring participating Party ID"] = party_of_registry(registries, entry.to_registry)
        case e.Acquisition():
            action, subtype, counted = "Acquisition", NA, "acquired"
            extra["Transferring participating Party ID"] = party_of_registry(registries, entry.from_registry)
        case e.Retirement(towards_ndc=True):
            action, subtype, counted = "Use", NA, "used"
            extra |= {
                "Purpose for which the ITMO has been used towards or cancelled for OIMP": "NDC",
                "Using/cancelling participating Party ID": entry.using_party,
                "Calendar year for which the ITMOs are used towards the Party's NDC": entry.ndc_year or at.year,
            }
        case e.Cancellation(cancellation_kind="oimp"):
            action, subtype, counted = "Use", NA, "used"
            extra |= {
                "Purpose for which the ITMO has been used towards or cancelled for OIMP": oimp_purpose(entry.oimp_purpose),
                "Using/cancelling participating Party ID": party,
            }
            explanation += f"; used for {entry.oimp_purpose}"
        case e.Cancellation(cancellation_kind="omge"):
            action, subtype, counted = "Voluntary Cancellation", "Voluntary cancellation to deliver OMGE", "cancelled"
            extra["Using/cancelling participating Party ID"] = party
        case e.Cancellation(cancellation_kind="mandatory"):
            action, subtype, counted = "Cancellation", "Other cancellations", "cancelled"
            extra["Using/cancelling participating Party ID"] = party
        case e.Cancellation():
            action, subtype, counted = "Voluntary Cancellation", "Other cancellations", "cancelled"
            extra["Using/cancelling participating Party ID"] = party
        case e.Retirement():
            action, subtype, counted = "Voluntary Cancellation", "Other cancellations", "cancelled"
            extra["Using/cancelling participating Party ID"] = entry.using_party or party
        case _:
            return  # internal transfers, corrections and account events are not international actions
    if isinstance(entry, e.Retirement | e.Cancellation) and entry.using_entity is not None:
        extra["Using/cancelling authorized entity ID"] = entities.get(entry.using_entity, str(entry.using_entity))
    rows = []
    for piece in sorted(pieces, key=lambda p: (p.originating_registry, p.range.start)):
        if piece.attributes.authorization is None:
            continue  # not an ITMO
        row = {
            "Action date": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Action type": action,
            "Action subtype": subtype,
            **_unit_columns(registry, piece, registries),
            "Transferring participating Party ID": NA,
            "Acquiring participating Party ID": NA,
            "Purpose for which the ITMO has been used towards or cancelled for OIMP": NA,
            "Using/cancelling participating Party ID": NA,
            "Using/cancelling authorized entity ID": NA,
            "Calendar year for which the ITMOs are used towards the Party's NDC": NA,
            "Result of the consistency checks*": "",
            "Additional explanatory information": explanation,
        }
        row.update(extra)
        rows.append(row)
    for row in merge_rows(rows):
        yield row, counted


SERIAL_COLUMNS = frozenset({"First ID", "Last ID", "First unit ID", "Last unit ID", "Quantity (t CO2 eq)"})


def merge_rows(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One row per contiguous range: touching rows (sorted by serial) that report the same values
    in every other column are one row, whichever accounts held the parts or issued them."""
    current: dict[str, Any] | None = None
    for row in rows:
        if (
            current is not None
            and _originating(current) == _originating(row)
            and current["Last unit ID"] + 1 == row["First unit ID"]
            and all(current[c] == row[c] for c in row if c not in SERIAL_COLUMNS)
        ):
            current = {
                **current,
                "Last ID": row["Last ID"],
                "Last unit ID": row["Last unit ID"],
                "Quantity (t CO2 eq)": current["Quantity (t CO2 eq)"] + row["Quantity (t CO2 eq)"],
            }
            continue
        if current is not None:
            yield current
        current = row
    if current is not None:
        yield current


def _originating(row: dict[str, Any]) -> str:
    return str(row["First ID"]).split("-")[1]


def _authorized(piece: Block[Attributes], identifier: str) -> Block[Attributes]:
    return replace(piece, attributes=piece.attributes._replace(authorization=identifier))


def _count(reconciliation: Reconciliation, counted: str, quantity: int) -> None:
    if counted:
        setattr(reconciliation, counted, getattr(reconciliation, counted) + quantity)


# Units and holdings -------------------------------------------------------------------------------


def _unit_id(approach: str | None, registry_id: str, party: str | None, serial: int, vintage: int) -> str:
    return f"{approach}-{registry_id}-{party or NA}-{serial}-{vintage}"


def _unit_columns(registry: Registry, block: Block[Attributes], registries: dict[str, str]) -> dict[str, Any]:
    a = block.attributes
    return {
        "Cooperative approach ID": a.approach or NA,
        "Authorization ID": a.authorization or NA,
        "First transferring participating Party ID": a.first_transferring_party or NA,
        "Party ITMO registry ID": registry.registry_id,
        "First ID": _unit_id(a.approach, block.originating_registry, a.first_transferring_party, block.range.start, a.vintage),
        "Last ID": _unit_id(a.approach, block.originating_registry, a.first_transferring_party, block.range.end, a.vintage),
        "Underlying unit registry ID": a.unit_type,
        "First unit ID": block.range.start,
        "Last unit ID": block.range.end,
        "Metric": METRIC,
        "Applicable GWP value(s)": GWP,
        "Applicable non-GHG metric": NA,
        "Quantity (t CO2 eq)": block.range.quantity,
        "Quantity (in non-GHG metric)": NA,
        "Mitigation type": MITIGATION_TYPE,
        "Vintage": a.vintage,
    }


def _held_itmos(replay: Replay) -> Iterator[Block[Attributes]]:
    for block in replay.blocks():
        if block.attributes.authorization is not None and replay.accounts[block.holder][0] not in FINAL_TYPES:
            yield block


def _itmos_held(replay: Replay) -> int:
    return sum(b.range.quantity for b in _held_itmos(replay))


def _holding_blocks(replay: Replay) -> Iterable[Block[Attributes]]:
    """The ITMOs held at the end, as blocks regardless of which account holds them."""
    return merge_adjacent(replace(b, holder="") for b in _held_itmos(replay))


# Authorisations and entities ----------------------------------------------------------------------


def _authorization_row(a: e.AuthorizationVersion) -> dict[str, Any]:
    oimp = a.purposes != "NDC"
    values = [
        a.identifier,
        a.date.strftime("%d/%m/%Y"),
        a.cooperative_approach,
        a.version,
        a.authorized_quantity if a.authorized_quantity is not None else NA,
        METRIC,
        GWP,
        NA,
        a.sectors or NA,
        a.activity_types or NA,
        a.purposes,
        ", ".join(a.authorized_parties) or NA,
        ", ".join(entity.identification_number or entity.name for entity in a.authorized_entities) or NA,
        a.oimp_purposes or NA if oimp else NA,
        a.timeframe or NA,
        a.terms or NA,
        "",
        FirstTransferDefinition(a.first_transfer_definition).label if oimp else NA,
        f"document: {a.document_reference}",
    ]
    return dict(zip(AUTHORIZATION_COLUMNS, values, strict=True))


def _entity_row(a: e.AuthorizationVersion, entity: e.AuthorizedEntity) -> dict[str, Any]:
    values = [
        a.date.strftime("%d/%m/%Y"),
        entity.name,
        entity.country,
        entity.identification_number or NA,
        a.cooperative_approach,
        entity.conditions or a.terms or NA,
        entity.change_and_revocation_conditions or NA,
        entity.explanation,
    ]
    return dict(zip(ENTITY_COLUMNS, values, strict=True))


# Output -------------------------------------------------------------------------------------------


def write_workbook(report: AnnualInformation, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in report.tables():
        sheet = book.create_sheet(title[:31])
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(column, "") for column in columns])
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                if cell.data_type == "f":  # openpyxl reads text starting with "=" as a formula: keep it text
                    cell.data_type = "s"
        if title == "Table 4 Holdings":
            sheet.append([])
            sheet.append([snapshot_note(report)])
    book.save(path)


def snapshot_note(report: AnnualInformation) -> str:
    """What Table 4 is a snapshot of, and whether the year is over."""
    at = report.snapshot.strftime("%Y-%m-%dT%H:%M:%SZ")
    if report.complete:
        return f"Holdings at the end of {report.year} (snapshot {at})."
    return f"Year {report.year} has not ended: holdings as of {at}, and only the actions recorded until then."


def write_csv(report: AnnualInformation, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for title, columns, rows in report.tables():
        path = directory / f"{report.registry.registry_id}-{report.year}-{title.split(' ', 2)[2].lower().replace(' ', '-')}.csv"
        csvfiles.write_file(path, columns, csvfiles.dict_rows(columns, rows))
        written.append(path)
    return written


def totals_by_action(report: AnnualInformation) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in report.actions:
        totals[row["Action type"]] += row["Quantity (t CO2 eq)"]
    return dict(totals)
