"""The peer protocol inside one installation: the endpoint receiving a peer's signed messages (the
peer's side played by a key of the test), and the sending side's outbox, worker and settlement
(the peer's answers signed by that key). Two real installations: tests/peers/test_two_servers.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from registry.access.models import Operation, OperationLog
from registry.accounts.models import AccountStatus, AccountType
from registry.article6.aef import build_annual_information
from registry.article6.models import Authorization, FirstTransfer
from registry.article6.services import create_authorization
from registry.core import peer_messages as pm
from registry.core.checks import CheckFailed
from registry.journal.models import JournalEntry
from registry.peers import keys, worker
from registry.peers.models import InboundState, InboundTransfer, OutboundState, OutboundTransfer
from registry.peers.services import add_peer, peer_account
from registry.transactions.models import Transaction, TransactionStatus, TransactionType
from registry.transactions.services import cancel_transaction, transfer_externally
from registry.units.models import UnitBlock
from registry.verification.ledger import verify

THA = Ed25519PrivateKey.generate()


@pytest.fixture
def peered(world, tmp_path, settings):
    settings.REGISTRY_HOME = tmp_path
    keys.ensure_signing_key()
    root = get_user_model().objects.create_superuser(username="root", password=None)
    add_peer(root, "THA01", "http://127.0.0.1:9", pm.public_key_text(THA.public_key()))
    world.root = root
    return world


def signed(kind: str, payload: dict, *, receiver: str = "MNG01", key=THA, now=None, sender: str = "THA01") -> dict:
    return pm.sign_message(pm.new_envelope(sender, receiver, kind, payload, now or timezone.now()), key)


def post(message: object) -> tuple[int, dict]:
    response = Client(enforce_csrf_checks=True).post("/api/v1/peer/", data=json.dumps(message), content_type="application/json")
    return response.status_code, response.json()


def thai_block(start: int, end: int, **more) -> dict:
    block = {
        "originating_registry": "THA01",
        "start": start,
        "end": end,
        "unit_type": "JCM",
        "programme": "JCM",
        "project": "TH001",
        "project_name": "Solar in Khon Kaen",
        "host_party": "THA",
        "vintage": 2024,
        "cooperative_approach": "CA0001",
        "first_transferring_party": "THA",
        "issuance": 9,
        "authorization": "TH-2025-001",
        "first_transferred": True,
        "identifier": f"CA0001-THA01-THA-{start}-{end}-2024",
    }
    return block | more


THAI_AUTHORIZATION = {
    "identifier": "TH-2025-001",
    "version": 1,
    "party": "THA",
    "date": "2025-03-01",
    "cooperative_approach": "CA0001",
    "purposes": "NDC",
    "oimp_purposes": "",
    "first_transfer_definition": "first_international_transfer",
    "document_reference": "Letter of Thailand",
}


def proposal(account: str, *blocks: dict, transfer: int = 41) -> dict:
    return {
        "transfer": transfer,
        "transferring_account": "THA01-000007",
        "acquiring_account": account,
        "quantity": sum(b["end"] - b["start"] + 1 for b in blocks),
        "blocks": list(blocks),
        "authorizations": [THAI_AUTHORIZATION],
    }


def opened_answer(body: dict, our_key_pem_home) -> pm.Answer:
    envelope = pm.parse_envelope(body["body"])
    assert envelope.kind == "ack" and envelope.sender == "MNG01" and envelope.receiver == "THA01"
    opened = pm.open_message(
        body, peer_keys={"MNG01": keys.signing_key().public_key()}, hosted={"THA01"}, now=timezone.now(), seen=lambda _: False
    )
    return pm.Answer(**{k: (tuple(v) if k == "codes" else v) for k, v in opened.payload.items()})


# The receiving side ---------------------------------------------------------------------------------


def test_a_proposal_is_acquired_once_with_its_serials_and_a_copy_gets_the_same_signed_answer(peered):
    message = signed("transfer_proposal", proposal(peered.buyer.number, thai_block(101, 130), thai_block(200, 209)))
    status, body = post(message)
    assert status == 200
    answer = opened_answer(body, None)
    assert answer.outcome == "accepted" and answer.result["transfer"] == 41
    acquisition = Transaction.objects.get(pk=answer.result["acquisition"])
    assert (acquisition.type, acquisition.status, acquisition.quantity) == (TransactionType.ACQUISITION, "completed", 40)
    assert acquisition.from_account.number == "THA01-000007" and acquisition.from_account.type == AccountType.PEER
    held = list(UnitBlock.objects.filter(account=peered.buyer).values_list("originating_registry", "start", "end", "first_transferred"))
    assert held == [("THA01", 101, 130, True), ("THA01", 200, 209, True)]
    assert JournalEntry.objects.filter(registry=peered.mongolia, transaction=acquisition).count() == 1
    # Thailand's authorisation is held here as Thailand's: journaled, never reported as Mongolia's.
    thai = Authorization.objects.get(identifier="TH-2025-001")
    assert (thai.registry, thai.authorizing_party.alpha3, thai.purposes) == (peered.mongolia, "THA", "NDC")
    assert set(UnitBlock.objects.filter(account=peered.buyer).values_list("authorization", flat=True)) == {thai.pk}
    report = build_annual_information(peered.mongolia, timezone.now().year)
    assert [r["Action type"] for r in report.actions] == ["Acquisition", "Acquisition"]
    assert {r["Transferring participating Party ID"] for r in report.actions} == {"THA"}
    assert "TH-2025-001" not in str(report.authorizations)
    assert verify().ok, verify().problems
    again = post(message)
    assert again == (200, body)  # the first answer, byte for byte: nothing acquired twice
    assert UnitBlock.objects.filter(account=peered.buyer).count() == 2
    log = OperationLog.objects.filter(action=Operation.PEER_MESSAGE_RECEIVED).order_by("pk")
    assert [e.outcome for e in log] == ["accepted", "duplicate: the first answer again"]


def test_the_same_id_with_another_body_is_refused_with_1504(peered):
    message = signed("ping", {})
    assert post(message)[0] == 200
    other = json.loads(json.dumps(message))
    other["body"]["payload"] = {"x": 1}
    other["signature"] = pm.sign_message(pm.parse_envelope(other["body"]), THA)["signature"]
    status, problem = post(other)
    assert (status, problem["code"]) == (409, 1504)


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        (lambda m: m | {"signature": signed("ping", {}, key=Ed25519PrivateKey.generate())["signature"]}, 400, 1502),
        (lambda m: signed("ping", {}, sender="KOR01"), 403, 7504),
        (lambda m: signed("ping", {}, receiver="FRA01"), 400, 1505),
        (lambda m: signed("ping", {}, now=timezone.now() - dt.timedelta(minutes=6)), 400, 1503),
        (lambda m: {"body": m["body"]}, 400, 1501),
    ],
)
def test_envelope_refusals_are_problems_logged_and_change_nothing(peered, tamper, status, code):
    got_status, problem = post(tamper(signed("ping", {})))
    assert (got_status, problem["code"]) == (status, code)
    assert OperationLog.objects.filter(action=Operation.PEER_MESSAGE_RECEIVED, outcome=f"refused {code}").exists()


def test_a_refused_proposal_says_why_signed_and_acquires_nothing(peered):
    peered.buyer.status = AccountStatus.CLOSED
    peered.buyer.save()
    cases = [
        (proposal(peered.buyer.number, thai_block(1, 10), transfer=1), 7104),
        (proposal("MNG01-999999", thai_block(1, 10), transfer=2), 7020),
        (proposal(peered.retirement_mn.number, thai_block(1, 10), transfer=3), 1510),
        (proposal(peered.seller.number, thai_block(1, 10, unit_type="XX"), transfer=4), 1512),
    ]
    for payload, code in cases:
        answer = opened_answer(post(signed("transfer_proposal", payload))[1], None)
        assert (answer.outcome, answer.codes) == ("refused", (code,)), answer
    assert not UnitBlock.objects.filter(originating_registry="THA01").exists()
    assert set(InboundTransfer.objects.values_list("transfer", "state")) == {(n, "refused") for n in (1, 2, 3, 4)}
    bad = opened_answer(post(signed("transfer_proposal", {"transfer": 5}))[1], None)
    assert bad.codes == (1507,)
    unknown = opened_answer(post(signed("lend", {}))[1], None)
    assert unknown.codes == (1506,)
    assert opened_answer(post(signed("holdings_query", {}))[1], None).codes in ((1514,), ())


def test_units_already_here_are_refused_with_1509(peered):
    assert (
        opened_answer(post(signed("transfer_proposal", proposal(peered.buyer.number, thai_block(1, 10), transfer=7)))[1], None).outcome
        == "accepted"
    )
    again = opened_answer(post(signed("transfer_proposal", proposal(peered.seller.number, thai_block(5, 20), transfer=8)))[1], None)
    assert again.codes == (1509,)


def test_touching_blocks_apart_at_the_sender_arrive_as_one_block_and_verify_passes(peered):
    # Apart there (one came back to Thailand by an acquisition, say), alike here: one acquisition.
    message = signed("transfer_proposal", proposal(peered.buyer.number, thai_block(42, 43), thai_block(44, 44, issuance=12), transfer=9))
    assert opened_answer(post(message)[1], None).outcome == "accepted"
    held = list(UnitBlock.objects.filter(account=peered.buyer).values_list("originating_registry", "start", "end"))
    assert held == [("THA01", 42, 44)]
    acquisition = Transaction.objects.get(type=TransactionType.ACQUISITION)
    assert list(acquisition.blocks.order_by("start").values_list("start", "end")) == [(42, 43), (44, 44)]  # as proposed
    assert verify().ok, verify().problems


def test_asking_about_a_transfer_never_proposed_makes_it_void_for_ever(peered):
    state = opened_answer(post(signed("status", {"transfer": 77}))[1], None)
    assert state.outcome == "accepted" and state.result["state"] == "void"
    late = opened_answer(post(signed("transfer_proposal", proposal(peered.buyer.number, thai_block(1, 10), transfer=77)))[1], None)
    assert late.codes == (1508,)
    assert not UnitBlock.objects.filter(originating_registry="THA01").exists()
    assert InboundTransfer.objects.get(transfer=77).state == InboundState.VOID


# The sending side -----------------------------------------------------------------------------------


@pytest.fixture
def itmos(peered):
    authorization = create_authorization(
        peered.admin_mn,
        peered.mongolia,
        identifier="MN-2025-009",
        date=dt.date(2025, 1, 10),
        cooperative_approach=peered.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter",
    )
    from registry.transactions.services import issue_units

    issue_units(
        actor=peered.admin_mn,
        account=peered.seller,
        project=peered.project_mn,
        unit_type=peered.jcm,
        vintage=2024,
        quantity=100,
        first_transferring_party=peered.party_mn,
        authorization=authorization,
    )
    return peered


class FakePeer:
    """THA01's answers, signed with its key: accepted, refused, nothing, or a state."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.reply = "accept"

    def __call__(self, peer, message):
        self.received.append(message)
        envelope = pm.parse_envelope(message["body"])
        if self.reply == "silence":
            raise OSError("connection reset")
        if envelope.kind == "status":
            answer = pm.accepted(envelope.message_id, {"transfer": envelope.payload["transfer"], "state": self.state, "codes": []})
        elif self.reply == "accept":
            answer = pm.accepted(envelope.message_id, {"transfer": envelope.payload["transfer"], "acquisition": 5})
        else:
            answer = pm.refused(envelope.message_id, CheckFailed(pm.Check.ACQUIRING_ACCOUNT_CLOSED, account="THA01-000003"))
        ack = pm.new_envelope("THA01", envelope.sender, "ack", answer.as_payload(), timezone.now())
        return 200, json.dumps(pm.sign_message(ack, THA)).encode()


