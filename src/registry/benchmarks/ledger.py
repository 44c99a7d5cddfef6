"""A scratch registry for benchmarks, and a fast way to grow its ledger to millions of blocks.

``prepare_world`` builds, through the ordinary services, an administrator, a JCM project, one
source account holding a large issuance, two accounts that receive its units one serial at a time,
and pairs of sender and receiver accounts for concurrent clients.

``grow_ledger`` then adds what that many administrator's internal transfers of one serial each
would have written, alternately to the two receiving accounts (so no block merges with another):
per transfer one completed transaction, the block it names, a journal entry chained onto the
registry's head, and one more block. It writes in bulk, in the exact form the movement engine
writes, so ``registry verify`` replays it like any other ledger (a test holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from registry.accounts.models import Account, AccountType
from registry.accounts.services import open_account
from registry.core.entries import InternalTransfer, Recorded, Span, write_body
from registry.core.journal import chain_hash
from registry.installation.seed import seed_reference_data, system_user
from registry.journal.models import JournalEntry
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Registry, UnitType
from registry.parties.services import add_administrator, register_entity, register_project
from registry.transactions.models import Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.transactions.services import issue_units
from registry.units.holdings import IDENTITY_FIELDS, identifier_of
from registry.units.models import UnitBlock

REGISTRY = "MNG01"
ADMIN = "bench-admin"
SOURCE_UNITS = 3_000_000  # room for a ledger of a few million blocks
SENDER_UNITS = 1_000_000
VINTAGE = 2023


@dataclass(frozen=True)
class World:
    registry: Registry
    admin: User
    source: Account
    receivers: tuple[Account, Account]
    pairs: list[tuple[Account, Account]]  # (sender, receiver) per concurrent client


def _account(registry: Registry, name: str) -> Account:
    return Account.objects.select_related("registry").get(registry=registry, name=name)


def prepare_world(clients: int) -> World:
    """Set up the scratch registry (once); later calls find what the first one made."""
    registry = Registry.objects.filter(registry_id=REGISTRY).first()
    if registry is None or not User.objects.filter(username=ADMIN).exists():
        _build(clients)
    return load_world()


def load_world() -> World:
    registry = Registry.objects.get(registry_id=REGISTRY)
    pairs = []
    index = 1
    while Account.objects.filter(registry=registry, name=f"bench sender {index}").exists():
        pairs.append((_account(registry, f"bench sender {index}"), _account(registry, f"bench receiver {index}")))
        index += 1
    return World(
        registry=registry,
        admin=User.objects.get(username=ADMIN),
        source=_account(registry, "bench source"),
        receivers=(_account(registry, "bench odd serials"), _account(registry, "bench even serials")),
        pairs=pairs,
    )


def _build(clients: int) -> None:
    seed_reference_data()
    system = system_user()
    registry = Registry.objects.get(registry_id=REGISTRY)
    admin = User.objects.create_user(ADMIN, password=None)
    add_administrator(registry, admin)
    project = register_project(
        system,
        registry,
        identifier="MN-BENCH",
        name="Benchmark wind farm",
        programme=CreditingProgramme.objects.get(code="JCM"),
        host_party=Party.objects.get(alpha2="MN"),
        cooperative_approach=CooperativeApproach.objects.get(identifier="CA0001"),
    )
    entity = register_entity(system, registry, name="Benchmark LLC", country="MN")

    def holding(name: str) -> Account:
        return open_account(system, registry, account_type=AccountType.ENTITY_HOLDING, name=name, entity=entity)

    def issue(account: Account, quantity: int) -> None:
        issue_units(
            actor=admin,
            account=account,
            project=project,
            unit_type=UnitType.objects.get(code="JCM"),
            vintage=VINTAGE,
            quantity=quantity,
            first_transferring_party=registry.party,
        )

    issue(holding("bench source"), SOURCE_UNITS)
    holding("bench odd serials")
    holding("bench even serials")
    for index in range(1, clients + 1):
        issue(holding(f"bench sender {index}"), SENDER_UNITS)
        holding(f"bench receiver {index}")


def grow_ledger(world: World, blocks: int, batch: int = 20_000) -> int:
    """Add single-serial transfers from the source until the ledger holds ``blocks`` blocks; return
    how many were added. Each batch is one database transaction."""
    missing = blocks - UnitBlock.objects.count()
    if missing <= 0:
        return 0
    admin = world.admin.get_username()
    added = 0
    while added < missing:
        count = min(batch, missing - added)
        with transaction.atomic():
            _add_transfers(world, admin, count)
        added += count
    with connection.cursor() as cursor:  # ids were given explicitly: move PostgreSQL's sequence past them
        for statement in connection.ops.sequence_reset_sql(no_style(), [Transaction]):
            cursor.execute(statement)
    return added


def _add_transfers(world: World, admin: str, count: int) -> None:
    registry = Registry.objects.select_for_update().get(pk=world.registry.pk)
    source = UnitBlock.objects.select_related(*IDENTITY_FIELDS).get(account=world.source)
    if source.quantity <= count:
        raise ValueError(f"the source holds {source.quantity:,} units, fewer than the {count:,} transfers asked for")
    first = source.start
    source.start += count  # first, so the new blocks never overlap it (PostgreSQL checks at once)
    source.save(update_fields=["start"])
    now = timezone.now()
    first_id = (Transaction.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    sequence, head = registry.journal_length, registry.journal_head
    transactions, named, entries, pieces = [], [], [], []
    for offset in range(count):
        serial, pk = first + offset, first_id + offset
        receiver = world.receivers[serial % 2]  # by the serial, not the batch: neighbours never share a holder
        piece = UnitBlock(
            account=receiver,
            originating_registry=source.originating_registry,
            start=serial,
            end=serial,
            unit_type=source.unit_type,
            project_id=source.project_id,
            vintage=source.vintage,
            cooperative_approach=source.cooperative_approach,
            first_transferring_party=source.first_transferring_party,
            issuance_id=source.issuance_id,
        )
        pieces.append(piece)
        transactions.append(
            Transaction(
                pk=pk,
                registry=registry,
                type=TransactionType.INTERNAL_TRANSFER,
                status=TransactionStatus.COMPLETED,
                from_account=world.source,
                to_account=receiver,
                quantity=1,
                proposed_by=world.admin,
                created_at=now,
                completed_at=now,
            )
        )
        named.append(
            TransactionBlock(
                transaction_id=pk, originating_registry=piece.originating_registry, start=serial, end=serial, vintage=piece.vintage,
                identifier=identifier_of(piece),
            )
        )  # fmt: skip
        sequence += 1
        entry = InternalTransfer(pk, admin, None, world.source.number, receiver.number, (Span(piece.originating_registry, serial, serial),))
        text = write_body(Recorded(registry.registry_id, sequence, now, entry))
        entry_hash = chain_hash(head, text)
        entries.append(
            JournalEntry(
                registry=registry, sequence=sequence, kind="transaction", transaction_id=pk, recorded_at=now, body=text,
                previous_hash=head, hash=entry_hash,
            )
        )  # fmt: skip
        head = entry_hash
    Transaction.objects.bulk_create(transactions, batch_size=5000)
    TransactionBlock.objects.bulk_create(named, batch_size=5000)
    JournalEntry.objects.bulk_create(entries, batch_size=5000)
    UnitBlock.objects.bulk_create(pieces, batch_size=5000)
    Registry.objects.filter(pk=registry.pk).update(journal_length=sequence, journal_head=head)
