"""The signed envelope every message between peer registries travels in (docs/interoperability.md).

A message is ``{"body": {...}, "signature": "..."}``. The body carries the message id, the sending and
the receiving registry, the time it was created, its kind and its payload; the signature is Ed25519
over the body's canonical JSON (sorted keys, no spaces, UTF-8), so the receiver recomputes the exact
bytes from what it parsed and no whitespace or key order on the wire matters.

``open_message`` is the receiver's one door: it checks, in this order, the shape, that the sender is
a known peer, the signature, that the receiver is hosted here, the time window and that the message
id was not seen before; each failure is a ``CheckFailed`` with its 15xx or 75xx code and nothing
has been read from the payload. Pure: keys, clock, hosted registries and seen ids are arguments.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.core.checks import Check, CheckFailed
from registry.core.journal import canonical_json

# A peer's clock may be this far ahead of or behind ours; older messages are refused (1503), which
# also bounds how long the receiver must remember seen message ids to refuse a replay (1504).
DEFAULT_WINDOW = dt.timedelta(minutes=5)

BODY_FIELDS = frozenset({"message_id", "sender", "receiver", "created_at", "kind", "payload"})
REGISTRY_ID = re.compile(r"^[A-Z]{3}[0-9]{2}$")
KIND = re.compile(r"^[a-z][a-z_]{0,39}$")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message's body; ``created_at`` is UTC, to the second (the wire form has no fractions)."""

    message_id: str
    sender: str
    receiver: str
    created_at: dt.datetime
    kind: str
    payload: Mapping[str, Any]

    def body(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "sender": self.sender,
            "receiver": self.receiver,
            "created_at": self.created_at.astimezone(dt.UTC).strftime(TIME_FORMAT),
            "kind": self.kind,
            "payload": dict(self.payload),
        }

    def canonical_body(self) -> bytes:
        return canonical_json(self.body()).encode("utf-8")


def new_envelope(sender: str, receiver: str, kind: str, payload: Mapping[str, Any], now: dt.datetime) -> Envelope:
    """A fresh message with a random (UUID4) id, created ``now`` (truncated to the second)."""
    return Envelope(
        message_id=str(uuid.uuid4()),
        sender=sender,
        receiver=receiver,
        created_at=now.astimezone(dt.UTC).replace(microsecond=0),
        kind=kind,
        payload=payload,
    )


# Keys ---------------------------------------------------------------------------------------------


def public_key_text(key: Ed25519PublicKey) -> str:
    """The 32 raw bytes of the key in base64url without padding: 43 characters, as operators exchange them."""
    return base64.urlsafe_b64encode(key.public_bytes_raw()).rstrip(b"=").decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The key ``public_key_text`` wrote; anything else is refused with 7501."""
    candidate = text.strip()
    try:
        if not re.fullmatch(r"[A-Za-z0-9_-]{43}", candidate):
            raise ValueError(candidate)
        return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(candidate + "="))
    except (ValueError, binascii.Error):
        raise CheckFailed(Check.PEER_KEY_INVALID, key=repr(text[:60])) from None


# Signing and opening ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_message(envelope: Envelope, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The wire form: the body and the base64url Ed25519 signature of its canonical JSON."""
    return {"body": envelope.body(), "signature": _b64(key.sign(envelope.canonical_body()))}


def _malformed(detail: str) -> CheckFailed:
    return CheckFailed(Check.PEER_MESSAGE_MALFORMED, detail=detail)


def parse_envelope(body: object) -> Envelope:
    """The body's fields, each checked for type and form (1501); the payload is left to its kind."""
    if not isinstance(body, dict):
        raise _malformed("the body must be a JSON object")
    if set(body) != BODY_FIELDS:
        missing, extra = sorted(BODY_FIELDS - set(body)), sorted(set(body) - BODY_FIELDS)
        raise _malformed(f"the body must have exactly the fields {sorted(BODY_FIELDS)} (missing {missing}, unknown {extra})")
    message_id, sender, receiver = body["message_id"], body["sender"], body["receiver"]
    created, kind, payload = body["created_at"], body["kind"], body["payload"]
    try:
        if not isinstance(message_id, str) or str(uuid.UUID(message_id)) != message_id:
            raise ValueError
    except ValueError:
        raise _malformed("message_id must be a UUID in its lower-case hyphenated form") from None
    for name, value in (("sender", sender), ("receiver", receiver)):
        if not isinstance(value, str) or not REGISTRY_ID.match(value):
            raise _malformed(f"{name} must be a registry id such as JPN01")
    if not isinstance(created, str) or not TIME.match(created):
        raise _malformed("created_at must be UTC to the second, as 2026-12-03T11:50:00Z")
    try:
        created_at = dt.datetime.strptime(created, TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise _malformed("created_at is not a real time") from None
    if not isinstance(kind, str) or not KIND.match(kind):
        raise _malformed("kind must be lower-case letters and underscores")
    if not isinstance(payload, dict):
        raise _malformed("payload must be a JSON object")
    _reject_floats(payload)
    return Envelope(message_id, sender, receiver, created_at, kind, payload)


def _reject_floats(value: object) -> None:
    # Two implementations print the same float differently, so a float would break the canonical bytes.
    if isinstance(value, float):
        raise _malformed("numbers in a payload must be integers (quantities are whole units); send others as strings")
    if isinstance(value, dict):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list):
        for item in value:
            _reject_floats(item)


def open_message(
    message: object,
    *,
    peer_keys: Mapping[str, Ed25519PublicKey],
    hosted: Collection[str],
    now: dt.datetime,
    seen: Callable[[str], bool],
    window: dt.timedelta = DEFAULT_WINDOW,
) -> Envelope:
    """The verified envelope of ``message``, or ``CheckFailed`` (1501-1505, 7504) in the documented order.

    ``peer_keys`` maps each registered peer registry to its public key, ``hosted`` lists the registries
    of this installation, ``seen(message_id)`` says whether the id was accepted before.
    """
    if not isinstance(message, dict) or set(message) != {"body", "signature"}:
        raise _malformed('a message is a JSON object with exactly "body" and "signature"')
    envelope = parse_envelope(message["body"])
    key = peer_keys.get(envelope.sender)
    if key is None:
        raise CheckFailed(Check.PEER_UNKNOWN, registry=envelope.sender)
    signature = message["signature"]
    try:
        if not isinstance(signature, str) or not re.fullmatch(r"[A-Za-z0-9_-]{86}", signature):
            raise InvalidSignature
        key.verify(base64.urlsafe_b64decode(signature + "=="), envelope.canonical_body())
    except (InvalidSignature, binascii.Error):
        raise CheckFailed(Check.PEER_SIGNATURE_INVALID, message=envelope.message_id, registry=envelope.sender) from None
    if envelope.receiver not in hosted:
        raise CheckFailed(Check.PEER_MESSAGE_WRONG_RECEIVER, message=envelope.message_id, receiver=envelope.receiver)
    if abs(now - envelope.created_at) > window:
        raise CheckFailed(
            Check.PEER_MESSAGE_OUTSIDE_WINDOW,
            message=envelope.message_id,
            created=envelope.body()["created_at"],
            window=int(window.total_seconds()),
            received=now.astimezone(dt.UTC).strftime(TIME_FORMAT),
        )
    if seen(envelope.message_id):
        raise CheckFailed(Check.PEER_MESSAGE_REPLAYED, message=envelope.message_id)
    return envelope