@pytest.fixture
def fake_peer(monkeypatch):
    peer = FakePeer()
    monkeypatch.setattr(worker, "post", peer)
    return peer


def send(itmos, quantity: int) -> Transaction:
    to = peer_account(itmos.mongolia, "THA01-000003")
    return transfer_externally(actor=itmos.admin_mn, from_account=itmos.seller, to_account=to, quantity=quantity)


def test_an_approved_transfer_to_a_peer_reserves_and_proposes_then_completes_when_accepted(itmos, fake_peer):
    tx = send(itmos, 30)
    tx.refresh_from_db()
    assert (tx.status, tx.completed_at) == (TransactionStatus.PROPOSED, None)
    assert list(UnitBlock.objects.filter(reserved_by=tx).values_list("start", "end")) == [(1, 30)]
    outbound = OutboundTransfer.objects.get(transaction=tx)
    payload = json.loads(outbound.proposal)["body"]["payload"]
    assert payload["blocks"][0]["first_transferred"] is True and payload["blocks"][0]["authorization"] == "MN-2025-009"
    with pytest.raises(CheckFailed) as refused:
        cancel_transaction(actor=itmos.admin_mn, transaction=tx)
    assert refused.value.code == 7508
    done = worker.run_once()
    assert done.completed == [tx.pk]
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.COMPLETED
    assert list(UnitBlock.objects.filter(account=itmos.seller).values_list("start", "end")) == [(31, 100)]
    # Reserved when proposed, then sent: both journaled, in that order.
    assert list(JournalEntry.objects.filter(transaction=tx).order_by("sequence").values_list("kind", flat=True)) == [
        "peer_transfer_reserved",
        "transaction",
    ]
    first = FirstTransfer.objects.get()  # recorded once, here, by the first transferring Party
    assert (first.acquiring_party.alpha3, first.start, first.end) == ("THA", 1, 30)
    assert verify().ok, verify().problems
    assert worker.run_once().sent == 0  # settled: nothing more to send


