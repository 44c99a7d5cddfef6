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
import itertools
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


# Payloads of the kinds (docs/interoperability.md §4, §5) ------------------------------------------

ACK = "ack"
PING = "ping"
TRANSFER_PROPOSAL = "transfer_proposal"
STATUS = "status"
HOLDINGS_QUERY = "holdings_query"
FIRST_TRANSFER_NOTICE = "first_transfer_notice"
KINDS = (PING, TRANSFER_PROPOSAL, STATUS, HOLDINGS_QUERY, FIRST_TRANSFER_NOTICE)
PROTOCOL_VERSION = 1
ACCOUNT_NUMBER = re.compile(r"^([A-Z]{3}[0-9]{2})-[0-9]{1,12}$")
ALPHA3 = re.compile(r"^[A-Z]{3}$")
CODE = re.compile(r"^[A-Za-z0-9._/-]{1,60}$")


@dataclass(frozen=True, slots=True)
class ProposedBlock:
    """One block of a proposal, with every attribute the receiver needs to hold it."""

    originating_registry: str
    start: int
    end: int
    unit_type: str
    programme: str
    project: str
    project_name: str
    host_party: str
    vintage: int
    cooperative_approach: str | None
    first_transferring_party: str | None
    issuance: int
    authorization: str | None
    first_transferred: bool
    identifier: str

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1

    def as_payload(self) -> dict[str, Any]:
        return {
            "originating_registry": self.originating_registry,
            "start": self.start,
            "end": self.end,
            "unit_type": self.unit_type,
            "programme": self.programme,
            "project": self.project,
            "project_name": self.project_name,
            "host_party": self.host_party,
            "vintage": self.vintage,
            "cooperative_approach": self.cooperative_approach,
            "first_transferring_party": self.first_transferring_party,
            "issuance": self.issuance,
            "authorization": self.authorization,
            "first_transferred": self.first_transferred,
            "identifier": self.identifier,
        }


@dataclass(frozen=True, slots=True)
class ProposedAuthorization:
    """An authorisation the blocks name, as the authorising Party's registry records it (the version
    in force): the receiver holds the ITMOs under it and applies the rules of use by it."""

    identifier: str
    version: int
    party: str
    date: str
    cooperative_approach: str
    purposes: str
    oimp_purposes: str
    first_transfer_definition: str
    document_reference: str

    def as_payload(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AUTHORIZATION_FIELDS}


