"""What an import carries over from the file (docs/interchange.md): who proposed and approved each
transaction (not the administrator who imports), a cancellation's free-text purpose, and the
entity conditions of an authorisation version that changes more than one thing. Export, import
into an empty database, export again: every dated record says the same, but for this
installation's numbers. And internal transfers written directly (``interchange/direct.py``) leave
exactly the blocks and journal the services leave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from registry.accounts.models import Account, AccountType
from registry.article6.models import Authorization
from registry.article6.services import EntityConditions, record_authorization_version
from registry.installation.seed import seed_demo_ledger, seed_reference_data
from registry.interchange.direct import DirectTransfers
from registry.interchange.importing import import_history
from registry.journal.models import JournalEntry
from registry.parties.models import Entity
from registry.transactions.models import Transaction, TransactionBlock
from registry.transactions.services import approve_transaction, cancel_units, transfer_units
from registry.verification import verify
from tests.integration.importing_pictures import export_files, picture

DEMO = ["MNG01", "JPN01"]
#: This installation's numbers (transactions, entities): an import gives its own.
NUMBERS = {"transaction", "corrects", "counterpart", "trigger", "issuance", "entity", "using_entity"}


def _build() -> None:
    seed_reference_data()
    seed_demo_ledger()
    officer = User.objects.create_superuser("mng-officer", password=None)
    approver = User.objects.create_superuser("mng-approver", password=None)
    participant = Account.objects.get(registry__registry_id="MNG01", type=AccountType.ENTITY_HOLDING)
    government = Account.objects.get(registry__registry_id="MNG01", type=AccountType.PARTY_HOLDING)
    # Due already: approved, it completes at once (no delay for an account not yet trusted).
    proposed = transfer_units(
        actor=officer, from_account=participant, to_account=government, quantity=7, require_approval=True, execute_after=timezone.now()
    )
    approve_transaction(actor=approver, transaction=proposed)
    cancel_units(actor=officer, account=participant, kind="voluntary", quantity=3, purpose="Offsetting the 2025 Ulaanbaatar forum")
    authorization = Authorization.objects.get(identifier="MN-2024-001")
    entity = Entity.objects.get(name="Darkhan Solar LLC")
    record_authorization_version(
        officer,
        authorization,
        terms="Version 2: terms and the authorised entity change together",
        authorized_entities=[entity],
        entity_conditions={entity.pk: EntityConditions("Only for the 2023 vintage", "Revocable with 30 days' notice", "Ministry letter")},
    )


@pytest.fixture(scope="module")
def carried_history(tmp_path_factory, django_db_setup, django_db_blocker) -> tuple[list[Path], dict[str, Any]]:
    directory = tmp_path_factory.mktemp("carried")
    with django_db_blocker.unblock(), transaction.atomic():
        _build()
        paths = export_files(directory, DEMO)
        before = picture(DEMO)
        transaction.set_rollback(True)
    return paths, before


def _without_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_numbers(v) for k, v in value.items() if k not in NUMBERS}
    if isinstance(value, list):
        return [_without_numbers(v) for v in value]
    return value


def _dated(path: Path) -> list[dict[str, Any]]:
    return [_without_numbers(r) for r in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if "effective" in r]


def test_export_import_export_keeps_every_dated_record_with_its_people_purposes_and_conditions(db, carried_history, tmp_path):
    paths, before = carried_history
    import_history(User.objects.create_superuser("importer", password=None), paths)
    assert picture(DEMO) == before
    assert verify().ok
    again = export_files(tmp_path, DEMO)
    for original, exported in zip(paths, again, strict=True):
        assert _dated(exported) == _dated(original)
    records = _dated(paths[0])
    assert not any("importer" in json.dumps(r) for r in records)  # the file never names who imports it
    approved = [r for r in records if r.get("approved_by") == "mng-approver"]
    assert [(r["type"], r["proposed_by"]) for r in approved] == [("internal_transfer", "mng-officer")]
    assert [r["purpose"] for r in records if r.get("type") == "cancellation" and r.get("purpose")] == [
        "Offsetting the 2025 Ulaanbaatar forum"
    ]
    version = [r for r in records if r["record"] == "authorization_version"][-1]
    assert version["version"] == 2 and version["recorded_by"] == "mng-officer"
    assert version["authorized_entities"][0]["conditions"] == "Only for the 2023 vintage"
    assert version["authorized_entities"][0]["explanation"] == "Ministry letter"


def _written() -> dict[str, Any]:
    """What an import wrote, by codes and serials, without the moment of import and this installation's numbers."""
    journal = []
    for body in JournalEntry.objects.order_by("registry__registry_id", "sequence").values_list("body", flat=True):
        recorded = json.loads(body)
        del recorded["at"]
        journal.append(_without_numbers(recorded))  # PostgreSQL does not take back the numbers of a rolled-back import
    rows = Transaction.objects.order_by("pk").values_list(
        "registry__registry_id",
        "type",
        "status",
        "from_account__number",
        "to_account__number",
        "quantity",
        "purpose",
        "proposed_by__username",
        "created_at",
        "completed_at",
    )
    named = TransactionBlock.objects.order_by("transaction__pk", "originating_registry", "start").values_list(
        "transaction__type", "originating_registry", "start", "end", "vintage", "identifier"
    )
    return {"journal": journal, "transactions": list(rows), "transaction_blocks": list(named), "picture": picture(DEMO)}


def test_internal_transfers_written_directly_leave_what_the_services_leave(db, carried_history, monkeypatch):
    """The same files imported twice: once with every internal transfer through ``transfer_units``,
    once written directly. Same journal (but for the moment of import), rows and blocks."""
    paths, _ = carried_history
    importer = User.objects.create_superuser("importer", password=None)
    with transaction.atomic():
        with monkeypatch.context() as patched:
            patched.setattr(DirectTransfers, "transfer", lambda *args: None)  # every transfer to the service
            import_history(importer, paths)
        through_services = _written()
        transaction.set_rollback(True)
    assert not JournalEntry.objects.exists()
    import_history(importer, paths)
    directly = _written()
    assert sum(1 for r in directly["journal"] if r.get("type") == "internal_transfer") >= 2
    assert directly == through_services
    assert verify().ok
