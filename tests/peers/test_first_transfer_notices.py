# ruff: noqa: F811 (the fixtures of tests/peers/test_protocol.py, imported)
"""The first-transfer notice inside one installation: MNG01 as the authorising registry answering a
peer's signed notice (the peer's side played by a key of the test), and as the using registry
whose cancellation of another Party's ITMOs puts a notice in its outbox or is refused 1517.
Two real installations: tests/peers/test_first_transfer_at_use.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.article6.aef import build_annual_information
from registry.article6.models import CorrespondingAdjustment, FirstTransfer
from registry.article6.services import create_authorization
from registry.core import peer_messages as pm
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.peers import worker
from registry.peers.models import NoticeState, OutboundNotice
from registry.peers.notices import resend_notice
from registry.peers.services import peer_account, remove_peer
from registry.transactions.services import cancel_units, issue_units, transfer_externally
from registry.verification.ledger import verify
from tests.peers.test_protocol import (  # noqa: F401
    THA,
    THAI_AUTHORIZATION,
    fake_peer,
    opened_answer,
    peered,
    post,
    proposal,
    signed,
    thai_block,
)


@pytest.fixture
def sent_abroad(peered, fake_peer):
    """Mongolia's 100 ITMOs for OIMP, first transferred at use or cancellation; 1-40 sent to THA01."""
    letter = create_authorization(
        peered.admin_mn,
        peered.mongolia,
        identifier="MN-OIMP-1",
        date=dt.date(2025, 1, 10),
        cooperative_approach=peered.approach,
        purposes="OIMP",
        oimp_purposes="CORSIA",
        first_transfer_definition="use_or_cancellation",
        document_reference="Letter",
    )
    issue_units(
        actor=peered.admin_mn,
        account=peered.seller,
        project=peered.project_mn,
        unit_type=peered.jcm,
        vintage=2024,
        quantity=100,
        first_transferring_party=peered.party_mn,
        authorization=letter,
    )
    to = peer_account(peered.mongolia, "THA01-000003")
    transfer_externally(actor=peered.admin_mn, from_account=peered.seller, to_account=to, ranges=[("MNG01", SerialRange(1, 40))])
    assert worker.run_once().completed
    assert not FirstTransfer.objects.exists()  # not at the international transfer
    return peered


def noticed(start: int, end: int, authorization: str = "MN-OIMP-1", **more) -> dict:
    block = {
        "originating_registry": "MNG01",
        "start": start,
        "end": end,
        "unit_type": "JCM",
        "project": "MN001",
        "vintage": 2024,
        "cooperative_approach": "CA0001",
        "authorization": authorization,
        "identifier": f"CA0001-MNG01-MNG-{start}-{end}-2024",
    }
    return block | more


def notice(*blocks: dict, number: int = 77, used_at: dt.datetime | None = None) -> dict:
    return {
        "notice": number,
        "used_at": (used_at or timezone.now() - dt.timedelta(minutes=1)).isoformat(),
        "use": "cancellation",
        "using_account": "THA01-000003",
        "using_party": "THA",
        "oimp_purpose": "CORSIA",
        "blocks": list(blocks),
    }


def answer_to(payload: dict):
    status, body = post(signed("first_transfer_notice", payload))
    assert status == 200
    return body, opened_answer(body, None)


def test_a_notice_records_the_first_transfer_once_dated_at_the_use_and_a_copy_gets_the_same_answer(sent_abroad):
    used_at = timezone.now() - dt.timedelta(minutes=2)
    payload = notice(noticed(1, 10), used_at=used_at)
    _, answer = answer_to(payload)
    assert answer.outcome == "accepted" and len(answer.result["first_transfers"]) == 1
    [first] = FirstTransfer.objects.all()
    assert (first.originating_registry, first.start, first.end, first.first_transferring_party.alpha3, first.at) == (
        "MNG01",
        1,
        10,
        "MNG",
        used_at,
    )
    assert list(CorrespondingAdjustment.objects.values_list("party__alpha3", "kind", "vintage", "quantity")) == [
        ("MNG", "first_transfer", 2024, 10)
    ]
    _, again = answer_to(payload)  # the same notice, in a new message: the same first transfers
    assert again.result == answer.result and FirstTransfer.objects.count() == 1
    rows = [r for r in build_annual_information(sent_abroad.mongolia, used_at.year).actions if r["Action type"] == "First transfer"]
    assert [(r["Action subtype"], r["First unit ID"], r["Last unit ID"]) for r in rows] == [("Use or cancellation", 1, 10)]
    assert verify().ok, verify().problems


