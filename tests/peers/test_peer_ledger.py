# ruff: noqa: F811 (the fixtures of tests/peers/test_protocol.py, imported)
"""A transfer to a peer registry in the journal: the reservation when its proposal goes into the
outbox and the release on a signed refusal or void are typed journal entries that ``verify``
replays and proves; a peer's refusal reads in the reader's language from this registry's catalogue."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from registry.core import entries
from registry.journal.models import JournalEntry
from registry.peers import worker
from registry.peers.models import OutboundState, OutboundTransfer
from registry.peers.services import peer_account
from registry.refusals import kept_refusal_message
from registry.transactions.models import Transaction, TransactionStatus
from registry.units.models import UnitBlock
from registry.verification.ledger import verify
from tests.peers.test_protocol import fake_peer, itmos, peered, send  # noqa: F401


def journaled(tx: Transaction) -> list[entries.Entry]:
    bodies = JournalEntry.objects.filter(transaction=tx).order_by("sequence").values_list("body", flat=True)
    return [entries.parse_body(b).entry for b in bodies]


def problems() -> str:
    report = verify()
    assert not report.ok, "verify did not notice the tampering"
    return "\n".join(report.problems)


def test_the_reservation_of_a_proposed_transfer_is_journaled_with_its_serials_and_proposal(itmos, fake_peer):
    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    [reserved] = journaled(tx)
    outbound = OutboundTransfer.objects.get(transaction=tx)
    assert reserved == entries.PeerTransferReserved(
        tx.pk, itmos.seller.number, "THA01-000003", "THA01", outbound.proposal_id, (entries.Span("MNG01", 1, 30),)
    )
    assert verify().ok, verify().problems


def test_a_signed_refusal_journals_the_release_with_the_peers_codes(itmos, fake_peer):
    fake_peer.reply = "refuse"
    tx = send(itmos, 30)
    worker.run_once()
    reserved, released = journaled(tx)
    assert released == entries.PeerTransferReleased(tx.pk, "THA01", "refused", (7104,), reserved.ranges)
    assert list(UnitBlock.objects.filter(account=itmos.seller).values_list("start", "end", "reserved_by")) == [(1, 100, None)]
    assert verify().ok, verify().problems


def test_a_void_after_a_status_question_journals_the_release(itmos, fake_peer, settings):
    settings.REGISTRY_PEER_RESEND_SECONDS = 0  # ask for the state at once
    fake_peer.state = "void"
    tx = send(itmos, 30)
    assert worker.run_once().released == [tx.pk]
    _, released = journaled(tx)
    assert (released.outcome, released.codes) == ("void", (1508,))
    assert verify().ok, verify().problems


def test_verify_names_a_proposed_transfer_marked_rejected_behind_the_services(itmos, fake_peer):
    """Units taken back while the peer may already hold them: on both sides."""
    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    Transaction.objects.filter(pk=tx.pk).update(status=TransactionStatus.REJECTED)
    UnitBlock.objects.filter(reserved_by=tx).update(reserved_by=None)
    found = problems()
    assert f"transaction {tx.pk} is rejected, the journal says it is proposed to THA01" in found
    assert f"transaction {tx.pk} reserves nothing, the journal reserved MNG01 1-30 in {itmos.seller.number}" in found


def test_verify_names_a_reserved_block_released_behind_the_services(itmos, fake_peer):
    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    UnitBlock.objects.filter(reserved_by=tx).update(reserved_by=None)
    assert f"transaction {tx.pk} reserves nothing, the journal reserved MNG01 1-30" in problems()


def test_verify_names_a_reservation_moved_to_other_units_of_the_same_size(itmos, fake_peer):
    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    # 1-30 reserved, 31-100 free: swap which 30 units the reservation holds.
    UnitBlock.objects.filter(reserved_by=tx).update(start=1001, end=1030)
    UnitBlock.objects.filter(account=itmos.seller, reserved_by=None).update(start=1, end=70)
    UnitBlock.objects.filter(reserved_by=tx).update(start=71, end=100)
    assert f"transaction {tx.pk} reserves MNG01 71-100 in {itmos.seller.number}, the journal reserved MNG01 1-30" in problems()


def test_verify_names_a_transfer_redirected_to_another_peer_account(itmos, fake_peer):
    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    other = peer_account(itmos.mongolia, "THA01-000099")
    Transaction.objects.filter(pk=tx.pk).update(to_account=other)
    assert f"transaction {tx.pk} is from {itmos.seller.number} to THA01-000099, the journal says from" in problems()


def test_verify_names_a_released_transfer_put_back_to_proposed(itmos, fake_peer):
    fake_peer.reply = "refuse"
    tx = send(itmos, 30)
    worker.run_once()
    Transaction.objects.filter(pk=tx.pk).update(status=TransactionStatus.PROPOSED)
    OutboundTransfer.objects.filter(transaction=tx).update(state=OutboundState.PROPOSED)
    found = problems()
    assert f"transaction {tx.pk} is proposed, the journal says THA01 refused it" in found
    assert f"the outbox says transaction {tx.pk} is proposed, the journal says released" in found


def test_verify_names_a_transfer_proposed_without_a_journaled_reservation(itmos, fake_peer):
    fake_peer.reply = "refuse"
    tx = send(itmos, 30)
    worker.run_once()
    again = Transaction.objects.create(
        registry=tx.registry,
        type=tx.type,
        status=TransactionStatus.PROPOSED,
        from_account=tx.from_account,
        to_account=tx.to_account,
        quantity=0,
        created_at=tx.created_at,
    )
    assert f"transaction {again.pk} is proposed to a peer registry, but the journal reserved nothing for it" in problems()


def test_replay_refuses_a_movement_of_units_reserved_for_a_peer():
    import datetime as dt

    from registry.core.ledger import LedgerConflict
    from registry.journal.replay import Replay

    replay = Replay()
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    block = entries.JournalBlock("MNG01", 1, 100, "JCM", "MN001", 2024, None, None, 1, None, False)
    replay.apply(entries.Recorded("MNG01", 1, at, entries.Issuance(1, None, "MNG01-000007", (block,))))
    span = (entries.Span("MNG01", 1, 30),)
    replay.apply(entries.Recorded("MNG01", 2, at, entries.PeerTransferReserved(2, "MNG01-000007", "THA01-000003", "THA01", "m", span)))
    moved = entries.InternalTransfer(3, None, None, "MNG01-000007", "MNG01-000001", (entries.Span("MNG01", 20, 40),))
    with pytest.raises(LedgerConflict, match="reserved for transaction 2"):
        replay.apply(entries.Recorded("MNG01", 3, at, moved))
    with pytest.raises(LedgerConflict, match="never reserved"):
        replay.apply(entries.Recorded("MNG01", 3, at, entries.PeerTransferReleased(9, "THA01", "refused", (7104,), span)))


# The refusal in the reader's language ----------------------------------------------------------------


def test_a_peers_refusal_is_worded_from_our_catalogue_in_english_and_japanese_with_the_peers_words_beside(itmos, fake_peer):
    fake_peer.reply = "refuse"
    tx = send(itmos, 30)
    worker.run_once()
    tx.refresh_from_db()
    assert tx.check_code == 1515 and json.loads(tx.check_params["checks"]) == [{"code": 7104, "params": {"account": "THA01-000003"}}]
    with translation.override("en"):
        english = kept_refusal_message(tx.check_code, tx.check_params, tx.check_message)
    with translation.override("ja"):
        japanese = kept_refusal_message(tx.check_code, tx.check_params, tx.check_message)
    assert english.startswith(
        "[1515] Peer registry THA01 refused the transfer with check 7104: [7104] Acquiring account THA01-000003 is closed"
    )
    assert "In its own words: Acquiring account THA01-000003 is closed" in english
    assert "THA01-000003" in japanese and "7104" in japanese
    assert "Peer registry" not in japanese and "refused the transfer" not in japanese
    # the Japanese wording of 7103 itself, from our catalogue; the peer's English only beside it
    with translation.override("ja"):
        from registry.core.checks import Check, CheckFailed
        from registry.refusals import refusal_message

        ours = refusal_message(CheckFailed(Check.ACQUIRING_ACCOUNT_CLOSED, account="THA01-000003"))
    assert ours in japanese and japanese.index(ours) < japanese.index("Acquiring account THA01-000003 is closed")


def test_a_code_we_do_not_know_says_so_in_the_readers_language_never_a_raw_key(itmos, fake_peer, monkeypatch):
    from registry.core import peer_messages as pm
    from registry.peers.transfers import peer_refusal

    answer = pm.Answer("m", pm.REFUSED, (9999,), "Ledger closed for audit", {}, ({"x": 1},))
    codes, failure = peer_refusal("THA01", answer)
    assert codes == (9999,)
    params = {k: v for k, v in failure.params.items()}
    with translation.override("ja"):
        japanese = kept_refusal_message(1515, params, failure.message)
    assert "9999" in japanese and "Ledger closed for audit" in japanese and "%(" not in japanese and "{" not in japanese
    assert "a check this registry does not know" not in japanese and "この登録簿が知らないチェック" in japanese


def test_the_transaction_page_shows_a_peers_refusal_in_japanese(itmos, fake_peer):
    from tests.factories import sign_in

    fake_peer.reply = "refuse"
    tx = send(itmos, 30)
    worker.run_once()
    client = Client()
    sign_in(client, itmos.admin_mn)
    page = client.get(f"/app/transactions/{tx.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    with translation.override("ja"):
        tx.refresh_from_db()
        expected = kept_refusal_message(tx.check_code, tx.check_params, tx.check_message)
    from django.utils.html import escape

    assert escape(expected) in page
    assert "refused the transfer with check" not in page


def test_the_history_export_leaves_out_the_state_of_transfers_still_with_the_peer(itmos, fake_peer):
    import io

    from registry.interchange.export import export_history

    fake_peer.reply = "refuse"
    send(itmos, 10)
    worker.run_once()
    fake_peer.reply = "silence"
    send(itmos, 20)
    out = io.StringIO()
    export_history(itmos.mongolia, out)
    kinds = [json.loads(line)["record"] for line in out.getvalue().splitlines()]
    assert "transaction" in kinds and not [k for k in kinds if k.startswith("peer_transfer")]
    assert JournalEntry.objects.filter(kind__startswith="peer_transfer").count() == 3
