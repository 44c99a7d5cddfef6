"""Every journal the registry writes is what the typed journal writes: parse then write gives the
same bytes and the same hashes, on the demo ledger (with every kind of entry) and on the benchmarks'
bulk-grown ledger."""

from __future__ import annotations

import datetime as dt

from registry.accounts.models import Account, AccountType
from registry.accounts.services import change_account_status, open_account
from registry.article6.models import Authorization, FirstTransferDefinition, Purpose
from registry.article6.services import create_authorization, record_authorization_version
from registry.benchmarks.ledger import grow_ledger, prepare_world
from registry.core import entries
from registry.core.entries import parse_body, write_body
from registry.core.journal import GENESIS, chain_hash
from registry.core.serials import SerialRange
from registry.installation.seed import seed_demo_ledger, seed_reference_data, system_user
from registry.journal.models import JournalEntry
from registry.parties.models import CooperativeApproach, Entity, Project, Registry
from registry.transactions.authorization_services import authorize_units
from registry.transactions.services import cancel_units, correct_transaction, retire_units, transfer_units
from registry.units.models import UnitBlock
from registry.verification import verify


def assert_every_body_is_written_again_byte_for_byte() -> set[type]:
    kinds: set[type] = set()
    for registry in Registry.objects.all():
        previous = GENESIS
        for stored in JournalEntry.objects.filter(registry=registry).order_by("sequence"):
            recorded = parse_body(stored.body)
            text = write_body(recorded)
            assert text == stored.body, f"{registry} entry {stored.sequence}"
            assert chain_hash(previous, text) == stored.hash
            assert (recorded.registry, recorded.sequence, recorded.at) == (registry.registry_id, stored.sequence, stored.recorded_at)
            assert stored.kind == entries.entry_kind(recorded.entry)
            previous = stored.hash
            kinds.add(type(recorded.entry))
    return kinds


def demo_ledger_with_every_kind_of_entry() -> None:
    seed_reference_data()
    seed_demo_ledger()
    actor = system_user()
    mongolia = Registry.objects.get(registry_id="MNG01")
    seller = Account.objects.get(name="Darkhan Solar LLC")
    government = Account.objects.get(registry=mongolia, type=AccountType.PARTY_HOLDING)
    open_account(actor, mongolia, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
    entity = Entity.objects.get(name="Darkhan Solar LLC")
    authorization = create_authorization(
        actor,
        mongolia,
        identifier="MN-2024-002",
        date=dt.date(2024, 7, 1),
        cooperative_approach=CooperativeApproach.objects.get(identifier="CA0001"),
        purposes=Purpose.NDC_AND_OIMP,
        first_transfer_definition=FirstTransferDefinition.AUTHORIZATION,
        document_reference="Letter 2",
        oimp_purposes="CORSIA",
        authorized_entities=[entity],
    )
    record_authorization_version(actor, authorization, terms="for CORSIA's first phase")
    authorize_units(actor=actor, authorization=authorization, project=Project.objects.get(identifier="MN001"), vintages=(2024, 2024))
    cancel_units(
        actor=actor, account=seller, kind="oimp", oimp_purpose="CORSIA", ranges=[("MNG01", SerialRange(1001, 1020))], using_entity=entity
    )
    cancel_units(actor=actor, account=seller, kind="omge", quantity=3)
    moved = transfer_units(actor=actor, from_account=seller, to_account=government, quantity=7)
    correct_transaction(actor=actor, transaction=moved, reason="sent to the wrong account")
    retire_units(actor=actor, account=seller, quantity=4, towards_ndc=False, purpose="voluntary offset", using_entity=entity)
    change_account_status(actor, government, "blocked")


def test_the_demo_ledger_parses_into_typed_entries_and_is_written_again_byte_for_byte(db):
    demo_ledger_with_every_kind_of_entry()
    kinds = assert_every_body_is_written_again_byte_for_byte()
    assert set(entries.TYPE_OF) | {entries.AccountOpened, entries.AccountStatusChanged, entries.AuthorizationVersion} == kinds
    assert Authorization.objects.get(identifier="MN-2024-002").version == 2
    report = verify()
    assert report.ok, report.problems


def test_the_benchmark_ledger_parses_into_typed_entries_and_is_written_again_byte_for_byte(db):
    world = prepare_world(clients=1)
    grow_ledger(world, blocks=UnitBlock.objects.count() + 300, batch=120)
    assert entries.InternalTransfer in assert_every_body_is_written_again_byte_for_byte()