def test_units_never_sent_to_a_peer_are_refused_with_1518(sent_abroad):
    _, answer = answer_to(notice(noticed(50, 60)))
    assert (answer.outcome, answer.codes) == ("refused", (1518,)) and answer.parameters[0]["ranges"] == "MNG01 50-60"
    assert not FirstTransfer.objects.exists()


def test_an_authorisation_with_another_first_transfer_moment_is_refused_with_1519(sent_abroad):
    create_authorization(
        sent_abroad.admin_mn,
        sent_abroad.mongolia,
        identifier="MN-NDC-1",
        date=dt.date(2025, 1, 10),
        cooperative_approach=sent_abroad.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter",
    )
    _, answer = answer_to(notice(noticed(1, 10, authorization="MN-NDC-1")))
    assert answer.codes == (1519,)
    _, unknown = answer_to(notice(noticed(1, 10, authorization="MN-NOPE")))
    assert unknown.codes == (1519,)


def test_units_first_transferred_already_are_refused_with_6006_and_nothing_is_recorded_twice(sent_abroad):
    answer_to(notice(noticed(1, 10)))
    _, answer = answer_to(notice(noticed(5, 15), number=78))
    assert answer.codes == (6006,)
    assert FirstTransfer.objects.count() == 1 and verify().ok


def test_a_malformed_notice_is_refused_with_1507(sent_abroad):
    _, answer = answer_to(notice(noticed(1, 10)) | {"use": "retirement"})
    assert answer.codes == (1507,)


# The using registry ---------------------------------------------------------------------------------