def test_a_refused_transfer_releases_its_units(itmos, fake_peer):
    fake_peer.reply = "refuse"
    tx = send(itmos, 30)
    assert worker.run_once().released == [tx.pk]
    tx.refresh_from_db()
    assert (tx.status, tx.check_code) == (TransactionStatus.REJECTED, 1515)
    assert list(UnitBlock.objects.filter(account=itmos.seller).values_list("start", "end", "reserved_by")) == [(1, 100, None)]
    assert verify().ok, verify().problems


def test_without_an_answer_the_proposal_is_resent_with_back_off_then_its_state_is_asked(itmos, fake_peer, settings):
    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    outbound = OutboundTransfer.objects.get(transaction=tx)
    start = timezone.now()
    worker.run_once(start)
    outbound.refresh_from_db()
    assert outbound.attempts == 1 and outbound.next_attempt_at == start + dt.timedelta(seconds=5)
    assert worker.run_once(start + dt.timedelta(seconds=1)).sent == 0  # not due yet
    worker.run_once(start + dt.timedelta(seconds=6))
    outbound.refresh_from_db()
    assert outbound.attempts == 2 and outbound.next_attempt_at == start + dt.timedelta(seconds=16)
    assert {json.dumps(m) for m in fake_peer.received} == {outbound.proposal}  # resent unchanged
    # Past the resending time the peer is asked; "void" releases, "accepted" would complete.
    fake_peer.reply, fake_peer.state = "accept", "void"
    later = outbound.ask_after + dt.timedelta(seconds=1)
    OutboundTransfer.objects.filter(pk=outbound.pk).update(next_attempt_at=later)
    assert worker.run_once(later).released == [tx.pk]
    assert pm.parse_envelope(fake_peer.received[-1]["body"]).kind == "status"
    assert OutboundTransfer.objects.get(pk=outbound.pk).state == OutboundState.RELEASED
    assert verify().ok, verify().problems


