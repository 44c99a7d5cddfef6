"""Reconciliation read from the books: each registry's statement about the other, from its journal,
pending transfers and holdings, compared block by block; the answer to a holdings query; the record,
the administrators' notification in both languages, and when run-due reconciles.

Two registries of one installation (MNG01 and JPN01) exchange external transfers exactly as two peer
installations do in their journals, so each one's statement about the other is the one a peer would
send; the two-installation run over HTTP is tests/integration/test_peers_faults.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from registry.core import reconciliation as core
from registry.core.checks import CheckFailed
from registry.notifications.messages import render
from registry.notifications.models import Notification
from registry.peers import reconcile
from registry.peers.models import Peer, Reconciliation, ReconciliationOutcome
from registry.transactions.authorization_services import authorize_units
from registry.transactions.services import transfer_externally
from tests.integration.test_article6_rules import authorization, mn


@pytest.fixture
def traded(world):
    """MNG01 sent serials 1-10 and 21-30 (two transfers, the second of a part of a block) to JPN01."""
    world.issue(100)
    authorize_units(
        actor=world.admin_mn, authorization=authorization(world, "NDC-1", "NDC", "first_international_transfer"), ranges=mn(1, 100)
    )
    first = transfer_externally(actor=world.admin_mn, from_account=world.seller, to_account=world.japanese, ranges=mn(1, 10))
    second = transfer_externally(actor=world.admin_mn, from_account=world.seller, to_account=world.japanese, ranges=mn(21, 30))
    world.transfers = (first, second)
    return world


def read(registry, about: str) -> core.Statement:
    return core.parse_statement(reconcile.statement(registry, about), registry=registry.registry_id, peer=about)


def test_each_side_states_what_its_journal_says_and_the_two_agree(traded):
    first, second = traded.transfers
    sender, receiver = read(traded.mongolia, "JPN01"), read(traded.japan, "MNG01")
    assert {n: e.spans for n, e in sender.sent.items()} == {first.pk: (("MNG01", 1, 10),), second.pk: (("MNG01", 21, 30),)}
    assert {n: e.spans for n, e in receiver.received.items()} == {first.pk: (("MNG01", 1, 10),), second.pk: (("MNG01", 21, 30),)}
    assert sender.received == {} and receiver.sent == {} and sender.pending == {}
    # where the exchanged serials sit: with the buyer in JPN01, nowhere in MNG01 (nothing else is told)
    assert [(h.span, h.account) for h in receiver.holdings] == [
        (("MNG01", 1, 10), traded.japanese.number),
        (("MNG01", 21, 30), traded.japanese.number),
    ]
    assert sender.holdings == ()
    traded.japan.refresh_from_db()
    assert (receiver.journal_length, receiver.journal_head) == (traded.japan.journal_length, traded.japan.journal_head)
    assert core.compare(sender, receiver, sender) == core.Comparison((), ())


def test_a_pending_transfer_is_stated_with_its_reserved_units_and_is_in_flight(traded):
    pending = transfer_externally(
        actor=traded.admin_mn, from_account=traded.seller, to_account=traded.japanese, ranges=mn(41, 45), require_approval=True
    )
    sender = read(traded.mongolia, "JPN01")
    assert sender.pending[pending.pk].spans == (("MNG01", 41, 45),)
    assert [(h.span, h.reserved_by) for h in sender.holdings] == [(("MNG01", 41, 45), pending.pk)]
    found = core.compare(sender, read(traded.japan, "MNG01"), sender)
    assert found.agreed and found.in_flight == (core.InFlight("MNG01", pending.pk, (("MNG01", 41, 45),), accepted=False),)


def test_statements_about_a_registry_never_traded_with_are_empty_and_units_used_since_still_sit_there(traded):
    from registry.transactions.services import retire_units

    retire_units(actor=traded.admin_jp, account=traded.japanese, ranges=mn(1, 4), purpose="NDC")
    receiver = read(traded.japan, "MNG01")
    assert {h.span: h.account for h in receiver.holdings}[("MNG01", 1, 4)].startswith("JPN01-")  # in the retirement account
    assert sum(h.span[2] - h.span[1] + 1 for h in receiver.holdings) == 20
    nobody = read(traded.japan, "THA01")
    assert (nobody.sent, nobody.received, nobody.pending, nobody.holdings) == ({}, {}, {}, ())


def test_the_answer_to_a_holdings_query_is_the_receivers_statement_and_other_payloads_are_1530(traded):
    asker = Peer(registry_id="MNG01")  # as the receiving installation knows the asker
    answer = reconcile.answer_holdings_query(asker, {"registry": "JPN01"})
    assert answer == reconcile.statement(traded.japan, "MNG01") and answer["digest"] == core.digest(answer)
    body = {"receiver": "JPN01", "sender": "MNG01", "kind": "holdings_query", "payload": {"registry": "JPN01"}}
    assert reconcile.answer_holdings_query(asker, body) == answer  # the whole body does as well
    every = reconcile.answer_holdings_query(asker, {})  # about every registry of the installation
    assert every == {"statements": {"JPN01": answer, "MNG01": reconcile.statement(traded.mongolia, "MNG01")}}
    for query in ({"registry": "THA01"}, {"registry": 1}, {"registry": "JPN01", "from": "2026-01-01"}, body | {"receiver": "MNG01"}):
        with pytest.raises(CheckFailed) as failure:
            reconcile.answer_holdings_query(asker, query)
        assert failure.value.code == 1530, query


@pytest.fixture
def peer(world, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password=None)
    return Peer.objects.create(registry_id="THA01", url="http://127.0.0.1:9", public_key="A" * 43, added_at=timezone.now(), added_by=root)


def test_run_due_reconciles_each_registry_with_each_peer_once_a_day_and_retries_a_failure_after_an_hour(world, peer, settings):
    settings.REGISTRY_RECONCILE_HOURS = 24
    now = timezone.now()
    assert [(r.registry_id, p.registry_id) for r, p in reconcile.due_pairs(now)] == [("JPN01", "THA01"), ("MNG01", "THA01")]

    def record(registry, outcome, hours_ago):  # type: ignore[no-untyped-def]
        at = now - dt.timedelta(hours=hours_ago)
        Reconciliation.objects.create(registry=registry, peer=peer, started_at=at, finished_at=at, outcome=outcome)

    record(world.japan, ReconciliationOutcome.AGREED, 23)
    record(world.mongolia, ReconciliationOutcome.DISCREPANCIES, 25)
    assert [r.registry_id for r, _ in reconcile.due_pairs(now)] == ["MNG01"]
    record(world.mongolia, ReconciliationOutcome.FAILED, 0.5)
    assert list(reconcile.due_pairs(now)) == []
    assert [r.registry_id for r, _ in reconcile.due_pairs(now + dt.timedelta(hours=1, minutes=1))] == ["JPN01", "MNG01"]


def test_a_peer_that_does_not_answer_is_recorded_as_failed_with_1533_and_changes_nothing(world, peer, settings, tmp_path):
    from registry.peers.keys import ensure_signing_key

    settings.REGISTRY_HOME = tmp_path
    ensure_signing_key()
    world.japan.refresh_from_db()
    before = (world.japan.journal_length, Notification.objects.count())
    with pytest.raises(CheckFailed) as failure:
        reconcile.reconcile(world.japan, peer)  # nothing listens on port 9
    assert failure.value.code == 1533
    record = Reconciliation.objects.get()
    assert (record.outcome, record.discrepancies[0]["code"]) == (ReconciliationOutcome.FAILED, 1533)
    world.japan.refresh_from_db()
    assert (world.japan.journal_length, Notification.objects.count()) == before
    results = reconcile.reconcile_due(timezone.now() + dt.timedelta(hours=2))
    assert [(r.registry_id, getattr(x, "code", None)) for r, _, x in results] == [("JPN01", 1533), ("MNG01", 1533)]


def test_the_administrators_notification_lists_each_discrepancy_in_their_language(world):
    stored = [
        {"code": 1540, "params": {"transaction": 5, "registry": "JPN01", "peer": "THA01", "ranges": "JPN01:1-10"}},
        {
            "code": 1543,
            "params": {
                "ranges": "JPN01:3-4",
                "registry": "JPN01",
                "account": "JPN01-000003",
                "peer": "THA01",
                "peer_account": "THA01-000002",
            },
        },
    ]
    params = {"registry": "JPN01", "peer": "THA01", "count": 2, "discrepancies": stored}
    with translation.override("en"):
        english = render("reconciliation_discrepancies", params)
    assert "found 2 discrepancies: [1540] Transaction 5 of JPN01 sent serials JPN01:1-10 to THA01" in english
    assert "[1543] Serials JPN01:3-4 are held both in JPN01 (account JPN01-000003) and in THA01 (account THA01-000002)." in english
    with translation.override("ja"):
        japanese = render("reconciliation_discrepancies", params)
    assert "[1540]" in japanese and "[1543]" in japanese and "Transaction" not in japanese and "registry reconcile --peer THA01" in japanese