def signed_in_page(user) -> str:
    from django.test import Client

    from tests.factories import sign_in

    client = Client()
    sign_in(client, user)
    return client.get("/app/peers/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()


@pytest.fixture
def thai_oimp_itmos(peered):
    """MNG01's account holding THA01's ITMOs for OIMP, first transferred at use or cancellation."""
    open_account(peered.admin_mn, peered.mongolia, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
    thai = THAI_AUTHORIZATION | {
        "identifier": "TH-OIMP-1",
        "purposes": "OIMP",
        "oimp_purposes": "CORSIA",
        "first_transfer_definition": "use_or_cancellation",
    }
    payload = proposal(peered.buyer.number, thai_block(101, 130, authorization="TH-OIMP-1", first_transferred=False)) | {
        "authorizations": [thai]
    }
    _, answer = post(signed("transfer_proposal", payload))
    assert opened_answer(answer, None).outcome == "accepted"
    return peered


def test_cancelling_another_partys_itmos_for_oimp_puts_a_notice_to_its_registry_in_the_outbox(thai_oimp_itmos, monkeypatch):
    received = []

    def thailand(peer, message):  # THA01's registry records the first transfer and says so, signed
        received.append(message)
        envelope = pm.parse_envelope(message["body"])
        answer = pm.accepted(envelope.message_id, {"notice": envelope.payload["notice"], "first_transfers": [3]})
        ack = pm.new_envelope("THA01", envelope.sender, "ack", answer.as_payload(), timezone.now())
        return 200, json.dumps(pm.sign_message(ack, THA)).encode()

    monkeypatch.setattr(worker, "post", thailand)
    tx = cancel_units(actor=thai_oimp_itmos.admin_mn, account=thai_oimp_itmos.buyer, kind="oimp", oimp_purpose="CORSIA", quantity=10)
    [sent] = OutboundNotice.objects.all()
    assert (sent.transaction, sent.peer.registry_id, sent.state) == (tx, "THA01", NoticeState.PENDING)
    assert sent.payload["notice"] == tx.pk and [(b["start"], b["end"], b["authorization"]) for b in sent.payload["blocks"]] == [
        (101, 110, "TH-OIMP-1")
    ]
    assert not FirstTransfer.objects.exists()  # Thailand's to record, never ours
    page = signed_in_page(thai_oimp_itmos.root)
    assert "承認した締約国の登録簿がまだ記録していない初回移転通知" in page and str(tx) in page and "ピアの回答待ち" in page
    assert worker.run_once().notices == [sent.pk]
    sent.refresh_from_db()
    assert sent.state == NoticeState.RECORDED and [m["body"]["kind"] for m in received] == ["first_transfer_notice"]
    assert worker.run_once().sent == 0  # recorded: nothing more to send
    assert "すべての初回移転通知が記録済みです。" in signed_in_page(thai_oimp_itmos.root)
    assert verify().ok, verify().problems


def test_without_the_authorising_registry_as_a_peer_the_use_is_refused_with_1517(thai_oimp_itmos, unchanged):
    remove_peer(thai_oimp_itmos.root, "THA01")
    with pytest.raises(CheckFailed) as refused:
        cancel_units(actor=thai_oimp_itmos.admin_mn, account=thai_oimp_itmos.buyer, kind="oimp", oimp_purpose="CORSIA", quantity=10)
    assert refused.value.code == 1517 and "THA01" in refused.value.message
    assert not OutboundNotice.objects.exists()


# A notice that ends unrecorded: the administrators are told, and it may be sent again ------------------


def thailand_answers(monkeypatch, refusal=None, status=200):
    """THA01's registry: records each notice, refuses it with ``refusal``, or answers HTTP ``status``."""
    received = []

    def thailand(peer, message):
        received.append(message)
        if status != 200:
            return status, b"unavailable"
        envelope = pm.parse_envelope(message["body"])
        if refusal is None:
            answer = pm.accepted(envelope.message_id, {"notice": envelope.payload["notice"], "first_transfers": [3]})
        else:
            answer = pm.refused(envelope.message_id, refusal)
        ack = pm.new_envelope("THA01", envelope.sender, "ack", answer.as_payload(), timezone.now())
        return 200, json.dumps(pm.sign_message(ack, THA)).encode()

    monkeypatch.setattr(worker, "post", thailand)
    return received


def told(user, language: str) -> str:
    from django.utils import translation

    from registry.notifications.messages import render
    from registry.notifications.models import Notification

    [notification] = Notification.objects.filter(user=user, kind="peer_notice_not_recorded")
    with translation.override(language):
        return render(notification.kind, notification.params)


def peers_page(client, **post) -> str:
    response = client.post("/app/peers/", post, HTTP_ACCEPT_LANGUAGE="ja") if post else client.get("/app/peers/", HTTP_ACCEPT_LANGUAGE="ja")
    return response.content.decode()


def test_a_notice_refused_for_good_tells_the_administrators_in_both_languages_and_may_be_sent_again(
    thai_oimp_itmos, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    from django.test import Client

    from tests.factories import sign_in

    world = thai_oimp_itmos
    world.admin_mn.email, world.root.email = "admin@mn.example", "root@example"
    world.admin_mn.save(), world.root.save()
    ranges = "THA01 101-110"
    thailand_answers(monkeypatch, refusal=CheckFailed(Check.PEER_NOTICE_UNITS_NOT_SENT, ranges=ranges, registry="THA01"))
    tx = cancel_units(actor=world.admin_mn, account=world.buyer, kind="oimp", oimp_purpose="CORSIA", quantity=10)
    [notice] = OutboundNotice.objects.all()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails go when the refusal commits
        assert worker.run_once().notices == [notice.pk]
    notice.refresh_from_db()
    assert notice.state == NoticeState.REFUSED and notice.not_recorded["code"] == 1520
    for user in (world.admin_mn, world.root):  # MNG01's administrators, and the installation's (who may resend)
        english, japanese = told(user, "en"), told(user, "ja")
        assert f"Peer registry THA01 has not recorded the first transfer of the units that transaction {tx.pk} of registry MNG01" in english
        assert "[1520] Peer registry THA01 refused the first-transfer notice" in english and "[1518] Units THA01 101-110" in english
        assert "send the notice again on the Peer registries page of the menu" in english
        assert f"ピア登録簿 THA01 は、登録簿 MNG01 の取引 {tx.pk} が取り消したユニットの初回移転を記録していません" in japanese
        assert "[1520] ピア登録簿 THA01 はチェック 1518" in japanese and "[1518] ユニット THA01 101-110 は登録簿 THA01" in japanese
        assert "メニューの「ピア登録簿」ページから通知を再送" in japanese
    mails = {m.to[0]: m.body for m in mailoutbox}
    assert set(mails) == {"admin@mn.example", "root@example"}
    assert "[1520]" in mails["admin@mn.example"] and "ピア登録簿 THA01 は" in mails["admin@mn.example"]
    assert worker.run_once().sent == 0  # refused: not sent any more

    client = Client()
    sign_in(client, world.root)
    page = peers_page(client)
    assert "ピアが拒否" in page and "[1520] ピア登録簿 THA01 はチェック 1518" in page and "再送する" in page
    preview = peers_page(client, action="resend", notice=notice.pk)
    assert f"取引 {tx.pk} の初回移転通知を、新たに署名して" in preview and OutboundNotice.objects.get().state == NoticeState.REFUSED
    thailand_answers(monkeypatch)  # the administrators agreed: THA01 records it now
    peers_page(client, action="resend", notice=notice.pk, confirmed="yes")
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.not_recorded) == (NoticeState.PENDING, 0, {})
    assert worker.run_once().notices == [notice.pk]
    assert OutboundNotice.objects.get().state == NoticeState.RECORDED
    with pytest.raises(CheckFailed) as again:  # recorded: nothing to send again
        resend_notice(world.root, notice.pk)
    assert again.value.code == 1522
    assert verify().ok, verify().problems


def test_a_notice_without_an_answer_is_given_up_after_its_attempts_and_the_administrators_are_told(thai_oimp_itmos, monkeypatch, settings):
    from registry.access.models import OperationLog

    settings.REGISTRY_PEER_NOTICE_ATTEMPTS = 3
    world = thai_oimp_itmos
    received = thailand_answers(monkeypatch, status=503)
    tx = cancel_units(actor=world.admin_mn, account=world.buyer, kind="oimp", oimp_purpose="CORSIA", quantity=10)
    [notice] = OutboundNotice.objects.all()
    moment = timezone.now()
    for _ in range(2):
        assert worker.run_once(moment).notices == []
        notice.refresh_from_db()
        assert notice.state == NoticeState.PENDING
        moment = notice.next_attempt_at
    assert worker.run_once(moment).notices == [notice.pk]  # the third attempt without an answer
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.not_recorded["code"]) == (NoticeState.GIVEN_UP, 3, 1521)
    assert len(received) == 3 and worker.run_once(moment + dt.timedelta(hours=1)).sent == 0
    assert OperationLog.objects.filter(outcome__startswith="given_up 1521 after 3 attempts").count() == 1
    assert OperationLog.objects.filter(outcome__startswith="no answer, attempt").count() == 3  # each attempt, as a transfer's
    english, japanese = told(world.admin_mn, "en"), told(world.admin_mn, "ja")
    assert f"[1521] Peer registry THA01 gave no answer to the first-transfer notice of transaction {tx.pk} in 3 attempts" in english
    assert f"[1521] ピア登録簿 THA01 は取引 {tx.pk} の初回移転通知に 3 回の送信で一度も回答しなかった" in japanese
    assert "回答がなく送信を断念" in signed_in_page(world.root)
    resend_notice(world.root, notice.pk)
    with pytest.raises(CheckFailed) as pending:  # pending again: sent by the worker, not twice by hand
        resend_notice(world.root, notice.pk)
    assert pending.value.code == 1522 and "THA01" in pending.value.message
    assert verify().ok, verify().problems
