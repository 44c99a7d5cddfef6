"""The consistency checks of the UN's reporting platform, run on an AEF before the Party submits it.

Each finding names the table and the row (as numbered in the workbook: the header is row 1) and,
where one cell is wrong, its column. The checks:

- every first-transferred ITMO was authorised first, and is first transferred once;
- every acquisition matches a transfer in the other Party's AEF, where that registry is in this
  installation;
- the holdings at the end of the year are last year's holdings with this year's actions applied;
- only controlled values, and conditional columns filled only where they apply;
- identifiers well formed (cooperative approach, registries, Parties, unit IDs, dates).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from registry.article6.aef import (
    NA,
    AnnualInformation,
    action_rows,
    build_annual_information,
    entity_ids,
)
from registry.core.entries import parse_body
from registry.journal.models import JournalEntry
from registry.journal.replay import scratched
from registry.parties.models import Registry

ACTIONS, HOLDINGS, AUTHORIZATIONS, SUBMISSION = "Table 3 Actions", "Table 4 Holdings", "Table 2 Authorizations", "Table 1 Submission"

ACTION_TYPES = frozenset({"Authorization", "First transfer", "Transfer", "Acquisition", "Use", "Cancellation", "Voluntary Cancellation"})
ACTION_SUBTYPES = frozenset(
    {
        NA,
        "First transfer to another Party",
        "Authorization",
        "Issuance",
        "Use or cancellation",
        "Mandatory cancellation to deliver OMGE",
        "Voluntary cancellation to deliver OMGE",
        "Other cancellations",
    }
)
METRICS = frozenset({"GHG", "non-GHG"})
AUTHORIZATION_PURPOSES = frozenset({"NDC", "OIMP", "IMP", "OP", "NDC and OIMP", "NDC and IMP", "NDC and OP"})
USE_PURPOSES = frozenset({"NDC", "OIMP", "IMP", "OP", NA})
MITIGATION_TYPES = frozenset({"Emission reductions", "Removals", "Emission reductions and removals"})
FIRST_TRANSFER_DEFINITIONS = frozenset({"First international transfer", "Authorisation", "Issuance", "Use or Cancellation", NA})
SECTORS = frozenset(
    {
        "Agriculture",
        "Building and construction",
        "Cross-sectoral mechanisms",
        "Energy generation",
        "Forestry and land use",
        "Industrial processes",
        "Transportation",
        "Urban development",
        "Waste management",
    }
)

APPROACH = re.compile(r"^CA[0-9]{4}$")
REGISTRY = re.compile(r"^[A-Z]{3}[0-9]{2}$")
PARTY = re.compile(r"^[A-Z]{3}$")
UNIT_ID = re.compile(r"^(CA[0-9]{4})-([A-Z]{3}[0-9]{2})-([A-Z]{3})-([0-9]+)-([0-9]{4})$")
ACTION_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
AUTHORIZATION_DATE = re.compile(r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$")

ADDING = frozenset({"Authorization", "Acquisition"})
REMOVING = frozenset({"Transfer", "Use", "Cancellation", "Voluntary Cancellation"})


@dataclass(frozen=True)
class Finding:
    """One inconsistency: where it is (table, workbook row, column) and what is wrong."""

    table: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.table + (f" row {self.row}" if self.row is not None else "") + (f" [{self.column}]" if self.column else "")
        return f"{where}: {self.message}"


def check_annual_information(registry: Registry, year: int) -> list[Finding]:
    """Every finding of the consistency checks on ``registry``'s AEF for ``year`` (none: consistent)."""
    return check_report(registry, build_annual_information(registry, year))


def check_report(registry: Registry, report: AnnualInformation) -> list[Finding]:
    """The consistency checks on ``report`` as it stands, against the journal's earlier years and the other registries' AEF."""
    findings = list(_controlled_values(report))
    findings += _identifiers(report)
    findings += _first_transfers(registry, report)
    findings += _acquisitions(registry, report)
    findings += _holdings(registry, report)
    return findings


def _row(index: int) -> int:
    return index + 2  # the header is the workbook's row 1


# Controlled values and conditional columns -------------------------------------------------------


