"""One installation's operator for tests/integration/test_peers_faults.py, as a process of its own.

Run as ``python -m tests.integration.peer_faults_driver`` with the installation's ``REGISTRY_HOME``
and ``DATABASE_URL``; it reads one JSON command a line on stdin and answers one JSON line on stdout.
It acts through the services, like the CLI: set the installation up (Japan's, hosting JPN01 and
MNG01, or Thailand's, hosting THA01), register a peer, propose external transfers, and report the
blocks and issued totals the invariants are checked on.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import uuid
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from registry.access.models import Operation, OperationLog  # noqa: E402
from registry.accounts.models import SYSTEM_TYPES, Account, AccountStatus, AccountType  # noqa: E402
from registry.accounts.services import open_account  # noqa: E402
from registry.article6.services import create_authorization  # noqa: E402
from registry.core.checks import CheckFailed  # noqa: E402
from registry.core.serials import SerialRange  # noqa: E402
from registry.core.status import FINAL  # noqa: E402
from registry.installation.seed import system_user  # noqa: E402
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Registry, UnitType  # noqa: E402
from registry.parties.services import (  # noqa: E402
    add_administrator,
    create_cooperative_approach,
    create_party,
    create_programme,
    create_registry,
    register_entity,
    register_project,
)
from registry.peers.keys import ensure_signing_key, public_key  # noqa: E402
from registry.peers.models import OutboundState, OutboundTransfer, SeenMessage  # noqa: E402
from registry.peers.services import add_peer, peer_account, remove_peer  # noqa: E402
from registry.transactions.models import Transaction, TransactionBlock, TransactionType  # noqa: E402
from registry.transactions.services import issue_units, propose_movement  # noqa: E402
from registry.units.models import UnitBlock  # noqa: E402

ISSUED = 1000  # units each selling registry issues, as authorised ITMOs
State = dict[str, Any]


def _party(alpha2: str, alpha3: str, name: str) -> Party:
    return Party.objects.filter(alpha2=alpha2).first() or create_party(alpha2, alpha3, name)


def _approach(identifier: str, name: str, parties: list[Party]) -> None:
    if not CooperativeApproach.objects.filter(identifier=identifier).exists():
        create_cooperative_approach(identifier, name, parties)


def _system_accounts(registry: Registry) -> None:
    for account_type in [AccountType.PARTY_HOLDING, *sorted(SYSTEM_TYPES)]:
        with translation.override("en"):
            open_account(
                system_user(), registry, account_type=account_type, name=f"{registry.party.name} {AccountType(account_type).label}"
            )


def _seller_and_buyer(selling: Registry, buying: Registry, country_of: dict[Registry, str]) -> tuple[Account, Account]:
    accounts = []
    for registry, name in ((selling, "Seller"), (buying, "Buyer")):
        entity = register_entity(system_user(), registry, name=f"{registry.registry_id} {name}", country=country_of[registry])
        accounts.append(open_account(system_user(), registry, account_type=AccountType.ENTITY_HOLDING, name=entity.name, entity=entity))
    return accounts[0], accounts[1]


def _itmos(registry: Registry, seller: Account, project_id: str, host: Party, approach: str, authorization_id: str) -> None:
    admin = registry.administrators.get()
    approach_row = CooperativeApproach.objects.get(identifier=approach)
    project = register_project(
        system_user(),
        registry,
        identifier=project_id,
        name=f"Solar {project_id}",
        programme=CreditingProgramme.objects.get(code="JCM"),
        host_party=host,
        cooperative_approach=approach_row,
    )
    authorization = create_authorization(
        admin,
        registry,
        identifier=authorization_id,
        date=dt.date(2025, 1, 10),
        cooperative_approach=approach_row,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter of authorisation",
    )
    issue_units(
        actor=admin,
        account=seller,
        project=project,
        unit_type=UnitType.objects.get(code="JCM"),
        vintage=2024,
        quantity=ISSUED,
        cooperative_approach=approach_row,
        first_transferring_party=host,
        authorization=authorization,
    )


def setup_japan() -> State:
    """Japan's installation as ``registry init`` makes it (JPN01, MNG01), knowing Thailand and its
    approach; MNG01's seller holds authorised ITMOs, JPN01's buyer receives Thailand's."""
    call_command("init", verbosity=0, stdout=io.StringIO())
    user = get_user_model()
    user.objects.create_superuser(username="root", password=None)
    japan, mongolia = Registry.objects.get(registry_id="JPN01"), Registry.objects.get(registry_id="MNG01")
    thailand_party = _party("TH", "THA", "Thailand")
    _approach("CA0002", "JCM between Japan and Thailand", [japan.party, thailand_party])
    for registry in (japan, mongolia):
        add_administrator(registry, user.objects.create_user(username=f"admin-{registry.registry_id.lower()}"))
    seller, buyer = _seller_and_buyer(mongolia, japan, {mongolia: "MN", japan: "JP"})
    _itmos(mongolia, seller, "MN001", mongolia.party, "CA0001", "MN-2025-001")
    return {"key": public_key(), "seller": seller.number, "buyer": buyer.number}


