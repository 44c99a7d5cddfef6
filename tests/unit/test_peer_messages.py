"""The signed envelope of peer messages: a message opens only unchanged, from its registered key, in
its time window, to a registry hosted here, and once (docs/interoperability.md)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.core.checks import CheckFailed
from registry.core.peer_messages import (
    DEFAULT_WINDOW,
    Envelope,
    new_envelope,
    open_message,
    parse_public_key,
    public_key_text,
    sign_message,
)

NOW = dt.datetime(2026, 12, 3, 11, 50, 0, tzinfo=dt.UTC)
THA_KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
PEERS = {"THA01": THA_KEY.public_key()}
HOSTED = {"JPN01", "MNG01"}


def never_seen(message_id: str) -> bool:
    return False


def ping(payload: dict[str, object] | None = None, created: dt.datetime = NOW) -> Envelope:
    return new_envelope("THA01", "JPN01", "ping", payload or {"note": "hello"}, created)


def refusal_code(message: object, now: dt.datetime = NOW, seen=never_seen) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(CheckFailed) as failure:
        open_message(message, peer_keys=PEERS, hosted=HOSTED, now=now, seen=seen)
    return failure.value.code


def test_a_signed_message_opens_to_the_envelope_that_was_signed() -> None:
    envelope = ping()
    wire = json.loads(json.dumps(sign_message(envelope, THA_KEY)))  # as it travels
    assert open_message(wire, peer_keys=PEERS, hosted=HOSTED, now=NOW, seen=never_seen) == envelope


def test_key_order_and_whitespace_on_the_wire_do_not_matter() -> None:
    wire = sign_message(ping({"b": 1, "a": [1, 2]}), THA_KEY)
    reordered = json.loads(json.dumps({"signature": wire["signature"], "body": dict(reversed(list(wire["body"].items())))}, indent=3))
    assert open_message(reordered, peer_keys=PEERS, hosted=HOSTED, now=NOW, seen=never_seen).payload == {"b": 1, "a": [1, 2]}


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(["message_id", "sender", "receiver", "created_at", "kind", "payload"]),
    payload=st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=8), max_size=4),
)
def test_a_tampered_body_is_refused_with_1502(field: str, payload: dict[str, object]) -> None:
    wire = sign_message(ping(payload), THA_KEY)
    tampered = copy.deepcopy(wire)
    tampered["body"][field] = {
        "message_id": "00000000-0000-4000-8000-000000000000",
        "sender": "KOR01",
        "receiver": "MNG01",
        "created_at": "2026-12-03T11:50:01Z",
        "kind": "status",
        "payload": {**payload, "extra_field_x": 1},  # longer than any generated key, so always a change
    }[field]
    # A changed sender names a registry with no key here (7504); any other change breaks the signature.
    assert refusal_code(tampered) == (7504 if field == "sender" else 1502)


def test_a_message_signed_with_another_key_is_refused_with_1502() -> None:
    assert refusal_code(sign_message(ping(), OTHER_KEY)) == 1502


def test_a_garbled_signature_is_refused_with_1502() -> None:
    wire = sign_message(ping(), THA_KEY)
    assert refusal_code({**wire, "signature": "not base64!"}) == 1502
    assert refusal_code({**wire, "signature": wire["signature"][:-2] + ("AA" if wire["signature"][-2:] != "AA" else "BA")}) == 1502


def test_a_message_from_a_registry_that_is_no_peer_is_refused_with_7504() -> None:
    envelope = new_envelope("KOR01", "JPN01", "ping", {}, NOW)
    assert refusal_code(sign_message(envelope, THA_KEY)) == 7504


def test_a_message_to_a_registry_not_hosted_here_is_refused_with_1505() -> None:
    envelope = new_envelope("THA01", "KOR01", "ping", {}, NOW)
    assert refusal_code(sign_message(envelope, THA_KEY)) == 1505


@pytest.mark.parametrize("skew", [DEFAULT_WINDOW + dt.timedelta(seconds=1), -DEFAULT_WINDOW - dt.timedelta(seconds=1)])
def test_a_message_outside_its_time_window_is_refused_with_1503(skew: dt.timedelta) -> None:
    assert refusal_code(sign_message(ping(created=NOW - skew), THA_KEY)) == 1503


def test_a_message_at_the_edge_of_the_window_is_accepted() -> None:
    wire = sign_message(ping(created=NOW - DEFAULT_WINDOW), THA_KEY)
    assert open_message(wire, peer_keys=PEERS, hosted=HOSTED, now=NOW, seen=never_seen).kind == "ping"


def test_a_replayed_message_is_refused_with_1504() -> None:
    wire = sign_message(ping(), THA_KEY)
    accepted: set[str] = set()
    accepted.add(open_message(wire, peer_keys=PEERS, hosted=HOSTED, now=NOW, seen=accepted.__contains__).message_id)
    assert refusal_code(wire, seen=accepted.__contains__) == 1504


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w["body"].pop("kind"),
        lambda w: w["body"].update(extra=1),
        lambda w: w["body"].update(message_id="not-a-uuid"),
        lambda w: w["body"].update(message_id="0F3C0E4A-1B2C-4D5E-8F90-123456789ABC"),
        lambda w: w["body"].update(sender="tha01"),
        lambda w: w["body"].update(created_at="2026-12-03T11:50:00+09:00"),
        lambda w: w["body"].update(created_at="2026-02-30T11:50:00Z"),
        lambda w: w["body"].update(kind="Ping!"),
        lambda w: w["body"].update(payload=[1, 2]),
        lambda w: w["body"].update(payload={"quantity": 1.5}),
        lambda w: w.pop("signature"),
    ],
)
def test_a_malformed_message_is_refused_with_1501(change) -> None:  # type: ignore[no-untyped-def]
    wire = sign_message(ping(), THA_KEY)
    change(wire)
    assert refusal_code(wire) == 1501


def test_something_that_is_not_a_message_is_refused_with_1501() -> None:
    assert refusal_code([1, 2, 3]) == 1501
    assert refusal_code({"body": "text", "signature": ""}) == 1501


def test_a_public_key_round_trips_through_its_43_character_text() -> None:
    text = public_key_text(THA_KEY.public_key())
    assert len(text) == 43
    assert public_key_text(parse_public_key(f"  {text}\n")) == text


@pytest.mark.parametrize("text", ["", "abc", "A" * 44, "!" * 43, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG"])
def test_a_text_that_is_no_ed25519_public_key_is_refused_with_7501(text: str) -> None:
    with pytest.raises(CheckFailed) as failure:
        parse_public_key(text)
    assert failure.value.code == 7501


# Payloads, answers and the sender's timing ----------------------------------------------------------

from registry.core import peer_messages as pm  # noqa: E402


def block(start: int, end: int, origin: str = "KOR01", **more: object) -> dict[str, object]:
    return {
        "originating_registry": origin,
        "start": start,
        "end": end,
        "unit_type": "JCM",
        "programme": "JCM",
        "project": "KR001",
        "project_name": "Wind in Jeju",
        "host_party": "KOR",
        "vintage": 2024,
        "cooperative_approach": "CA0002",
        "first_transferring_party": "KOR",
        "issuance": 3,
        "authorization": "KR-2025-001",
        "first_transferred": True,
        "identifier": f"CA0002-{origin}-KOR-{start}-{end}-2024",
    } | more


AUTHORIZATION = {
    "identifier": "KR-2025-001",
    "version": 1,
    "party": "KOR",
    "date": "2025-02-01",
    "cooperative_approach": "CA0002",
    "purposes": "NDC",
    "oimp_purposes": "",
    "first_transfer_definition": "first_international_transfer",
    "document_reference": "Letter",
}


def proposal_payload(*blocks: dict[str, object], **more: object) -> dict[str, object]:
    payload = {
        "transfer": 42,
        "transferring_account": "KOR01-000007",
        "acquiring_account": "THA01-000007",
        "quantity": sum(int(b["end"]) - int(b["start"]) + 1 for b in blocks),  # type: ignore[call-overload]
        "blocks": list(blocks),
        "authorizations": [AUTHORIZATION],
    }
    return payload | more


def test_a_proposal_parses_into_its_blocks_and_writes_back_the_same_payload():
    payload = proposal_payload(block(11, 40), block(1, 5, origin="KOR02"))
    proposal = pm.parse_proposal(payload, "KOR01", "THA01")
    assert proposal.quantity == 35 and [b.start for b in proposal.blocks] == [11, 1]
    assert proposal.as_payload() == payload
    assert pm.parse_proposal(proposal.as_payload(), "KOR01", "THA01") == proposal


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"quantity": 31}, "sum of the blocks"),
        ({"acquiring_account": "JPN01-000007"}, "acquiring_account"),
        ({"transferring_account": "THA01-000007"}, "transferring_account"),
        ({"transfer": 0}, "transfer"),
        ({"blocks": []}, "1 to 1000"),
        ({"authorizations": []}, "not in authorizations"),
        ({"blocks": [block(11, 40), block(30, 50)], "quantity": 51}, "overlap"),
        ({"blocks": [block(40, 11)]}, "end must not"),
        ({"blocks": [block(11, 40, vintage="2024")]}, "vintage"),
        ({"blocks": [block(11, 40, first_transferred=1)]}, "true or false"),
        ({"blocks": [block(11, 40, host_party="KR")]}, "host_party"),
        ({"extra": 1}, "exactly the fields"),
    ],
)
def test_a_proposal_not_of_its_form_says_what_is_wrong(change, words):
    with pytest.raises(pm.PayloadInvalid, match=words):
        pm.parse_proposal(proposal_payload(block(11, 40)) | change, "KOR01", "THA01")


def test_an_answer_is_read_only_if_it_answers_the_question_from_the_registry_asked():
    question = pm.new_envelope("KOR01", "THA01", "transfer_proposal", {}, NOW)
    answer = pm.accepted(question.message_id, {"transfer": 42, "acquisition": 7})
    ack = pm.new_envelope("THA01", "KOR01", "ack", answer.as_payload(), NOW)
    assert pm.parse_answer(ack, question) == pm.Answer(question.message_id, "accepted", (), "", {"transfer": 42, "acquisition": 7})
    other = pm.new_envelope("KOR01", "THA01", "status", {"transfer": 42}, NOW)
    with pytest.raises(pm.PayloadInvalid, match="is to message"):
        pm.parse_answer(ack, other)
    from_elsewhere = pm.new_envelope("JPN01", "KOR01", "ack", answer.as_payload(), NOW)
    with pytest.raises(pm.PayloadInvalid, match="registry asked"):
        pm.parse_answer(from_elsewhere, question)
    silent_refusal = pm.Answer(question.message_id, "refused").as_payload()
    with pytest.raises(pm.PayloadInvalid, match="check codes"):
        pm.parse_answer(pm.new_envelope("THA01", "KOR01", "ack", silent_refusal, NOW), question)


def test_only_a_definite_answer_settles_a_transfer():
    accepted, refused = pm.Answer("m", "accepted"), pm.Answer("m", "refused", (7104,))
    assert pm.settlement("transfer_proposal", accepted) == pm.SETTLE_COMPLETE
    assert pm.settlement("transfer_proposal", refused) == pm.SETTLE_RELEASE
    for state, decision in (
        ("accepted", pm.SETTLE_COMPLETE),
        ("refused", pm.SETTLE_RELEASE),
        ("void", pm.SETTLE_RELEASE),
        ("odd", pm.SETTLE_WAIT),
    ):
        assert pm.settlement("status", pm.Answer("m", "accepted", result={"state": state})) == decision
    assert pm.settlement("status", refused) == pm.SETTLE_WAIT  # the question was refused: ask again, never guess


def test_retries_double_from_five_seconds_to_at_most_ten_minutes():
    delays = [pm.retry_delay(n).total_seconds() for n in range(0, 10)]
    assert delays == [0, 5, 10, 20, 40, 80, 160, 320, 600, 600]
    assert pm.retry_delay(10_000) == pm.LONGEST_RETRY
    assert pm.RESEND_FOR < DEFAULT_WINDOW  # a resent proposal is never too old for the receiver