def _controlled_values(report: AnnualInformation) -> Iterator[Finding]:
    def bad(table: str, index: int, column: str, value: object, allowed: Iterable[str]) -> Finding:
        return Finding(table, _row(index), column, f"{value!r} is not one of the controlled values ({', '.join(sorted(allowed))})")

    for i, a in enumerate(report.authorizations):
        if a["Purposes for authorization"] not in AUTHORIZATION_PURPOSES:
            yield bad(AUTHORIZATIONS, i, "Purposes for authorization", a["Purposes for authorization"], AUTHORIZATION_PURPOSES)
        if a["Metric"] not in METRICS:
            yield bad(AUTHORIZATIONS, i, "Metric", a["Metric"], METRICS)
        if a["First transfer definition for OIMP"] not in FIRST_TRANSFER_DEFINITIONS:
            column = "First transfer definition for OIMP"
            yield bad(AUTHORIZATIONS, i, column, a[column], FIRST_TRANSFER_DEFINITIONS)
        sectors = [s.strip() for s in str(a["Sector(s)"]).split(",")] if a["Sector(s)"] != NA else []
        for sector in sectors:
            if sector not in SECTORS:
                yield bad(AUTHORIZATIONS, i, "Sector(s)", sector, SECTORS)
    for i, r in enumerate(report.actions):
        checks = (
            ("Action type", ACTION_TYPES),
            ("Action subtype", ACTION_SUBTYPES),
            ("Metric", METRICS),
            ("Mitigation type", MITIGATION_TYPES),
            ("Purpose for which the ITMO has been used towards or cancelled for OIMP", USE_PURPOSES),
        )
        for column, allowed in checks:
            if r[column] not in allowed:
                yield bad(ACTIONS, i, column, r[column], allowed)
        yield from _conditional_columns(i, r)
    for i, h in enumerate(report.holdings):
        for column, allowed in (("Metric", METRICS), ("Mitigation type", MITIGATION_TYPES)):
            if h[column] not in allowed:
                yield bad(HOLDINGS, i, column, h[column], allowed)


def _conditional_columns(index: int, r: dict[str, Any]) -> Iterator[Finding]:
    action = r["Action type"]

    def must(column: str, filled: bool, why: str) -> Iterator[Finding]:
        if (r[column] != NA) != filled:
            yield Finding(ACTIONS, _row(index), column, f"{'required' if filled else 'must be NA'} for {action} ({why})")

    yield from must("Transferring participating Party ID", action == "Acquisition", "only an acquisition names the transferring Party")
    if action == "Transfer":
        yield from must("Acquiring participating Party ID", True, "a transfer names the acquiring Party")
    elif action != "First transfer":
        yield from must("Acquiring participating Party ID", False, "only first transfers and transfers name the acquiring Party")
    ndc_use = action == "Use" and r["Purpose for which the ITMO has been used towards or cancelled for OIMP"] == "NDC"
    yield from must("Calendar year for which the ITMOs are used towards the Party's NDC", ndc_use, "only a use towards the NDC has one")
    if action == "Use":
        yield from must("Purpose for which the ITMO has been used towards or cancelled for OIMP", True, "a use names its purpose")
    if r["Metric"] == "GHG":
        for column in ("Applicable non-GHG metric", "Quantity (in non-GHG metric)"):
            yield from must(column, False, "the metric is GHG")


# Identifiers ---------------------------------------------------------------------------------------


def _identifiers(report: AnnualInformation) -> Iterator[Finding]:
    for i, s in enumerate(report.submission):
        if not PARTY.match(str(s["Party"])):
            yield Finding(SUBMISSION, _row(i), "Party", f"{s['Party']!r} is not an ISO 3166 alpha-3 code")
    for i, a in enumerate(report.authorizations):
        if not APPROACH.match(str(a["Cooperative approach ID"])):
            yield Finding(
                AUTHORIZATIONS, _row(i), "Cooperative approach ID", f"{a['Cooperative approach ID']!r} is not CA followed by 4 digits"
            )
        if not AUTHORIZATION_DATE.match(str(a["Date of authorization"])):
            yield Finding(AUTHORIZATIONS, _row(i), "Date of authorization", f"{a['Date of authorization']!r} is not dd/mm/yyyy")
        for party in str(a["Authorized Party(ies) ID"]).split(", "):
            if party != NA and not PARTY.match(party):
                yield Finding(AUTHORIZATIONS, _row(i), "Authorized Party(ies) ID", f"{party!r} is not an ISO 3166 alpha-3 code")
    for i, r in enumerate(report.actions):
        yield from _unit_identifiers(ACTIONS, i, r)
        if not ACTION_DATE.match(str(r["Action date"])):
            yield Finding(ACTIONS, _row(i), "Action date", f"{r['Action date']!r} is not an ISO 8601 time in UTC")
        for column in (
            "Transferring participating Party ID",
            "Acquiring participating Party ID",
            "Using/cancelling participating Party ID",
        ):
            if r[column] != NA and not PARTY.match(str(r[column])):
                yield Finding(ACTIONS, _row(i), column, f"{r[column]!r} is not an ISO 3166 alpha-3 code")
    for i, h in enumerate(report.holdings):
        yield from _unit_identifiers(HOLDINGS, i, h)


