"""Checking interchange files before an import writes anything: each file in full (``validation``),
and whether this installation can take them now (each registry empty, or holding only imported
history that ends before the file begins; no registry twice). Problems name their file and line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.core import entries as e
from registry.core.checks import Check
from registry.interchange.validation import Problem, Report, validate
from registry.journal.models import JournalEntry
from registry.parties.models import Registry

#: Called with the number of bytes read so far (for a progress bar).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class FileProblem:
    """A problem of one file's line."""

    path: Path
    problem: Problem

    def __str__(self) -> str:
        return f"{self.path}:{self.problem}"


class ImportRefused(Exception):
    """The files were not imported (nothing was written); ``problems`` say where and why."""

    def __init__(self, problems: Sequence[FileProblem], count: int | None = None) -> None:
        self.problems = list(problems)
        self.count = count if count is not None else len(self.problems)
        super().__init__(f"{self.count} problems; nothing was written")


def check_files(paths: Sequence[Path], progress: Progress | None = None) -> list[Report]:
    """Check every file as ``--dry-run`` does, and whether this installation can take them now.

    ``ImportRefused`` with every problem found; otherwise the reports, one per file.
    """
    together = frozenset(r for r in (_header_registry(path) for path in paths) if r is not None)
    reports: list[Report] = []
    problems: list[FileProblem] = []
    count = 0
    done = 0
    for path in paths:
        with path.open("rb") as raw:
            base = done

            def lines(raw: Any = raw, base: int = base) -> Iterator[str]:
                read = base
                for line in raw:
                    read += len(line)
                    if progress is not None:
                        progress(read)
                    yield line.decode("utf-8")

            report = validate(lines(), together=together)
        done += path.stat().st_size
        reports.append(report)
        problems += [FileProblem(path, p) for p in report.problems]
        count += report.problem_count
    seen: set[str] = set()
    for path, report in zip(paths, reports, strict=True):
        if report.registry is None:
            continue
        if report.registry in seen:
            problems.append(FileProblem(path, Problem(1, Check.IMPORT_REGISTRY_TWICE, {"registry": report.registry})))
            count += 1
        seen.add(report.registry)
        for problem in _registry_state(report):
            problems.append(FileProblem(path, problem))
            count += 1
    if count:
        raise ImportRefused(problems, count)
    return reports


def _header_registry(path: Path) -> str | None:
    with path.open(encoding="utf-8") as text:
        first = text.readline()
    try:
        header = json.loads(first)
    except ValueError:
        return None
    registry = header.get("registry") if isinstance(header, dict) and header.get("record") == "header" else None
    return registry if isinstance(registry, str) else None


def _registry_state(report: Report) -> list[Problem]:
    """A registry takes history only while its journal holds no live action, and only after what it holds."""
    registry = Registry.objects.filter(registry_id=report.registry).first()
    if registry is None or not registry.journal_length:
        return []
    journal = JournalEntry.objects.filter(registry=registry)
    # An imported entry's body has an ``effective`` key; a live one never has.
    live = journal.exclude(body__contains='"effective":"').count()
    if live:
        return [Problem(1, Check.IMPORT_REGISTRY_LIVE, {"registry": registry.registry_id, "count": live})]
    last = e.parse_body(journal.order_by("-sequence").values_list("body", flat=True)[0]).took_effect
    if report.first_effective is not None and report.first_effective < last:
        return [
            Problem(
                1,
                Check.IMPORT_BEFORE_IMPORTED,
                {"registry": registry.registry_id, "effective": report.first_effective.isoformat(), "earlier": last.isoformat()},
            )
        ]
    return []
