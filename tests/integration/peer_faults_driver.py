"""The long-lived operator of one installation for tests/integration/test_peers_faults.py.

The installation itself is made as every peer test makes it (``tests.peers_support``: ``registry
init``, the operator ``admin``, its own registry, the peers registered); this process only acts in
it, hundreds of times, without a process start each. Run as ``python -m
tests.integration.peer_faults_driver`` with the installation's environment
(``Installation.env()``); it reads one JSON command a line on stdin and answers one JSON line on
stdout. It acts through the services, like the CLI: trade set-up (an approach with the partner
Party, a seller holding authorised ITMOs, a buyer), external transfers by quantity or of a part of
a block, retirements and cancellations, and reports the blocks and totals the invariants are
checked on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import uuid
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from registry.access.models import Operation, OperationLog  # noqa: E402
from registry.accounts.models import SYSTEM_TYPES, Account, AccountStatus, AccountType  # noqa: E402
from registry.accounts.services import open_account  # noqa: E402
from registry.article6.services import create_authorization  # noqa: E402
from registry.core.checks import CheckFailed  # noqa: E402
from registry.core.serials import SerialRange  # noqa: E402
from registry.core.status import FINAL  # noqa: E402
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Registry, UnitType  # noqa: E402
from registry.parties.services import (  # noqa: E402
    add_administrator,
    create_cooperative_approach,
    create_party,
    register_entity,
    register_project,
)
from registry.peers.models import OutboundState, OutboundTransfer, SeenMessage  # noqa: E402
from registry.peers.services import add_peer, peer_account, remove_peer  # noqa: E402
from registry.transactions.models import Transaction, TransactionStatus, TransactionType  # noqa: E402
from registry.transactions.services import cancel_units, issue_units, propose_movement, retire_units  # noqa: E402
from registry.units.models import UnitBlock  # noqa: E402
from tests.peers_support import OPERATOR  # noqa: E402

ISSUED = 1000  # units each selling registry issues, as authorised ITMOs
State = dict[str, Any]

#: How each account type's units count in ``held + used + cancelled = issued``.
USED = (AccountType.RETIREMENT, AccountType.USE)
CANCELLED = (AccountType.MANDATORY_CANCELLATION, AccountType.VOLUNTARY_CANCELLATION, AccountType.OMGE_CANCELLATION)


def operator() -> Any:
    return get_user_model().objects.get(username=OPERATOR)


def _party(alpha2: str, alpha3: str, name: str) -> Party:
    return Party.objects.filter(alpha2=alpha2).first() or create_party(alpha2, alpha3, name)


def setup(registry_id: str, partner: list[str], approach: str, project: str, authorization: str) -> State:
    """The installation's own registry ready to trade with ``partner`` (alpha-2, alpha-3, name):
    the operator its administrator, its system accounts, the approach of both Parties (reference
    data both installations know), a seller holding ``ISSUED`` authorised ITMOs of its own project
    and a buyer."""
    registry = Registry.objects.select_related("party").get(registry_id=registry_id)
    admin = operator()
    add_administrator(registry, admin)
    for account_type in [AccountType.PARTY_HOLDING, *sorted(SYSTEM_TYPES)]:
        with translation.override("en"):
            open_account(admin, registry, account_type=account_type, name=f"{registry.party.name} {AccountType(account_type).label}")
    other = _party(*partner)
    found = CooperativeApproach.objects.filter(identifier=approach).first()
    approach_row = found or create_cooperative_approach(approach, f"{registry.party.name} and {other.name}", [registry.party, other])
    accounts = []
    for role in ("Seller", "Buyer"):
        entity = register_entity(admin, registry, name=f"{registry_id} {role}", country=registry.party.alpha2)
        accounts.append(open_account(admin, registry, account_type=AccountType.ENTITY_HOLDING, name=entity.name, entity=entity))
    seller, buyer = accounts
    programme = CreditingProgramme.objects.get(code="JCM")
    projected = register_project(
        admin,
        registry,
        identifier=project,
        name=f"Solar {project}",
        programme=programme,
        host_party=registry.party,
        cooperative_approach=approach_row,
    )
    letter = create_authorization(
        admin,
        registry,
        identifier=authorization,
        date=dt.date(2025, 1, 10),
        cooperative_approach=approach_row,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter of authorisation",
    )
    issue_units(
        actor=admin,
        account=seller,
        project=projected,
        unit_type=UnitType.objects.get(code="JCM"),
        vintage=2024,
        quantity=ISSUED,
        cooperative_approach=approach_row,
        first_transferring_party=registry.party,
        authorization=letter,
    )
    return {"seller": seller.number, "buyer": buyer.number}


def peer(registry_id: str, url: str, key: str) -> State:
    add_peer(operator(), registry_id, url, key)
    return {}


def _free_part(account: Account, pick: int) -> list[tuple[str, SerialRange]] | None:
    """A part of one free block of ``account`` (1 to 10 units, anywhere in it), chosen by ``pick``."""
    free = list(UnitBlock.objects.filter(account=account, reserved_by__isnull=True).order_by("originating_registry", "start"))
    if not free:
        return None
    choose = random.Random(pick)
    block = choose.choice(free)
    length = choose.randint(1, min(10, block.end - block.start + 1))
    start = choose.randint(block.start, block.end - length + 1)
    return [(block.originating_registry, SerialRange(start, start + length - 1))]


def transfer(seller: str, to: str, quantity: int | None = None, pick: int | None = None) -> State:
    """An external transfer from ``seller`` (its registry's administrator proposes it, no four
    eyes): ``quantity`` units (the lowest serials first), or a part of a block chosen by ``pick``."""
    account = Account.objects.select_related("registry").get(number=seller)
    requested = _free_part(account, pick) if pick is not None else None
    if pick is not None and requested is None:
        return {"refused": "nothing free to send"}
    try:
        peer_account(account.registry, to)  # this registry's entry for the peer's account, as the CLI makes it
        tx = propose_movement(
            actor=operator(),
            kind=TransactionType.EXTERNAL_TRANSFER,
            from_account=account,
            to_account_number=to,
            quantity=quantity,
            ranges=requested,
        )
    except CheckFailed as failure:
        return {"refused": failure.code, "message": failure.message}
    in_flight = Transaction.objects.filter(type=TransactionType.EXTERNAL_TRANSFER, status=TransactionStatus.PROPOSED).count()
    return {"transaction": tx.pk, "status": tx.status, "in_flight": in_flight}


def use(account: str, quantity: int, how: str) -> State:
    """``quantity`` units of ``account`` retired (``how``: ``ndc``, towards the registry's NDC, or
    ``voluntary``) or cancelled (``cancel``), the lowest serials first."""
    held = Account.objects.select_related("registry").get(number=account)
    try:
        if how == "cancel":
            tx = cancel_units(actor=operator(), account=held, kind="voluntary", quantity=quantity)
        else:
            tx = retire_units(actor=operator(), account=held, quantity=quantity, towards_ndc=how == "ndc")
    except CheckFailed as failure:
        return {"refused": failure.code, "message": failure.message}
    return {"transaction": tx.pk, "status": tx.status}


def state() -> State:
    """Every block (with its account, account type and reservation), what each hosted registry
    issued, the units held, used and cancelled by originating registry, and what is unsettled."""
    blocks = list(
        UnitBlock.objects.values_list("originating_registry", "start", "end", "account__number", "account__type", "reserved_by_id")
    )
    issued = dict(
        Transaction.objects.filter(type=TransactionType.ISSUANCE, status="completed")
        .values_list("registry__registry_id")
        .annotate(total=Sum("quantity"))
        .values_list("registry__registry_id", "total")
    )
    units: dict[str, dict[str, int]] = {}
    for origin, start, end, _number, account_type, _reserved in blocks:
        term = "used" if account_type in USED else "cancelled" if account_type in CANCELLED else "held"
        units.setdefault(origin, {"held": 0, "used": 0, "cancelled": 0})[term] += end - start + 1
    unsettled = Transaction.objects.filter(type=TransactionType.EXTERNAL_TRANSFER).exclude(status__in=[s.value for s in FINAL]).count()
    counts = Transaction.objects.order_by().values_list("type", "status").annotate(n=Count("pk"))
    return {
        "blocks": blocks,
        "issued": issued,
        "units": units,
        # Units of a registry of this installation that went to the peer and came back (by an acquisition).
        "came_back": sum(
            e - s + 1
            for s, e in UnitBlock.objects.filter(
                issuance__type=TransactionType.ACQUISITION, originating_registry__in=Registry.objects.values("registry_id")
            ).values_list("start", "end")
        ),
        "proposed": OutboundTransfer.objects.filter(state=OutboundState.PROPOSED).count(),
        "unsettled": unsettled,
        "transactions": {f"{t} {s}": n for t, s, n in counts},
        "completed": Transaction.objects.filter(type=TransactionType.EXTERNAL_TRANSFER, status="completed").count(),
        "acquired": Transaction.objects.filter(type=TransactionType.ACQUISITION).count(),
        "outcomes": sorted(
            {
                f"{s} {c} {m[:200]}"
                for s, c, m in Transaction.objects.filter(type=TransactionType.EXTERNAL_TRANSFER).values_list(
                    "status", "check_code", "check_message"
                )
            }
        ),
    }


STALE_SENDER = "ZZZ99"


def plant() -> State:
    """A seen message long past the window: the worker's first pass forgets it, so its absence says the worker runs."""
    SeenMessage.objects.create(
        sender=STALE_SENDER,
        message_id=str(uuid.uuid4()),
        kind="ping",
        digest="0" * 64,
        received_at=timezone.now() - dt.timedelta(days=1),
        answer="{}",
    )
    return {}