def _unit_identifiers(table: str, index: int, r: dict[str, Any]) -> Iterator[Finding]:
    row = _row(index)
    if not APPROACH.match(str(r["Cooperative approach ID"])):
        yield Finding(table, row, "Cooperative approach ID", f"{r['Cooperative approach ID']!r} is not CA followed by 4 digits")
    if not REGISTRY.match(str(r["Party ITMO registry ID"])):
        yield Finding(table, row, "Party ITMO registry ID", f"{r['Party ITMO registry ID']!r} is not an alpha-3 code and 2 digits")
    if not PARTY.match(str(r["First transferring participating Party ID"])):
        column = "First transferring participating Party ID"
        yield Finding(table, row, column, f"{r[column]!r} is not an ISO 3166 alpha-3 code")
    if not re.fullmatch(r"[0-9]{4}", str(r["Vintage"])):
        yield Finding(table, row, "Vintage", f"{r['Vintage']!r} is not a year")
    for column, serial in (("First ID", r["First unit ID"]), ("Last ID", r["Last unit ID"])):
        parsed = UNIT_ID.match(str(r[column]))
        expected = (str(r["Cooperative approach ID"]), str(r["First transferring participating Party ID"]), str(serial), str(r["Vintage"]))
        if parsed is None:
            yield Finding(table, row, column, f"{r[column]!r} is not <approach>-<registry>-<Party>-<serial>-<vintage>")
        elif (parsed[1], parsed[3], parsed[4], parsed[5]) != expected:
            yield Finding(
                table, row, column, f"{r[column]!r} does not match the row's approach, first transferring Party, unit ID and vintage"
            )
    if not (isinstance(r["First unit ID"], int) and isinstance(r["Last unit ID"], int) and 1 <= r["First unit ID"] <= r["Last unit ID"]):
        yield Finding(table, row, "Last unit ID", "the first unit ID must be a serial not after the last")
    elif r["Quantity (t CO2 eq)"] != r["Last unit ID"] - r["First unit ID"] + 1:
        yield Finding(
            table, row, "Quantity (t CO2 eq)", f"{r['Quantity (t CO2 eq)']} is not the number of units from first to last unit ID"
        )


# First transfers -------------------------------------------------------------------------------------


def _history(registry: Registry, until: dt.datetime) -> list[dict[str, Any]]:
    """Every action row of ``registry``'s journal before ``until``, in journal order (all years)."""
    registries = dict(Registry.objects.values_list("registry_id", "party__alpha3"))
    entities = entity_ids()
    rows: list[dict[str, Any]] = []
    with scratched() as replay:
        entries = JournalEntry.objects.filter(registry=registry).order_by("sequence")
        for entry in entries.iterator(chunk_size=2000):
            recorded = parse_body(entry.body)
            if recorded.took_effect >= until:
                break  # effective dates follow the journal's order (imports come before live actions)
            applied = replay.apply(recorded)
            rows += [row for row, _ in action_rows(registry, applied, registries, entities)]
    return rows


def _units(r: dict[str, Any]) -> tuple[str, int, int]:
    originating = str(r["First ID"]).split("-")[1] if str(r["First ID"]).count("-") == 4 else str(r["Party ITMO registry ID"])
    return originating, int(r["First unit ID"]), int(r["Last unit ID"])


def _first_transfers(registry: Registry, report: AnnualInformation) -> Iterator[Finding]:
    """Earlier years from the journal, then this year's table, row by row."""
    authorised: dict[str, list[tuple[int, int]]] = {}
    transferred: dict[str, list[tuple[int, int]]] = {}
    earlier = [(None, r) for r in _history(registry, dt.datetime(report.year, 1, 1, tzinfo=dt.UTC))]
    for row, r in [*earlier, *((_row(i), r) for i, r in enumerate(report.actions))]:
        if r["Action type"] == "Authorization":
            originating, first, last = _units(r)
            authorised[originating] = _add(authorised.get(originating, []), (first, last))
        elif r["Action type"] == "First transfer":
            originating, first, last = _units(r)
            missing = _subtract([(first, last)], authorised.get(originating, []))
            if missing and row is not None:
                yield Finding(
                    ACTIONS, row, None, f"serials {_show(originating, missing)} are first transferred without an earlier authorisation"
                )
            twice = _intersect([(first, last)], transferred.get(originating, []))
            if twice and row is not None:
                yield Finding(ACTIONS, row, None, f"serials {_show(originating, twice)} were already first transferred")
            transferred[originating] = _add(transferred.get(originating, []), (first, last))