def setup_thailand() -> State:
    """Thailand's installation, hosting THA01 alone, with the same reference data as Japan's."""
    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    ensure_signing_key()
    user = get_user_model()
    user.objects.create_superuser(username="root", password=None)
    japan, mongolia, thailand = _party("JP", "JPN", "Japan"), _party("MN", "MNG", "Mongolia"), _party("TH", "THA", "Thailand")
    create_programme("JCM", "Joint Crediting Mechanism", "JCM", {"JCM": "JCM credit"})
    _approach("CA0001", "JCM between Japan and Mongolia", [japan, mongolia])
    _approach("CA0002", "JCM between Japan and Thailand", [japan, thailand])
    registry = create_registry(thailand, "THA01", "Thailand Carbon Registry", time_zone="Asia/Bangkok")
    _system_accounts(registry)
    add_administrator(registry, user.objects.create_user(username="admin-tha01"))
    seller, buyer = _seller_and_buyer(registry, registry, {registry: "TH"})
    _itmos(registry, seller, "TH001", thailand, "CA0002", "TH-2025-001")
    return {"key": public_key(), "seller": seller.number, "buyer": buyer.number}


def peer(registry_id: str, url: str, key: str) -> State:
    add_peer(get_user_model().objects.get(username="root"), registry_id, url, key)
    return {}


def transfer(seller: str, to: str, quantity: int | None = None, ranges: list[list[int]] | None = None) -> State:
    """An external transfer from ``seller`` (its registry's administrator proposes it, no four eyes)."""
    account = Account.objects.select_related("registry").get(number=seller)
    admin = account.registry.administrators.get()
    requested = [(account.registry.registry_id, SerialRange(s, e)) for s, e in ranges] if ranges else None
    try:
        peer_account(account.registry, to)  # this registry's entry for the peer's account, as the CLI makes it
        tx = propose_movement(
            actor=admin,
            kind=TransactionType.EXTERNAL_TRANSFER,
            from_account=account,
            to_account_number=to,
            quantity=quantity,
            ranges=requested,
        )
    except CheckFailed as failure:
        return {"refused": failure.code, "message": failure.message}
    return {"transaction": tx.pk, "status": tx.status}


def state() -> State:
    """Every block (with its account and reservation), what each hosted registry issued, and what is unsettled."""
    blocks = list(
        UnitBlock.objects.values_list("originating_registry", "start", "end", "account__number", "account__type", "reserved_by_id")
    )
    issued = dict(
        Transaction.objects.filter(type=TransactionType.ISSUANCE, status="completed")
        .values_list("registry__registry_id")
        .annotate(total=Sum("quantity"))
        .values_list("registry__registry_id", "total")
    )
    unsettled = Transaction.objects.filter(type=TransactionType.EXTERNAL_TRANSFER).exclude(status__in=[s.value for s in FINAL]).count()
    return {
        "blocks": blocks,
        "issued": issued,
        "proposed": OutboundTransfer.objects.filter(state=OutboundState.PROPOSED).count(),
        "unsettled": unsettled,
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
    remove_peer(get_user_model().objects.get(username="root"), registry_id)
    return {}


def close(number: str) -> State:
    Account.objects.filter(number=number).update(status=AccountStatus.CLOSED)  # as if closed by its administrator
    return {}


def double() -> State:
    """Tampering, for the reconciliation test: serials this registry sent away (the peer holds them)
    appear here again, in the account of the units still here."""
    sent = TransactionBlock.objects.filter(transaction__type=TransactionType.EXTERNAL_TRANSFER, transaction__status="completed")
    gone = sent.order_by("pk").first()
    assert gone is not None
    copy = UnitBlock.objects.filter(account__type=AccountType.ENTITY_HOLDING, originating_registry=gone.originating_registry).first()
    assert copy is not None
    copy.pk, copy.start, copy.end, copy.reserved_by = None, gone.start, gone.end, None
    copy.save()
    return {"range": [gone.originating_registry, gone.start, gone.end], "account": copy.account.number}


COMMANDS = {
    "setup_japan": setup_japan,
    "setup_thailand": setup_thailand,
    "peer": peer,
    "transfer": transfer,
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
