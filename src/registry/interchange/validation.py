"""Checking a whole interchange file before anything is written: its shape, its references and its
history replayed in order (serials, holdings, account states, authorisations), line by line.

One streaming pass: reference records are few and kept; dated records are read one at a time and
replayed into a scratch store (``registry.journal.replay.scratched``), so memory stays flat however
long the history is. Every problem is reported with its line number; an import writes nothing
unless there is none.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from registry.accounts.models import FINAL_TYPES, AccountStatus
from registry.core import entries as e
from registry.core.checks import Check
from registry.core.ledger import LedgerConflict
from registry.interchange.records import effective_of, typed_entry
from registry.interchange.schemas import REFERENCE_SCHEMAS, schema_problems
from registry.journal.replay import Replay, scratched
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Project, Registry, UnitType

#: Problems kept for the report; beyond this only their number grows (a file of garbage stays cheap).
KEPT_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """What is wrong on one line: a check with the values its message names."""

    line: int
    check: Check
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> int:
        return self.check.code

    @property
    def message(self) -> str:
        return self.check.format(**self.params)

    def __str__(self) -> str:
        return f"line {self.line}: [{self.code}] {self.message}"


@dataclass
class Known:
    """The reference data a dated record may name: the file's, and the installation's own."""

    parties: set[str] = field(default_factory=set)
    registries: set[str] = field(default_factory=set)
    programmes: set[str] = field(default_factory=set)
    unit_types: set[str] = field(default_factory=set)
    approaches: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    entities: set[int] = field(default_factory=set)

    @classmethod
    def installed(cls) -> Known:
        return cls(
            parties=set(Party.objects.values_list("alpha3", flat=True)),
            registries=set(Registry.objects.values_list("registry_id", flat=True)),
            programmes=set(CreditingProgramme.objects.values_list("code", flat=True)),
            unit_types=set(UnitType.objects.values_list("code", flat=True)),
            approaches=set(CooperativeApproach.objects.values_list("identifier", flat=True)),
            projects=set(Project.objects.values_list("identifier", flat=True)),
        )


@dataclass
class Report:
    registry: str | None = None
    lines: int = 0
    dated: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    first_effective: dt.datetime | None = None
    last_effective: dt.datetime | None = None

    @property
    def valid(self) -> bool:
        return self.problem_count == 0 and self.registry is not None

    def add(self, line: int, check: Check, **params: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(Problem(line, check, params))


Tick = Callable[[int], None]


def numbered_records(lines: Iterable[str], report: Report) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line read as a JSON object, with its number (1-based); a line that is not one is a problem."""
    for number, text in enumerate(lines, start=1):
        report.lines = number
        if not text.strip():
            report.add(number, Check.IMPORT_EMPTY_LINE)
            continue
        try:
            record = json.loads(text)
        except ValueError as error:
            report.add(number, Check.IMPORT_NOT_JSON, detail=str(error))
            continue
        if not isinstance(record, dict):
            report.add(number, Check.IMPORT_NOT_JSON, detail="not an object")
            continue
        yield number, record


def validate(lines: Iterable[str], tick: Tick | None = None, together: frozenset[str] | None = None) -> Report:
    """Check every line of an interchange file; the report lists every problem found.

    ``together``: the registries whose files are imported at the same time. An external transfer or
    an acquisition is imported only with the other registry's file (its other half).
    """
    report = Report()
    with scratched() as replay:
        _Checker(report, replay, together).run(lines, tick or (lambda _n: None))
    return report