# Acquisitions ------------------------------------------------------------------------------------


def _acquisitions(registry: Registry, report: AnnualInformation) -> Iterator[Finding]:
    others: dict[str, list[AnnualInformation]] = {}
    for i, r in enumerate(report.actions):
        if r["Action type"] != "Acquisition":
            continue
        party = str(r["Transferring participating Party ID"])
        if party not in others:
            peers = Registry.objects.filter(party__alpha3=party).exclude(pk=registry.pk).select_related("party")
            others[party] = [build_annual_information(peer, report.year) for peer in peers]
        if not others[party]:
            continue  # the transferring registry is not in this installation: the UN platform matches it
        wanted = (r["Action date"], r["First ID"], r["Last ID"], r["Quantity (t CO2 eq)"], registry.party.alpha3)
        matched = any(
            (t["Action date"], t["First ID"], t["Last ID"], t["Quantity (t CO2 eq)"], t["Acquiring participating Party ID"]) == wanted
            for other in others[party]
            for t in other.actions
            if t["Action type"] == "Transfer"
        )
        if not matched:
            yield Finding(
                ACTIONS, _row(i), None, f"no transfer of {r['First ID']} to {r['Last ID']} in the AEF of {party} matches this acquisition"
            )


# Holdings --------------------------------------------------------------------------------------------


def _holdings(registry: Registry, report: AnnualInformation) -> Iterator[Finding]:
    previous = build_annual_information(registry, report.year - 1)
    held: dict[str, list[tuple[int, int]]] = {}
    for h in previous.holdings:
        originating, first, last = _units(h)
        held[originating] = _add(held.get(originating, []), (first, last))
    for i, r in enumerate(report.actions):
        originating, first, last = _units(r)
        current = held.get(originating, [])
        if r["Action type"] in ADDING:
            if overlap := _intersect([(first, last)], current):
                yield Finding(ACTIONS, _row(i), None, f"serials {_show(originating, overlap)} arrive though already held")
            held[originating] = _add(current, (first, last))
        elif r["Action type"] in REMOVING:
            if missing := _subtract([(first, last)], current):
                yield Finding(ACTIONS, _row(i), None, f"serials {_show(originating, missing)} leave the holdings without being held")
            held[originating] = _subtract(current, [(first, last)])
    reported: dict[str, list[tuple[int, int]]] = {}
    for h in report.holdings:
        originating, first, last = _units(h)
        reported[originating] = _add(reported.get(originating, []), (first, last))
    for originating in sorted(set(held) | set(reported)):
        if missing := _subtract(held.get(originating, []), reported.get(originating, [])):
            message = f"serials {_show(originating, missing)} are held after last year's holdings and this year's actions but not reported"
            yield Finding(HOLDINGS, None, None, message)
        if extra := _subtract(reported.get(originating, []), held.get(originating, [])):
            message = (
                f"serials {_show(originating, extra)} are reported held but last year's holdings and this year's actions do not hold them"
            )
            yield Finding(HOLDINGS, None, None, message)


# Serial sets (sorted, disjoint, non-touching inclusive ranges) ---------------------------------------


def _normalised(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _add(ranges: list[tuple[int, int]], more: tuple[int, int]) -> list[tuple[int, int]]:
    return _normalised([*ranges, more])


def _subtract(ranges: Iterable[tuple[int, int]], taken: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    left: list[tuple[int, int]] = []
    cuts = _normalised(taken)
    for first, last in _normalised(ranges):
        start = first
        for cut_first, cut_last in cuts:
            if cut_last < start or cut_first > last:
                continue
            if cut_first > start:
                left.append((start, cut_first - 1))
            start = cut_last + 1
            if start > last:
                break
        if start <= last:
            left.append((start, last))
    return left


def _intersect(ranges: Iterable[tuple[int, int]], other: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    ranges = _normalised(ranges)
    return _subtract(ranges, _subtract(ranges, other))


def _show(originating: str, ranges: list[tuple[int, int]]) -> str:
    return ", ".join(f"{originating}:{first}-{last}" for first, last in ranges)


__all__ = ["Finding", "check_annual_information", "check_report"]
