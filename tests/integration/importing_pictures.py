"""What a round trip through the interchange format must keep, read so that two databases compare:
blocks, balances, Article 6 records and the AEF of every year, named by codes and numbers people
see (account numbers, serials, authorisation identifiers), never by database ids."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from registry.accounts.models import Account
from registry.article6.aef import FIRST_REPORTING_YEAR, build_annual_information
from registry.article6.models import Authorization, CorrespondingAdjustment, FirstTransfer
from registry.interchange.export import export_history
from registry.parties.models import Registry
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.units.models import UnitBlock

_TRANSACTION_NUMBER = re.compile(r"registry transaction \d+")


def export_files(directory: Path, registry_ids: list[str]) -> list[Path]:
    paths = []
    for registry_id in registry_ids:
        path = directory / f"{registry_id}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            export_history(Registry.objects.get(registry_id=registry_id), out)
        paths.append(path)
    return paths


def blocks() -> list[tuple[Any, ...]]:
    rows = UnitBlock.objects.values_list(
        "originating_registry",
        "start",
        "end",
        "account__number",
        "unit_type__code",
        "project__identifier",
        "vintage",
        "cooperative_approach__identifier",
        "first_transferring_party__alpha3",
        "authorization__identifier",
        "first_transferred",
    )
    return sorted(rows)


def balances() -> dict[str, int]:
    held: dict[str, int] = {}
    for number, start, end in UnitBlock.objects.values_list("account__number", "start", "end"):
        held[number] = held.get(number, 0) + end - start + 1
    return dict(sorted(held.items()))


def accounts(registry_ids: list[str]) -> list[tuple[Any, ...]]:
    return sorted(
        Account.objects.filter(registry__registry_id__in=registry_ids).values_list(
            "number", "registry__registry_id", "type", "status", "purpose", "entity__name"
        )
    )


def article6_records() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "authorizations": sorted(
            Authorization.objects.values_list(
                "identifier",
                "version",
                "date",
                "purposes",
                "first_transfer_definition",
                "authorized_quantity",
                "oimp_purposes",
                "timeframe_first_vintage",
                "timeframe_last_vintage",
                "registry__registry_id",
            )
        ),
        "first_transfers": sorted(
            FirstTransfer.objects.values_list(
                "originating_registry",
                "start",
                "end",
                "authorization__identifier",
                "first_transferring_party__alpha3",
                "acquiring_party__alpha3",
                "vintage",
                "at",
                "transaction__trigger__type",
            )
        ),
        "adjustments": sorted(
            CorrespondingAdjustment.objects.values_list("party__alpha3", "kind", "authorization__identifier", "vintage", "year", "quantity")
        ),
        "uses": sorted(
            Transaction.objects.filter(
                status=TransactionStatus.COMPLETED, type__in=[TransactionType.RETIREMENT, TransactionType.CANCELLATION]
            ).values_list(
                "registry__registry_id",
                "type",
                "from_account__number",
                "to_account__number",
                "quantity",
                "towards_ndc",
                "using_party__alpha3",
                "ndc_year",
                "cancellation_kind",
                "oimp_purpose",
                "using_entity__name",
                "use_purpose__code",
                "credit_user",
                "completed_at",
            ),
            key=repr,
        ),
    }


def aef_tables(registry_id: str, year: int) -> list[tuple[str, list[dict[str, Any]]]]:
    report = build_annual_information(Registry.objects.get(registry_id=registry_id), year, submitted=dt.date(2026, 1, 15))
    tables = []
    for name, _columns, rows in report.tables():
        shown = [{key: _TRANSACTION_NUMBER.sub("registry transaction N", str(value)) for key, value in row.items()} for row in rows]
        tables.append((name, shown))
    return tables


def every_aef(registry_ids: list[str]) -> dict[tuple[str, int], Any]:
    this_year = dt.datetime.now(dt.UTC).year
    return {(r, year): aef_tables(r, year) for r in registry_ids for year in range(FIRST_REPORTING_YEAR, this_year + 1)}


def picture(registry_ids: list[str]) -> dict[str, Any]:
    return {
        "blocks": blocks(),
        "balances": balances(),
        "accounts": accounts(registry_ids),
        "article6": article6_records(),
        "aef": every_aef(registry_ids),
        "journal_lengths": {r: Registry.objects.get(registry_id=r).journal_length for r in registry_ids},
    }


__all__ = ["export_files", "io", "picture"]
