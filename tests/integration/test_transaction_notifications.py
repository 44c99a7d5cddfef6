"""Who hears about a transaction: each event tells exactly the people it concerns, each once, in
one statement that reads them (representatives, rights, addresses) as they are then, and e-mails
those with an address once the transaction commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from registry.access.services import grant_right, revoke_right
from registry.notifications.models import Notification
from registry.transactions.services import approve_transaction, cancel_transaction, reject_transaction, transfer_units
from tests.factories import make_user, trust


@pytest.fixture
def people(world):
    """The seller's and the buyer's representatives; the initiator represents the buyer too."""
    world.issue(100)
    named = {}
    for name in ("initiator", "approver", "both", "reader", "receiver", "silent"):
        user = make_user(name)
        user.email = "" if name == "silent" else f"{name}@example.org"
        user.save()
        named[name] = user
    grant_right(world.admin_mn, world.seller, named["initiator"], "initiate")
    grant_right(world.admin_mn, world.seller, named["approver"], "approve")
    grant_right(world.admin_mn, world.seller, named["both"], "initiate_and_approve")
    grant_right(world.admin_mn, world.seller, named["reader"], "read_only")
    grant_right(world.admin_mn, world.buyer, named["receiver"], "initiate_and_approve")
    grant_right(world.admin_mn, world.buyer, named["initiator"], "read_only")
    grant_right(world.admin_mn, world.buyer, named["silent"], "read_only")
    world.people = named
    Notification.objects.all().delete()
    mail.outbox.clear()
    return world


def told(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def mailed_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def statements_of(operation: Callable[[], Any]) -> list[str]:
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        operation()
    return sent


def test_a_proposal_tells_the_approvers_but_not_the_proposer(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transfer_units(actor=people.people["initiator"], from_account=people.seller, to_account=people.buyer, quantity=5)
    assert told("transaction_awaiting_approval") == ["approver", "both"]
    assert mailed_to() == ["approver@example.org", "both@example.org"]


def test_a_completed_transfer_tells_its_proposer_and_every_representative_of_the_receiver_once(people, django_capture_on_commit_callbacks):
    trust(people, (people.seller, people.buyer))
    tx = transfer_units(actor=people.people["initiator"], from_account=people.seller, to_account=people.buyer, quantity=5)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = statements_of(lambda: approve_transaction(actor=people.people["approver"], transaction=tx))
    assert told("transaction_approved") == ["initiator"]
    assert told("transaction_completed") == ["initiator"]
    # The proposer represents the receiver too: told both, as two messages.
    assert told("units_received") == ["initiator", "receiver", "silent"]
    received = Notification.objects.get(kind="units_received", user=people.people["receiver"]).params
    assert received == {"transaction": tx.pk, "quantity": 5, "account": people.buyer.number, "sender": people.seller.number}
    assert mailed_to() == ["initiator@example.org"] * 2 + ["initiator@example.org", "receiver@example.org"]
    # Approval and completion: one statement each, which reads whom to tell and their addresses.
    assert len([sql for sql in sent if "notifications_notification" in sql]) == 2


def test_an_approval_that_waits_tells_the_proposer_and_the_approvers_each_once(people, django_capture_on_commit_callbacks):
    tx = transfer_units(actor=people.people["initiator"], from_account=people.seller, to_account=people.buyer, quantity=5)
    grant_right(people.admin_mn, people.seller, people.people["initiator"], "initiate_and_approve")  # proposer is an approver too
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        approve_transaction(actor=people.people["approver"], transaction=tx)
    assert told("transaction_approved") == ["initiator"]
    assert told("transaction_delayed") == ["approver", "both", "initiator"]
    assert told("units_received") == []


def test_a_rejection_tells_the_proposer_and_the_approvers_but_not_who_rejected(people, django_capture_on_commit_callbacks):
    tx = transfer_units(actor=people.people["initiator"], from_account=people.seller, to_account=people.buyer, quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        reject_transaction(actor=people.people["approver"], transaction=tx, reason="wrong account")
    assert told("transaction_rejected") == ["both", "initiator"]
    assert Notification.objects.get(kind="transaction_rejected", user=people.people["both"]).params == {
        "transaction": tx.pk,
        "by": "approver",
        "reason": "wrong account",
    }


def test_a_cancellation_by_its_proposer_tells_the_approvers(people, django_capture_on_commit_callbacks):
    tx = transfer_units(actor=people.people["initiator"], from_account=people.seller, to_account=people.buyer, quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_transaction(actor=people.people["initiator"], transaction=tx)
    assert told("transaction_cancelled") == ["approver", "both"]


def test_who_is_told_is_read_when_it_happens(people, django_capture_on_commit_callbacks):
    trust(people, (people.seller, people.buyer))
    revoke_right(people.admin_mn, people.buyer, people.people["receiver"])
    with django_capture_on_commit_callbacks(execute=True):
        sent = statements_of(lambda: transfer_units(actor=people.admin_mn, from_account=people.seller, to_account=people.buyer, quantity=5))
    assert len([sql for sql in sent if "notifications_notification" in sql]) == 1
    assert not [sql for sql in sent if "access_representative" in sql and not sql.startswith("INSERT")]
    assert told("units_received") == ["initiator", "silent"]
    assert told("transaction_completed") == ["admin-mn"]
    assert "receiver@example.org" not in mailed_to()