def worker_running() -> State:
    return {"running": not SeenMessage.objects.filter(sender=STALE_SENDER).exists()}


def log(after: int = 0) -> State:
    """The operation log of peer messages received since entry ``after``: what was refused and why."""
    rows = OperationLog.objects.filter(action=Operation.PEER_MESSAGE_RECEIVED, pk__gt=after).order_by("pk")
    return {
        "entries": [[r.pk, r.target, r.outcome] for r in rows],
        "last": OperationLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }


def books() -> State:
    """What must not change when a message is refused: every journal's length and head, and the blocks."""
    return {"journals": list(Registry.objects.order_by("registry_id").values_list("registry_id", "journal_length", "journal_head"))} | {
        "blocks": state()["blocks"]
    }


def remove(registry_id: str) -> State:
    remove_peer(operator(), registry_id)
    return {}


def close(number: str) -> State:
    Account.objects.filter(number=number).update(status=AccountStatus.CLOSED)  # as if closed by its administrator
    return {}


def double(origin: str, start: int, end: int) -> State:
    """Tampering, for the reconciliation test: serials the peer holds appear here again, in an
    account of this installation holding units of the same origin."""
    copy = UnitBlock.objects.filter(account__type=AccountType.ENTITY_HOLDING, originating_registry=origin).first()
    assert copy is not None
    copy.pk, copy.start, copy.end, copy.reserved_by = None, start, end, None
    copy.save()
    return {"account": copy.account.number}


COMMANDS = {
    "setup": setup,
    "peer": peer,
    "transfer": transfer,
    "use": use,
    "state": state,
    "log": log,
    "books": books,
    "remove": remove,
    "close": close,
    "double": double,
    "plant": plant,
    "worker_running": worker_running,
}


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        try:
            answer = COMMANDS[command.pop("op")](**command)
        except Exception as error:  # the test shows it; the driver keeps serving
            answer = {"error": f"{type(error).__name__}: {error}"}
        finally:
            connection.close()  # each command reads afresh (no snapshot kept between commands)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