def test_the_endpoint_is_rate_limited_per_address(peered, settings):
    settings.REGISTRY_PEER_RATE = "2/60"
    assert [post(signed("ping", {}))[0] for _ in range(3)] == [200, 200, 429]


def test_a_representatives_transfer_to_a_peer_takes_four_eyes_and_the_untrusted_delay_before_it_is_proposed(itmos, fake_peer):
    from registry.access.services import grant_right
    from registry.transactions.services import approve_transaction, complete_due_transactions, propose_movement
    from tests.factories import make_user

    proposer, approver = make_user("bat"), make_user("oyun")
    grant_right(itmos.admin_mn, itmos.seller, proposer, "initiate")
    grant_right(itmos.admin_mn, itmos.seller, approver, "approve")
    peer_account(itmos.mongolia, "THA01-000003")
    tx = propose_movement(
        actor=proposer, kind="external_transfer", from_account=itmos.seller, to_account_number="THA01-000003", quantity=20
    )
    assert tx.status == TransactionStatus.AWAITING_APPROVAL and not OutboundTransfer.objects.exists()
    with pytest.raises(CheckFailed) as same:
        approve_transaction(actor=proposer, transaction=tx)
    assert same.value.code == 2003
    approve_transaction(actor=approver, transaction=tx)
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.DELAYED and not OutboundTransfer.objects.exists()  # not on the trusted list: 26 hours
    due = tx.execute_after + dt.timedelta(seconds=1)
    assert complete_due_transactions(due) == []  # handed to the peer, not completed
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.PROPOSED and OutboundTransfer.objects.get().transaction == tx
    assert worker.run_once(due).completed == [tx.pk]
    assert verify().ok, verify().problems


