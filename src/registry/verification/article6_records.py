"""The stored Article 6 records against what one registry's replayed journal proves (invariant 6).

Each stored row is matched with the journal's record of it: a row that differs is named with each
differing field; a row the journal does not know, and a record of the journal with no row, are named
too. Compared: authorisations (the version in force, every field of AEF Table 2 with its Parties and
entities), first transfers, corresponding adjustments, and the purpose, cancellation kind, OIMP
purpose, using Party and using entity of every completed use and cancellation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import asdict
from typing import Any

from registry.article6.models import Authorization, CorrespondingAdjustment, FirstTransfer
from registry.article6.services import authorization_version
from registry.core import entries as e
from registry.journal.replay import Replay
from registry.parties.models import Registry
from registry.transactions.models import Transaction, TransactionStatus, TransactionType


def compare(registry: Registry, replay: Replay, problems: list[str]) -> None:
    where = registry.registry_id
    _compare_rows(problems, f"{where} authorisation", _stored_authorizations(registry), _proven_authorizations(replay))
    _compare_rows(problems, f"{where} first transfer", _stored_first_transfers(registry), _proven_first_transfers(replay))
    _compare_rows(problems, f"{where} corresponding adjustment", _stored_adjustments(registry), _proven_adjustments(replay))
    _compare_rows(problems, f"{where} use or cancellation", _stored_uses(registry), _proven_uses(replay))


def _compare_rows(
    problems: list[str], what: str, stored: Mapping[Hashable, dict[str, Any]], proven: Mapping[Hashable, dict[str, Any]]
) -> None:
    for key, row in stored.items():
        expected = proven.get(key)
        if expected is None:
            problems.append(f"{what} {_name(key)}: the database holds a row the journal does not know ({_shown(row)})")
            continue
        for name in sorted(set(row) | set(expected)):
            if row.get(name) != expected.get(name):
                problems.append(
                    f"{what} {_name(key)} differs from the journal in {name}: the database holds {row.get(name)!r},"
                    f" the journal says {expected.get(name)!r}"
                )
    for key, expected in proven.items():
        if key not in stored:
            problems.append(f"{what} {_name(key)}: the journal records it ({_shown(expected)}), the database has no row")


def _name(key: Hashable) -> str:
    return " ".join(str(part) for part in key) if isinstance(key, tuple) else str(key)


def _shown(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(row.items()))


# Authorisations -----------------------------------------------------------------------------------


def _version_fields(version: e.AuthorizationVersion) -> dict[str, Any]:
    fields = asdict(version)
    del fields["recorded_by"]  # who recorded it is the journal's alone
    fields["authorized_entities"] = [tuple(x.values()) for x in fields["authorized_entities"]]
    return fields


def _stored_authorizations(registry: Registry) -> dict[Hashable, dict[str, Any]]:
    rows = (
        Authorization.objects.filter(registry=registry)
        .select_related("cooperative_approach")
        .prefetch_related("authorized_parties", "authorized_entities")
    )
    return {row.identifier: _version_fields(authorization_version(row)) for row in rows}


def _proven_authorizations(replay: Replay) -> dict[Hashable, dict[str, Any]]:
    return {identifier: _version_fields(version) for identifier, version in replay.current_authorizations().items()}


# First transfers ----------------------------------------------------------------------------------


def _stored_first_transfers(registry: Registry) -> dict[Hashable, dict[str, Any]]:
    rows = FirstTransfer.objects.filter(transaction__registry=registry).values_list(
        "originating_registry",
        "start",
        "end",
        "transaction_id",
        "authorization__identifier",
        "first_transferring_party__alpha3",
        "acquiring_party__alpha3",
        "vintage",
        "at",
    )
    return {
        (origin, start): {
            "end": end,
            "transaction": tx,
            "authorization": authorization,
            "first_transferring_party": ftp,
            "acquiring_party": acquiring,
            "vintage": vintage,
            "at": at,
        }
        for origin, start, end, tx, authorization, ftp, acquiring, vintage, at in rows
    }


def _proven_first_transfers(replay: Replay) -> dict[Hashable, dict[str, Any]]:
    return {
        (f.originating_registry, f.start): {
            "end": f.end,
            "transaction": f.transaction,
            "authorization": f.authorization,
            "first_transferring_party": f.first_transferring_party,
            "acquiring_party": f.acquiring_party,
            "vintage": f.vintage,
            "at": f.at,
        }
        for f in replay.first_transfers
    }


# Corresponding adjustments ------------------------------------------------------------------------


def _keyed_adjustments(rows: Iterable[tuple[int, e.Adjustment]]) -> dict[Hashable, dict[str, Any]]:
    """Keyed by transaction, kind, authorisation and vintage (one adjustment each); a second row with the same key is a row too many."""
    keyed: dict[Hashable, dict[str, Any]] = {}
    for transaction, a in rows:
        key: tuple[Any, ...] = (f"transaction {transaction}", a.kind, a.authorization, f"vintage {a.vintage}")
        while key in keyed:
            key = (*key, "again")
        keyed[key] = {"party": a.party, "year": a.year, "quantity": a.quantity}
    return keyed


def _stored_adjustments(registry: Registry) -> dict[Hashable, dict[str, Any]]:
    rows = (
        CorrespondingAdjustment.objects.filter(transaction__registry=registry)
        .order_by("pk")
        .values_list("transaction_id", "party__alpha3", "kind", "authorization__identifier", "vintage", "year", "quantity")
    )
    return _keyed_adjustments(
        (tx, e.Adjustment(party, kind, a, vintage, year, quantity)) for tx, party, kind, a, vintage, year, quantity in rows
    )


def _proven_adjustments(replay: Replay) -> dict[Hashable, dict[str, Any]]:
    return _keyed_adjustments((p.transaction, p.adjustment) for p in replay.adjustments)


# Uses and cancellations ---------------------------------------------------------------------------

USE_FIELDS: dict[str, Callable[[e.Retirement | e.Cancellation], object]] = {
    "purpose": lambda u: u.purpose,
    "cancellation_kind": lambda u: u.cancellation_kind if isinstance(u, e.Cancellation) else "",
    "oimp_purpose": lambda u: u.oimp_purpose if isinstance(u, e.Cancellation) else "",
    "using_party": lambda u: u.using_party if isinstance(u, e.Retirement) else None,
    "towards_ndc": lambda u: u.towards_ndc if isinstance(u, e.Retirement) else False,
    "ndc_year": lambda u: u.ndc_year if isinstance(u, e.Retirement) else None,
    "using_entity": lambda u: u.using_entity,
}


def _stored_uses(registry: Registry) -> dict[Hashable, dict[str, Any]]:
    rows = Transaction.objects.filter(
        registry=registry, status=TransactionStatus.COMPLETED, type__in=[TransactionType.RETIREMENT, TransactionType.CANCELLATION]
    ).values_list("pk", "purpose", "cancellation_kind", "oimp_purpose", "using_party__alpha3", "towards_ndc", "ndc_year", "using_entity_id")
    return {f"transaction {pk}": dict(zip(USE_FIELDS, values, strict=True)) for pk, *values in rows}


def _proven_uses(replay: Replay) -> dict[Hashable, dict[str, Any]]:
    return {f"transaction {pk}": {name: read(use) for name, read in USE_FIELDS.items()} for pk, use in replay.uses.items()}