AUTHORIZATION_FIELDS = (
    "identifier",
    "version",
    "party",
    "date",
    "cooperative_approach",
    "purposes",
    "oimp_purposes",
    "first_transfer_definition",
    "document_reference",
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Proposal:
    """A ``transfer_proposal``: the sender's transaction ``transfer`` moving ``blocks`` between two
    accounts, with the authorisations the blocks name."""

    transfer: int
    transferring_account: str
    acquiring_account: str
    blocks: tuple[ProposedBlock, ...]
    authorizations: tuple[ProposedAuthorization, ...] = ()

    @property
    def quantity(self) -> int:
        return sum(b.quantity for b in self.blocks)

    def as_payload(self) -> dict[str, Any]:
        return {
            "transfer": self.transfer,
            "transferring_account": self.transferring_account,
            "acquiring_account": self.acquiring_account,
            "quantity": self.quantity,
            "blocks": [b.as_payload() for b in self.blocks],
            "authorizations": [a.as_payload() for a in self.authorizations],
        }


BLOCK_FIELDS = frozenset(ProposedBlock.__slots__)
PROPOSAL_FIELDS = frozenset({"transfer", "transferring_account", "acquiring_account", "quantity", "blocks", "authorizations"})


class PayloadInvalid(ValueError):
    """A payload that does not have the form of its kind (1507): the detail says what is wrong."""


def _int(value: object, name: str, low: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not (low <= value < 2**62):
        raise PayloadInvalid(f"{name} must be an integer of at least {low}")
    return value


def _text(value: object, name: str, pattern: re.Pattern[str] | None = None, optional: bool = False, limit: int = 300) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit or (pattern is not None and not pattern.match(value)):
        raise PayloadInvalid(f"{name} must be {'a code' if pattern else 'a text'}{' or null' if optional else ''}")
    return value


def parse_proposal(payload: Mapping[str, Any], sender: str, receiver: str) -> Proposal:
    """The proposal ``payload`` describes, every field checked (``PayloadInvalid`` says which is wrong).

    The transferring account must be of ``sender``, the acquiring one of ``receiver``; the blocks may
    not overlap each other; ``quantity`` must be their sum (a check against truncation on the way)."""
    if set(payload) != PROPOSAL_FIELDS:
        raise PayloadInvalid(f"a transfer proposal has exactly the fields {sorted(PROPOSAL_FIELDS)}")
    transfer = _int(payload["transfer"], "transfer")
    for name, owner in (("transferring_account", sender), ("acquiring_account", receiver)):
        number = payload[name]
        found = ACCOUNT_NUMBER.match(number) if isinstance(number, str) else None
        if found is None or found.group(1) != owner:
            raise PayloadInvalid(f"{name} must be an account number of {owner}, such as {owner}-000007")
    raw_blocks = payload["blocks"]
    if not isinstance(raw_blocks, list) or not raw_blocks or len(raw_blocks) > 1000:
        raise PayloadInvalid("blocks must be a list of 1 to 1000 blocks")
    blocks = []
    for index, raw in enumerate(raw_blocks):
        where = f"blocks[{index}]"
        if not isinstance(raw, dict) or set(raw) != BLOCK_FIELDS:
            raise PayloadInvalid(f"{where} must have exactly the fields {sorted(BLOCK_FIELDS)}")
        start, end = _int(raw["start"], f"{where}.start"), _int(raw["end"], f"{where}.end")
        if end < start:
            raise PayloadInvalid(f"{where}: end must not be before start")
        if not isinstance(raw["first_transferred"], bool):
            raise PayloadInvalid(f"{where}.first_transferred must be true or false")
        origin = _text(raw["originating_registry"], f"{where}.originating_registry", REGISTRY_ID)
        blocks.append(
            ProposedBlock(
                originating_registry=origin,
                start=start,
                end=end,
                unit_type=_text(raw["unit_type"], f"{where}.unit_type", CODE),
                programme=_text(raw["programme"], f"{where}.programme", CODE),
                project=_text(raw["project"], f"{where}.project", CODE),
                project_name=_text(raw["project_name"], f"{where}.project_name"),
                host_party=_text(raw["host_party"], f"{where}.host_party", ALPHA3),
                vintage=_int(raw["vintage"], f"{where}.vintage", 1900),
                cooperative_approach=_text(raw["cooperative_approach"], f"{where}.cooperative_approach", CODE, optional=True),
                first_transferring_party=_text(raw["first_transferring_party"], f"{where}.first_transferring_party", ALPHA3, optional=True),
                issuance=_int(raw["issuance"], f"{where}.issuance"),
                authorization=_text(raw["authorization"], f"{where}.authorization", CODE, optional=True),
                first_transferred=raw["first_transferred"],
                identifier=_text(raw["identifier"], f"{where}.identifier", limit=120),
            )
        )
    ordered = sorted(blocks, key=lambda b: (b.originating_registry, b.start))
    for before, after in itertools.pairwise(ordered):
        if before.originating_registry == after.originating_registry and after.start <= before.end:
            raise PayloadInvalid(f"blocks {before.identifier} and {after.identifier} overlap")
    authorizations = _authorizations(payload["authorizations"])
    named = {a.identifier for a in authorizations}
    for block in blocks:
        if block.authorization is not None and block.authorization not in named:
            raise PayloadInvalid(f"authorisation {block.authorization} of block {block.identifier} is not in authorizations")
    proposal = Proposal(transfer, payload["transferring_account"], payload["acquiring_account"], tuple(blocks), authorizations)
    if payload["quantity"] != proposal.quantity:
        raise PayloadInvalid(f"quantity must be the sum of the blocks ({proposal.quantity})")
    return proposal


def _authorizations(raw: object) -> tuple[ProposedAuthorization, ...]:
    if not isinstance(raw, list) or len(raw) > 1000:
        raise PayloadInvalid("authorizations must be a list")
    found = []
    for index, item in enumerate(raw):
        where = f"authorizations[{index}]"
        if not isinstance(item, dict) or set(item) != set(AUTHORIZATION_FIELDS):
            raise PayloadInvalid(f"{where} must have exactly the fields {sorted(AUTHORIZATION_FIELDS)}")
        found.append(
            ProposedAuthorization(
                identifier=_text(item["identifier"], f"{where}.identifier", CODE),
                version=_int(item["version"], f"{where}.version"),
                party=_text(item["party"], f"{where}.party", ALPHA3),
                date=_text(item["date"], f"{where}.date", DATE),
                cooperative_approach=_text(item["cooperative_approach"], f"{where}.cooperative_approach", CODE),
                purposes=_text(item["purposes"], f"{where}.purposes"),
                oimp_purposes=item["oimp_purposes"] if isinstance(item["oimp_purposes"], str) else _text(None, f"{where}.oimp_purposes"),
                first_transfer_definition=_text(item["first_transfer_definition"], f"{where}.first_transfer_definition", CODE),
                document_reference=_text(item["document_reference"], f"{where}.document_reference"),
            )
        )
    if len({a.identifier for a in found}) != len(found):
        raise PayloadInvalid("authorizations names an authorisation twice")
    return tuple(found)


@dataclass(frozen=True, slots=True)
class NoticedBlock:
    """Units of the receiver's registry used or cancelled at the sender, as the sender holds them."""

    originating_registry: str
    start: int
    end: int
    unit_type: str
    project: str
    vintage: int
    cooperative_approach: str | None
    authorization: str
    identifier: str

    def as_payload(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in NOTICED_BLOCK_FIELDS}


NOTICED_BLOCK_FIELDS = (
    "originating_registry",
    "start",
    "end",
    "unit_type",
    "project",
    "vintage",
    "cooperative_approach",
    "authorization",
    "identifier",
)
NOTICE_FIELDS = frozenset({"notice", "used_at", "use", "using_account", "using_party", "oimp_purpose", "blocks"})


@dataclass(frozen=True, slots=True)
class Notice:
    """A ``first_transfer_notice``: the sender's transaction ``notice`` (a ``use``, so far
    ``cancellation`` for OIMP) used ``blocks`` authorised by the receiver's Party at ``used_at``,
    from ``using_account``, by ``using_party``, for ``oimp_purpose``."""

    notice: int
    used_at: dt.datetime
    use: str
    using_account: str
    using_party: str
    oimp_purpose: str
    blocks: tuple[NoticedBlock, ...]

    def as_payload(self) -> dict[str, Any]:
        return {
            "notice": self.notice,
            "used_at": self.used_at.isoformat(),
            "use": self.use,
            "using_account": self.using_account,
            "using_party": self.using_party,
            "oimp_purpose": self.oimp_purpose,
            "blocks": [b.as_payload() for b in self.blocks],
        }


def parse_notice(payload: Mapping[str, Any], sender: str) -> Notice:
    """The notice ``payload`` describes, every field checked (``PayloadInvalid`` says which is wrong)."""
    if set(payload) != NOTICE_FIELDS:
        raise PayloadInvalid(f"a first-transfer notice has exactly the fields {sorted(NOTICE_FIELDS)}")
    account = payload["using_account"]
    found = ACCOUNT_NUMBER.match(account) if isinstance(account, str) else None
    if found is None or found.group(1) != sender:
        raise PayloadInvalid(f"using_account must be an account number of {sender}")
    try:
        used_at = dt.datetime.fromisoformat(_text(payload["used_at"], "used_at", limit=40))
    except ValueError:
        raise PayloadInvalid("used_at must be a time in ISO 8601 with its offset") from None
    if used_at.tzinfo is None:
        raise PayloadInvalid("used_at must be a time in ISO 8601 with its offset")
    if payload["use"] != "cancellation":
        raise PayloadInvalid('use must be "cancellation"')
    raw = payload["blocks"]
    if not isinstance(raw, list) or not raw or len(raw) > 1000:
        raise PayloadInvalid("blocks must be a list of 1 to 1000 blocks")
    blocks = []
    for index, item in enumerate(raw):
        where = f"blocks[{index}]"
        if not isinstance(item, dict) or set(item) != set(NOTICED_BLOCK_FIELDS):
            raise PayloadInvalid(f"{where} must have exactly the fields {list(NOTICED_BLOCK_FIELDS)}")
        start, end = _int(item["start"], f"{where}.start"), _int(item["end"], f"{where}.end")
        if end < start:
            raise PayloadInvalid(f"{where}: end must not be before start")
        blocks.append(
            NoticedBlock(
                originating_registry=_text(item["originating_registry"], f"{where}.originating_registry", REGISTRY_ID),
                start=start,
                end=end,
                unit_type=_text(item["unit_type"], f"{where}.unit_type", CODE),
                project=_text(item["project"], f"{where}.project", CODE),
                vintage=_int(item["vintage"], f"{where}.vintage", 1900),
                cooperative_approach=_text(item["cooperative_approach"], f"{where}.cooperative_approach", CODE, optional=True),
                authorization=_text(item["authorization"], f"{where}.authorization", CODE),
                identifier=_text(item["identifier"], f"{where}.identifier", limit=120),
            )
        )
    ordered = sorted(blocks, key=lambda b: (b.originating_registry, b.start))
    for before, after in itertools.pairwise(ordered):
        if before.originating_registry == after.originating_registry and after.start <= before.end:
            raise PayloadInvalid(f"blocks {before.identifier} and {after.identifier} overlap")
    return Notice(
        notice=_int(payload["notice"], "notice"),
        used_at=used_at,
        use="cancellation",
        using_account=account,
        using_party=_text(payload["using_party"], "using_party", ALPHA3),
        oimp_purpose=payload["oimp_purpose"] if isinstance(payload["oimp_purpose"], str) else _text(None, "oimp_purpose"),
        blocks=tuple(blocks),
    )


def parse_status_query(payload: Mapping[str, Any]) -> int:
    """The transfer a ``status`` message asks about."""
    if set(payload) != {"transfer"}:
        raise PayloadInvalid('a status message has exactly the field "transfer"')
    return _int(payload["transfer"], "transfer")


# Answers ------------------------------------------------------------------------------------------

ACCEPTED = "accepted"
REFUSED = "refused"
ACK_FIELDS = frozenset({"answers", "outcome", "codes", "detail", "result"})
#: Written with a refusal only: one object per code, the values its message is worded with.
ACK_PARAMETERS = "parameters"


@dataclass(frozen=True, slots=True)
class Answer:
    """The payload of an ``ack``: the message it answers, accepted or refused with check codes, and
    what the kind answers with (``result``: the acquisition, a transfer's state, ...)."""

    answers: str
    outcome: str
    codes: tuple[int, ...] = ()
    detail: str = ""
    result: Mapping[str, Any] | None = None
    #: one object per code: the values the receiver's message for it was worded with, so the
    #: asker words the refusal in its own readers' languages (left out of an acceptance)
    parameters: tuple[Mapping[str, Any], ...] = ()

    def as_payload(self) -> dict[str, Any]:
        payload = {
            "answers": self.answers,
            "outcome": self.outcome,
            "codes": list(self.codes),
            "detail": self.detail,
            "result": dict(self.result or {}),
        }
        if self.parameters:
            payload[ACK_PARAMETERS] = [dict(p) for p in self.parameters]
        return payload


def accepted(answers: str, result: Mapping[str, Any] | None = None) -> Answer:
    return Answer(answers, ACCEPTED, (), "", result)


def refused(answers: str, failure: CheckFailed) -> Answer:
    return Answer(answers, REFUSED, (failure.code,), failure.message, {}, (wire_parameters(failure.params),))


def wire_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """A check's values as JSON carries them: texts, numbers, truth values and null as they are,
    a time in ISO 8601, a list of texts as it is, anything else as its text."""
    wired: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or isinstance(value, str | int | float | bool):
            wired[name] = value
        elif isinstance(value, dt.datetime):
            wired[name] = value.isoformat()
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            wired[name] = list(value)
        else:
            wired[name] = str(value)
    return wired


def parse_parameters(raw: object, codes: tuple[int, ...]) -> tuple[dict[str, Any], ...]:
    """The ``parameters`` of a refusal (one object per code, or none); ``PayloadInvalid`` otherwise."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) != len(codes) or not all(isinstance(p, dict) for p in raw):
        raise PayloadInvalid("parameters must be a list of one object per code")
    for item in raw:
        for name, value in item.items():
            if not isinstance(name, str) or not (value is None or isinstance(value, str | int | float | bool | list)):
                raise PayloadInvalid("a parameter is a text, a number, true or false, null or a list")
    return tuple(raw)


def parse_answer(envelope: Envelope, question: Envelope) -> Answer:
    """The ``ack`` in ``envelope`` (already opened) if it answers ``question``; ``PayloadInvalid`` otherwise."""
    if envelope.kind != ACK:
        raise PayloadInvalid(f"the answer is of kind {envelope.kind}, not {ACK}")
    if (envelope.sender, envelope.receiver) != (question.receiver, question.sender):
        raise PayloadInvalid("the answer does not come from the registry asked, to the one asking")
    payload = envelope.payload
    if not ACK_FIELDS <= set(payload) <= ACK_FIELDS | {ACK_PARAMETERS}:
        raise PayloadInvalid(f"an ack has exactly the fields {sorted(ACK_FIELDS)}, and a refusal may have {ACK_PARAMETERS!r}")
    if payload["answers"] != question.message_id:
        raise PayloadInvalid(f"the answer is to message {payload['answers']}, not {question.message_id}")
    if payload["outcome"] not in (ACCEPTED, REFUSED):
        raise PayloadInvalid("outcome must be accepted or refused")
    codes = payload["codes"]
    if not isinstance(codes, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        raise PayloadInvalid("codes must be a list of integers")
    if payload["outcome"] == REFUSED and not codes:
        raise PayloadInvalid("a refusal names its check codes")
    if not isinstance(payload["detail"], str) or not isinstance(payload["result"], dict):
        raise PayloadInvalid("detail must be a text and result an object")
    parameters = parse_parameters(payload.get(ACK_PARAMETERS), tuple(codes))
    return Answer(payload["answers"], payload["outcome"], tuple(codes), payload["detail"], payload["result"], parameters)


# The sender's timing ------------------------------------------------------------------------------

#: A proposal is resent unchanged until this long after it was created (inside the receiver's
#: window, so a resent copy is never refused as too old); afterwards the sender asks for the state.
RESEND_FOR = dt.timedelta(seconds=240)
FIRST_RETRY = dt.timedelta(seconds=5)
LONGEST_RETRY = dt.timedelta(minutes=10)


def retry_delay(attempts: int, first: dt.timedelta = FIRST_RETRY, longest: dt.timedelta = LONGEST_RETRY) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 5 s, 10 s, 20 s, ... at most 10 minutes."""
    if attempts <= 0:
        return dt.timedelta(0)
    delay: dt.timedelta = first * (2 ** min(attempts - 1, 30))
    return min(longest, delay)


# What the sender does with an answer (the state machine of §5) ------------------------------------

SETTLE_COMPLETE = "complete"
SETTLE_RELEASE = "release"
SETTLE_WAIT = "wait"


def settlement(kind: str, answer: Answer) -> str:
    """What a signed answer to a proposal or to a ``status`` question decides for the transfer.

    A proposal accepted completes it, refused releases it. A ``status`` answer completes on
    ``accepted``, releases on ``refused`` or ``void`` (the receiver has no record and promises
    never to accept it), and decides nothing otherwise (the receiver could not answer: ask again).
    Nothing else (no answer, a transport error, an unsigned refusal) ever decides: never guess."""
    if kind == TRANSFER_PROPOSAL:
        return SETTLE_COMPLETE if answer.outcome == ACCEPTED else SETTLE_RELEASE
    if kind == STATUS and answer.outcome == ACCEPTED:
        state = (answer.result or {}).get("state")
        if state == "accepted":
            return SETTLE_COMPLETE
        if state in ("refused", "void"):
            return SETTLE_RELEASE
    return SETTLE_WAIT