def test_a_peer_account_takes_only_external_transfers(itmos):
    from registry.transactions.services import transfer_units

    with pytest.raises(CheckFailed) as refused:
        transfer_units(actor=itmos.admin_mn, from_account=itmos.seller, to_account=peer_account(itmos.mongolia, "THA01-000003"), quantity=1)
    assert refused.value.code == 7507
    with pytest.raises(CheckFailed) as malformed:
        peer_account(itmos.mongolia, "THA01-7x")
    assert malformed.value.code == 7506


def test_the_peers_page_lists_transfers_waiting_for_an_answer(itmos, fake_peer):
    from tests.factories import sign_in

    fake_peer.reply = "silence"
    tx = send(itmos, 30)
    worker.run_once()
    client = Client()
    sign_in(client, itmos.root)
    page = client.get("/app/peers/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "ピアの回答を待っている移転" in page and str(tx) in page and "THA01" in page


def test_a_project_or_authorisation_known_here_otherwise_is_refused_with_1511_or_1516(itmos):
    clash = thai_block(1, 10, project="MN001")  # Mongolia's project here, hosted by Mongolia, not Thailand
    assert opened_answer(post(signed("transfer_proposal", proposal(itmos.buyer.number, clash, transfer=1)))[1], None).codes == (1511,)
    taken = proposal(itmos.buyer.number, thai_block(1, 10, authorization="MN-2025-009"), transfer=2)
    taken["authorizations"] = [THAI_AUTHORIZATION | {"identifier": "MN-2025-009"}]  # Mongolia's own authorisation's id
    assert opened_answer(post(signed("transfer_proposal", taken))[1], None).codes == (1516,)
    assert not UnitBlock.objects.filter(originating_registry="THA01").exists()


def test_an_answer_that_does_not_verify_settles_nothing_1513(itmos, fake_peer, monkeypatch):
    tx = send(itmos, 30)

    def forged(peer, message):
        status, body = fake_peer(peer, message)
        answer = json.loads(body)
        answer["body"]["payload"]["outcome"] = "refused"  # tampered on the way: the signature no longer verifies
        return status, json.dumps(answer).encode()

    monkeypatch.setattr(worker, "post", forged)
    assert worker.run_once().failed == 1
    outbound = OutboundTransfer.objects.get(transaction=tx)
    assert outbound.state == OutboundState.PROPOSED and "[1513]" in outbound.last_error and "1502" in outbound.last_error
    assert UnitBlock.objects.filter(reserved_by=tx).exists()


def test_on_the_api_a_peer_account_is_a_destination_and_may_be_trusted(itmos):
    from registry.access.services import grant_right
    from registry.api.tokens import create_token
    from tests.factories import make_user

    initiator = make_user("erp-user")
    grant_right(itmos.admin_mn, itmos.seller, initiator, "initiate")
    secret = create_token(initiator, "erp", "write")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"kind": "external_transfer", "from_account": itmos.seller.number, "to_account": "THA01-000003", "quantity": 5}
    proposed = client.post("/api/v1/transactions", data=json.dumps(body), content_type="application/json")
    assert proposed.status_code == 201, proposed.content
    assert (proposed.json()["status"], proposed.json()["to_account"]) == ("awaiting_approval", "THA01-000003")
    trusted = client.post(
        f"/api/v1/accounts/{itmos.seller.number}/trusted", data=json.dumps({"account": "THA01-000003"}), content_type="application/json"
    )
    assert trusted.status_code == 201, trusted.content
    unknown = dict(body, to_account="KOR01-000003")  # no such peer, no such registry here
    assert client.post("/api/v1/transactions", data=json.dumps(unknown), content_type="application/json").json()["code"] == 7020