class _Checker:
    def __init__(self, report: Report, replay: Replay, together: frozenset[str] | None = None) -> None:
        self.report = report
        self.replay = replay
        self.together = together
        self.now = dt.datetime.now(dt.UTC)
        self.known = Known.installed()
        self.registry: str | None = None
        self.previous: tuple[dt.datetime, int] | None = None
        self.sequence = 0

    def run(self, lines: Iterable[str], tick: Tick) -> None:
        for number, record in numbered_records(lines, self.report):
            tick(number)
            shape = schema_problems(record)
            for check, params in shape:
                self.report.add(number, check, **params)
            if number == 1 and record.get("record") != "header":
                self.report.add(number, Check.IMPORT_HEADER_MISSING)
            if shape:
                continue
            if record["record"] in REFERENCE_SCHEMAS:
                self._reference(number, record)
            else:
                self._dated(number, record)
        if self.registry is None and self.report.lines == 0:
            self.report.add(0, Check.IMPORT_FILE_EMPTY)

    # Reference data ------------------------------------------------------------------------------

    def _reference(self, number: int, record: dict[str, Any]) -> None:
        kind = record["record"]
        if self.previous is not None:
            self.report.add(number, Check.IMPORT_REFERENCE_LATE, record=kind)
        if kind == "header":
            if number != 1:
                self.report.add(number, Check.IMPORT_HEADER_REPEATED)
                return
            self.registry = self.report.registry = record["registry"]
            self.known.registries.add(record["registry"])
            return
        if self.registry is None:
            return  # the first line already says what is wrong
        match kind:
            case "party":
                self.known.parties.add(record["alpha3"])
            case "registry":
                self._names(number, "party", record["party"], self.known.parties)
                self.known.registries.add(record["registry_id"])
            case "programme":
                self.known.programmes.add(record["code"])
            case "unit_type":
                self._names(number, "programme", record["programme"], self.known.programmes)
                self.known.unit_types.add(record["code"])
            case "approach":
                for party in record["parties"]:
                    self._names(number, "party", party, self.known.parties)
                self.known.approaches.add(record["identifier"])
            case "project":
                self._names(number, "registry", record["registry"], self.known.registries)
                self._names(number, "programme", record["programme"], self.known.programmes)
                self._names(number, "party", record["host_party"], self.known.parties)
                if record["approach"] is not None:
                    self._names(number, "cooperative approach", record["approach"], self.known.approaches)
                self.known.projects.add(record["identifier"])
            case "use_purpose":
                self._names(number, "programme", record["programme"], self.known.programmes)
                for unit_type in record["unit_types"]:
                    self._names(number, "unit type", unit_type, self.known.unit_types)
            case "entity":
                self.known.entities.add(record["id"])

    def _names(self, number: int, what: str, value: object, known: set[Any]) -> bool:
        if value in known:
            return True
        self.report.add(number, Check.IMPORT_REFERENCE_UNKNOWN, what=what.capitalize(), value=value)
        return False

    # Dated records -------------------------------------------------------------------------------

    def _dated(self, number: int, record: dict[str, Any]) -> None:
        if self.registry is None:
            return
        self.report.dated += 1
        effective = effective_of(record)
        if self.previous is not None and effective < self.previous[0]:
            earlier, line = self.previous
            self.report.add(
                number, Check.IMPORT_DATE_OUT_OF_ORDER, effective=record["effective"], earlier=earlier.isoformat(), earlier_line=line
            )
        else:
            self.previous = (effective, number)
            self.report.first_effective = self.report.first_effective or effective
            self.report.last_effective = effective
        if effective > self.now:
            self.report.add(
                number, Check.IMPORT_IN_THE_FUTURE, effective=record["effective"], imported_at=self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
            )
        self.sequence += 1
        try:
            recorded = typed_entry(record, self.registry, self.sequence)
        except e.MalformedEntry as error:
            self.report.add(number, Check.IMPORT_RECORD_MALFORMED, detail=str(error))
            return
        before = self.report.problem_count
        self._check(number, recorded.entry, effective)
        if self.report.problem_count > before:
            return  # replaying a refused record would only echo its problem
        try:
            self.replay.apply(recorded)
        except (LedgerConflict, KeyError, ValueError, OverflowError, sqlite3.Error) as conflict:
            self.report.add(number, Check.IMPORT_SERIALS_DO_NOT_REPLAY, detail=str(conflict))
        except AssertionError:
            # The replay's invariant of a sound journal: an Article 6 record of units not authorised.
            self.report.add(number, Check.IMPORT_SERIALS_DO_NOT_REPLAY, detail="the units it names are not authorised")

    def _check(self, number: int, entry: e.Entry, effective: dt.datetime) -> None:
        accounts = self.replay.accounts
        match entry:
            case e.AccountOpened():
                if entry.account in accounts:
                    self.report.add(number, Check.IMPORT_ACCOUNT_OPENED_TWICE, account=entry.account)
                self._entity(number, entry.entity)
            case e.AccountStatusChanged():
                self._account(number, entry.account)
                self._entity(number, entry.entity)
            case e.AuthorizationVersion():
                versions = self.replay.authorizations.get(entry.identifier, [])
                if entry.version != len(versions) + 1:
                    self.report.add(
                        number,
                        Check.IMPORT_VERSION_OUT_OF_ORDER,
                        version=entry.version,
                        authorization=entry.identifier,
                        previous=len(versions),
                    )
                if entry.cooperative_approach:
                    self._names(number, "cooperative approach", entry.cooperative_approach, self.known.approaches)
                for party in entry.authorized_parties:
                    self._names(number, "party", party, self.known.parties)
                for named in entry.authorized_entities:
                    self._entity(number, named.entity)
            case e.Issuance():
                self._account(number, entry.to_account)
                self._blocks(number, entry.blocks, effective, own=True)
            case e.Acquisition():
                self._account(number, entry.to_account, side="to")
                self._names(number, "registry", entry.from_registry, self.known.registries)
                self._blocks(number, entry.blocks, effective, own=False)
                self._counterpart(number, "acquisition", entry.from_registry)
            case e.ExternalTransfer():
                self._account(number, entry.from_account, side="from")
                self._names(number, "registry", entry.to_registry, self.known.registries)
                self._counterpart(number, "external transfer", entry.to_registry)
            case e.InternalTransfer() | e.Correction() | e.Retirement() | e.Cancellation():
                self._account(number, entry.from_account, side="from")
                self._account(number, entry.to_account, side="to")
                self._entity(number, entry.using_entity)
                if isinstance(entry, e.Retirement) and entry.using_party is not None:
                    self._names(number, "party", entry.using_party, self.known.parties)
            case e.UnitsAuthorized() | e.FirstTransferred():
                self._authorised(number, entry.authorization, effective)

    def _account(self, number: int, account: str, side: str | None = None) -> None:
        found = self.replay.accounts.get(account)
        if found is None:
            self.report.add(number, Check.IMPORT_ACCOUNT_UNKNOWN, account=account)
            return
        account_type, status = found
        if side == "from" and account_type in FINAL_TYPES:
            self.report.add(number, Check.IMPORT_UNITS_LEAVE_FINAL, account=account)
        if side is not None and status != AccountStatus.OPEN:
            self.report.add(number, Check.IMPORT_ACCOUNT_NOT_OPEN, account=account, status=status)

    def _counterpart(self, number: int, kind: str, other: str) -> None:
        if self.together is not None and other not in self.together:
            self.report.add(number, Check.IMPORT_COUNTERPART_MISSING, type=kind, registry=self.registry, counterpart=other)

    def _entity(self, number: int, entity: int | None) -> None:
        if entity is not None:
            self._names(number, "entity", entity, self.known.entities)

    def _blocks(self, number: int, blocks: tuple[e.JournalBlock, ...], effective: dt.datetime, own: bool) -> None:
        for block in blocks:
            if own and block.originating_registry != self.registry:
                self.report.add(
                    number, Check.IMPORT_FOREIGN_ISSUANCE, originating_registry=block.originating_registry, registry=self.registry
                )
            self._names(number, "project", block.project, self.known.projects)
            self._names(number, "unit type", block.unit_type, self.known.unit_types)
            if block.approach is not None:
                self._names(number, "cooperative approach", block.approach, self.known.approaches)
            if own and block.authorization is not None:
                self._authorised(number, block.authorization, effective)

    def _authorised(self, number: int, identifier: str, effective: dt.datetime) -> None:
        versions = self.replay.authorizations.get(identifier)
        if not versions:
            self.report.add(number, Check.IMPORT_AUTHORIZATION_UNRECORDED, authorization=identifier)
        elif versions[0].date > effective.date():
            self.report.add(
                number,
                Check.IMPORT_BEFORE_AUTHORIZATION,
                date=effective.date().isoformat(),
                authorization=identifier,
                authorization_date=versions[0].date.isoformat(),
            )
