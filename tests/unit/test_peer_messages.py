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
