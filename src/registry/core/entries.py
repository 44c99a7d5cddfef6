"""Every kind of journal entry, declared once, with the one writer and the one parser of its body.

A journal body is canonical JSON (``registry.core.journal``): the envelope ``kind``, ``registry``,
``sequence`` and ``at``, then the fields of the entry. ``write_body`` is the only code that turns an
entry into that text and ``parse_body`` the only code that reads it back; writers construct the
dataclasses below, readers ``match`` on their type.

Bodies written before the entries were typed had quirks that their hashes now fix for ever: an
issuance and an authorisation of units said ``by`` where movements say ``proposed_by``, and a
cancellation folded its kind into ``purpose`` (``"voluntary"``, ``"oimp:CORSIA"``). Such bodies parse
into the same typed fields (the entry remembers ``legacy=True``) and are written back byte for byte;
new entries always use the current form. ``parse_body(text)`` followed by ``write_body`` gives
``text`` again for every body either form allows, and a body with a key no entry knows is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypedDict

from registry.core.journal import canonical_json


class MalformedEntry(ValueError):
    """A body that no entry kind describes (unknown kind or type, a key missing, one too many, a wrong type)."""


# Parts of entries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JournalBlock:
    """A whole block with its attributes by their codes (issuance, acquisition)."""

    originating_registry: str
    start: int
    end: int
    unit_type: str
    project: str
    vintage: int
    approach: str | None
    first_transferring_party: str | None
    issuance: int
    authorization: str | None
    first_transferred: bool


@dataclass(frozen=True, slots=True)
class Span:
    """Serials a movement names: ``[originating registry, start, end]`` in the body."""

    originating_registry: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class HeldSpan:
    """Serials restated where they are (authorisation, first transfer): ``[registry, start, end, holder]``."""

    originating_registry: str
    start: int
    end: int
    holder: str


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One corresponding adjustment: ``party`` (alpha-3) adds (first transfer) or subtracts (use) ``quantity``."""

    party: str
    kind: str  # "first_transfer" or "use"
    authorization: str
    vintage: int
    year: int
    quantity: int


@dataclass(frozen=True, slots=True)
class AuthorizedEntity:
    """An entity an authorisation names (AEF Table 5), as it stood when that version was recorded."""

    entity: int
    name: str
    country: str
    identification_number: str
    # Table 5's conditions, added later: left out of the body when empty.
    conditions: str = ""
    change_and_revocation_conditions: str = ""
    explanation: str = ""


# Account events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountOpened:
    account: str
    type: str
    status: str
    entity: int | None
    purpose: str


@dataclass(frozen=True, slots=True)
class AccountStatusChanged:
    account: str
    type: str
    status: str
    entity: int | None
    purpose: str


AccountEvent: TypeAlias = AccountOpened | AccountStatusChanged


# Article 6 records that are not transactions -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorizationVersion:
    """One version of a Party's authorisation (every field of AEF Table 2). A change is a new version.

    Fields added later are optional and left out of the body when absent, so earlier hashes stay.
    """

    identifier: str
    version: int
    date: dt.date
    cooperative_approach: str
    purposes: str
    oimp_purposes: str
    first_transfer_definition: str
    authorized_quantity: int | None
    document_reference: str
    authorized_parties: tuple[str, ...]
    authorized_entities: tuple[AuthorizedEntity, ...]
    sectors: str
    activity_types: str
    timeframe: str
    terms: str
    recorded_by: str | None
    # The timeframe as years of vintage, added later: left out of the body when open.
    timeframe_first_vintage: int | None = None
    timeframe_last_vintage: int | None = None
    # Another Party's authorisation (its alpha-3), recorded by this registry for ITMOs it acquired
    # from a peer registry: held here as that Party's, never reported as this Party's own.
    authorizing_party: str | None = None


# Transactions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issuance:
    transaction: int
    proposed_by: str | None
    to_account: str
    blocks: tuple[JournalBlock, ...]
    legacy: bool = False  # written with ``by`` (every issuance before the typed journal)


@dataclass(frozen=True, slots=True)
class InternalTransfer:
    transaction: int
    proposed_by: str | None
    approved_by: str | None
    from_account: str
    to_account: str
    ranges: tuple[Span, ...]
    purpose: str = ""
    reason: str = ""
    using_entity: int | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    transaction: int
    proposed_by: str | None
    approved_by: str | None
    from_account: str
    to_account: str
    ranges: tuple[Span, ...]
    corrects: int | None
    purpose: str = ""
    reason: str = ""
    using_entity: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredUse:
    """The declared use of a retirement or a cancellation (a J-Credit nullification's purpose from
    the programme's list, its aim, the credit user, the ISO country of use).

    Keyword-only, so they follow the fields of the entry that declares them; each is left out of
    the body when empty, so bodies written before they existed keep their hashes.
    """

    purpose_code: str = ""
    aim: str = ""
    credit_user: str = ""
    use_country: str = ""


#: The optional keys of a use's declaration, in the body as in ``DeclaredUse``.
DECLARED_USE = ("purpose_code", "aim", "credit_user", "use_country")


@dataclass(frozen=True, slots=True)
class Retirement(DeclaredUse):
    """A use (towards ``using_party``'s NDC for ``ndc_year``) or a retirement for another purpose.

    ``adjustments`` are the using Party's subtractions it triggered; ``None`` in bodies written
    before they were journaled (the replay then derives them).
    """

    transaction: int
    proposed_by: str | None
    approved_by: str | None
    from_account: str
    to_account: str
    ranges: tuple[Span, ...]
    using_party: str | None
    towards_ndc: bool
    ndc_year: int | None
    purpose: str = ""
    reason: str = ""
    using_entity: int | None = None
    adjustments: tuple[Adjustment, ...] | None = None


@dataclass(frozen=True, slots=True)
class Cancellation(DeclaredUse):
    """A cancellation of ``cancellation_kind`` (mandatory, voluntary, omge, oimp); for OIMP, the
    ``oimp_purpose`` (e.g. CORSIA). ``purpose`` is free text of its own."""

    transaction: int
    proposed_by: str | None
    approved_by: str | None
    from_account: str
    to_account: str
    ranges: tuple[Span, ...]
    cancellation_kind: str
    oimp_purpose: str = ""
    purpose: str = ""
    reason: str = ""
    using_entity: int | None = None
    legacy: bool = False  # kind folded into ``purpose`` ("voluntary", "oimp:CORSIA")


@dataclass(frozen=True, slots=True)
class ExternalTransfer:
    transaction: int
    proposed_by: str | None
    approved_by: str | None
    from_account: str
    to_account: str
    ranges: tuple[Span, ...]
    to_registry: str
    purpose: str = ""
    reason: str = ""
    using_entity: int | None = None


@dataclass(frozen=True, slots=True)
class Acquisition:
    transaction: int
    counterpart: int
    from_registry: str
    from_account: str
    to_account: str
    blocks: tuple[JournalBlock, ...]


@dataclass(frozen=True, slots=True)
class UnitsAuthorized:
    """Units authorised under ``authorization`` (the version in force, when recorded since versions are journaled)."""

    transaction: int
    proposed_by: str | None
    authorization: str
    purposes: str
    ranges: tuple[HeldSpan, ...]
    legacy: bool = False  # written with ``by``


@dataclass(frozen=True, slots=True)
class UsedUnits:
    """Units of this registry used or cancelled in a peer registry, with the attributes they left with."""

    originating_registry: str
    start: int
    end: int
    unit_type: str
    project: str
    vintage: int
    approach: str | None


@dataclass(frozen=True, slots=True)
class FirstTransferred:
    """The first transfer of ``ranges`` and, since they are journaled, the Party's ``adjustments``.

    ``used_in``: first transferred at their use or cancellation in that peer registry (its
    transaction ``trigger``), after they had left this one; ``ranges`` then name the account that
    used them there, ``units`` their attributes, and the ledger here is not touched. Both are left
    out of the body otherwise, so earlier hashes stay.
    """

    transaction: int
    trigger: int
    trigger_type: str
    authorization: str
    definition: str
    first_transferring_party: str
    acquiring_party: str | None
    ranges: tuple[HeldSpan, ...]
    adjustments: tuple[Adjustment, ...] | None = None
    used_in: str | None = None
    units: tuple[UsedUnits, ...] = ()


# The state of a transfer to a peer registry's account while the peer decides ---------------------


@dataclass(frozen=True, slots=True)
class PeerTransferReserved:
    """Units of ``from_account`` reserved for ``transaction``, proposed to peer ``to_registry`` by the
    signed message ``proposal`` (now in the outbox). They stay held here, and move for nothing
    else, until the peer's answer ends the transfer: an ``ExternalTransfer`` of the same
    ``transaction`` (accepted: they left) or a ``PeerTransferReleased`` (refused or void)."""

    transaction: int
    from_account: str
    to_account: str
    to_registry: str
    proposal: str
    ranges: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class PeerTransferReleased:
    """The reservation of ``transaction`` released: the peer refused it with ``codes`` (``outcome``
    ``refused``), or declared it void after a status question (``void``); the units are free here."""

    transaction: int
    to_registry: str
    outcome: str  # "refused" or "void"
    codes: tuple[int, ...]
    ranges: tuple[Span, ...]


PeerTransferState: TypeAlias = PeerTransferReserved | PeerTransferReleased
PEER_TRANSFER_RESERVED = "peer_transfer_reserved"
PEER_TRANSFER_RELEASED = "peer_transfer_released"

Movement: TypeAlias = InternalTransfer | Correction | Retirement | Cancellation | ExternalTransfer
TransactionEntry: TypeAlias = Issuance | Movement | Acquisition | UnitsAuthorized | FirstTransferred
Entry: TypeAlias = TransactionEntry | AccountEvent | AuthorizationVersion | PeerTransferState


@dataclass(frozen=True, slots=True)
class Recorded:
    """An entry where the journal holds it: registry, place in the chain and moment."""

    registry: str
    sequence: int
    at: dt.datetime
    entry: Entry
    #: When an imported action took effect, before ``at`` (the import); ``None`` for a live action,
    #: which takes effect when recorded. Left out of the body when absent, so earlier hashes stay.
    effective: dt.datetime | None = None

    @property
    def took_effect(self) -> dt.datetime:
        """The moment the action took effect: what the AEF and the annual figures date it by."""
        return self.effective or self.at


MOVEMENT_TYPES: dict[str, type[Movement]] = {
    "internal_transfer": InternalTransfer,
    "correction": Correction,
    "retirement": Retirement,
    "cancellation": Cancellation,
    "external_transfer": ExternalTransfer,
}
TYPE_OF: dict[type[Any], str] = {
    Issuance: "issuance",
    **{cls: name for name, cls in MOVEMENT_TYPES.items()},
    Acquisition: "acquisition",
    UnitsAuthorized: "authorization",
    FirstTransferred: "first_transfer",
}
#: The cancellation kinds a body written before the typed journal could fold into ``purpose``.
LEGACY_CANCELLATION_KINDS = ("mandatory", "voluntary", "omge")


def entry_kind(entry: Entry) -> str:
    """The envelope's ``kind`` (and the journal row's ``kind`` column)."""
    match entry:
        case AccountOpened():
            return "account_opened"
        case AccountStatusChanged():
            return "account_status_changed"
        case AuthorizationVersion():
            return "authorization_version"
        case PeerTransferReserved():
            return PEER_TRANSFER_RESERVED
        case PeerTransferReleased():
            return PEER_TRANSFER_RELEASED
        case _:
            return "transaction"


def transaction_type(entry: TransactionEntry) -> str:
    return TYPE_OF[type(entry)]


# Writing ------------------------------------------------------------------------------------------


def write_body(recorded: Recorded) -> str:
    """The canonical body of ``recorded``: the one text its hash is computed over."""
    return canonical_json(body_of(recorded))


@dataclass(frozen=True, slots=True)
class Unsequenced:
    """An entry's canonical body but for its place in the chain, which only the journal's head,
    read under the registry's lock, tells: the text is made before that lock and only the number
    goes in under it (``text``). ``Unsequenced.of(...).text(sequence)`` is ``write_body`` of the
    same ``Recorded``, byte for byte: canonical JSON sorts the envelope's keys, so the body is the
    keys before ``"sequence"``, then it, then the keys after it, each written as ``write_body``
    writes them."""

    registry: str
    before: str  # '{"at":...,"kind":...,"registry":...,' (the keys sorting before "sequence")
    after: str  # ',"status":...}' (those after it), or "}"

    @classmethod
    def of(cls, registry: str, at: dt.datetime, entry: Entry, effective: dt.datetime | None = None) -> Unsequenced:
        body = body_of(Recorded(registry, 0, at, entry, effective))
        del body["sequence"]
        before = canonical_json({key: value for key, value in body.items() if key < "sequence"})[:-1]
        after = canonical_json({key: value for key, value in body.items() if key > "sequence"})[1:]
        return cls(registry, before + ("," if len(before) > 1 else "") + '"sequence":', ("," if len(after) > 1 else "") + after)

    def text(self, sequence: int) -> str:
        return f"{self.before}{int(sequence)}{self.after}"


def body_of(recorded: Recorded) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "kind": entry_kind(recorded.entry),
        "registry": recorded.registry,
        "sequence": recorded.sequence,
        "at": recorded.at.isoformat(),
    }
    if recorded.effective is not None:
        envelope["effective"] = recorded.effective.isoformat()
    return envelope | _fields(recorded.entry)


def _fields(entry: Entry) -> dict[str, Any]:
    match entry:
        case AccountOpened() | AccountStatusChanged():
            return {"account": entry.account, "type": entry.type, "status": entry.status, "entity": entry.entity, "purpose": entry.purpose}
        case AuthorizationVersion():
            return _authorization_fields(entry)
        case PeerTransferReserved():
            return {
                "transaction": entry.transaction,
                "from": entry.from_account,
                "to": entry.to_account,
                "to_registry": entry.to_registry,
                "proposal": entry.proposal,
                "ranges": _spans(entry.ranges),
            }
        case PeerTransferReleased():
            return {
                "transaction": entry.transaction,
                "to_registry": entry.to_registry,
                "outcome": entry.outcome,
                "codes": list(entry.codes),
                "ranges": _spans(entry.ranges),
            }
        case Issuance():
            actor = "by" if entry.legacy else "proposed_by"
            return _typed(entry) | {actor: entry.proposed_by, "to": entry.to_account, "blocks": [_block(b) for b in entry.blocks]}
        case Acquisition():
            return _typed(entry) | {
                "counterpart": entry.counterpart,
                "from_registry": entry.from_registry,
                "from": entry.from_account,
                "to": entry.to_account,
                "blocks": [_block(b) for b in entry.blocks],
            }
        case UnitsAuthorized():
            actor = "by" if entry.legacy else "proposed_by"
            return _typed(entry) | {
                actor: entry.proposed_by,
                "authorization": entry.authorization,
                "purposes": entry.purposes,
                "ranges": [_held(r) for r in entry.ranges],
            }
        case FirstTransferred():
            body = _typed(entry) | {
                "trigger": entry.trigger,
                "trigger_type": entry.trigger_type,
                "authorization": entry.authorization,
                "definition": entry.definition,
                "first_transferring_party": entry.first_transferring_party,
                "acquiring_party": entry.acquiring_party,
                "ranges": [_held(r) for r in entry.ranges],
            }
            if entry.adjustments is not None:
                body["adjustments"] = [_adjustment(a) for a in entry.adjustments]
            if entry.used_in is not None:
                body["used_in"] = entry.used_in
                body["units"] = [
                    [u.originating_registry, u.start, u.end, u.unit_type, u.project, u.vintage, u.approach] for u in entry.units
                ]
            return body
        case _:
            return _movement_fields(entry)


def _typed(entry: TransactionEntry) -> dict[str, Any]:
    return {"transaction": entry.transaction, "type": transaction_type(entry)}


def _movement_fields(entry: Movement) -> dict[str, Any]:
    body = _typed(entry) | {
        "proposed_by": entry.proposed_by,
        "approved_by": entry.approved_by,
        "from": entry.from_account,
        "to": entry.to_account,
        "ranges": _spans(entry.ranges),
    }
    match entry:
        case Cancellation(legacy=True):
            folded = f"oimp:{entry.oimp_purpose}" if entry.cancellation_kind == "oimp" else entry.cancellation_kind
            body["purpose"] = folded
        case Cancellation():
            body["cancellation_kind"] = entry.cancellation_kind
            if entry.oimp_purpose:
                body["oimp_purpose"] = entry.oimp_purpose
    if entry.purpose:
        body["purpose"] = entry.purpose
    if entry.reason:
        body["reason"] = entry.reason
    match entry:
        case Correction(corrects=int() as corrected):
            body["corrects"] = corrected
        case Retirement():
            body |= {"using_party": entry.using_party, "towards_ndc": entry.towards_ndc, "ndc_year": entry.ndc_year}
            if entry.adjustments is not None:
                body["adjustments"] = [_adjustment(a) for a in entry.adjustments]
        case ExternalTransfer():
            body["to_registry"] = entry.to_registry
    if entry.using_entity is not None:
        body["using_entity"] = entry.using_entity
    if isinstance(entry, DeclaredUse):
        for name in DECLARED_USE:
            if value := getattr(entry, name):
                body[name] = value
    return body


def _spans(ranges: tuple[Span, ...]) -> list[list[Any]]:
    return [[r.originating_registry, r.start, r.end] for r in ranges]


def _block(block: JournalBlock) -> dict[str, Any]:
    return {
        "originating_registry": block.originating_registry,
        "start": block.start,
        "end": block.end,
        "unit_type": block.unit_type,
        "project": block.project,
        "vintage": block.vintage,
        "approach": block.approach,
        "first_transferring_party": block.first_transferring_party,
        "issuance": block.issuance,
        "authorization": block.authorization,
        "first_transferred": block.first_transferred,
    }


def _held(span: HeldSpan) -> list[Any]:
    return [span.originating_registry, span.start, span.end, span.holder]


def _adjustment(adjustment: Adjustment) -> dict[str, Any]:
    return {
        "party": adjustment.party,
        "kind": adjustment.kind,
        "authorization": adjustment.authorization,
        "vintage": adjustment.vintage,
        "year": adjustment.year,
        "quantity": adjustment.quantity,
    }


def _authorization_fields(entry: AuthorizationVersion) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "authorization": entry.identifier,
        "version": entry.version,
        "date": entry.date.isoformat(),
        "cooperative_approach": entry.cooperative_approach,
        "purposes": entry.purposes,
        "oimp_purposes": entry.oimp_purposes,
        "first_transfer_definition": entry.first_transfer_definition,
        "authorized_quantity": entry.authorized_quantity,
        "document_reference": entry.document_reference,
        "authorized_parties": list(entry.authorized_parties),
        "authorized_entities": [_authorized_entity_fields(e) for e in entry.authorized_entities],
        "sectors": entry.sectors,
        "activity_types": entry.activity_types,
        "timeframe": entry.timeframe,
        "terms": entry.terms,
        "recorded_by": entry.recorded_by,
    }
    if entry.timeframe_first_vintage is not None:
        fields["timeframe_first_vintage"] = entry.timeframe_first_vintage
    if entry.timeframe_last_vintage is not None:
        fields["timeframe_last_vintage"] = entry.timeframe_last_vintage
    if entry.authorizing_party is not None:
        fields["authorizing_party"] = entry.authorizing_party
    return fields


def _authorized_entity_fields(e: AuthorizedEntity) -> dict[str, Any]:
    fields: dict[str, Any] = {"entity": e.entity, "name": e.name, "country": e.country, "identification_number": e.identification_number}
    for name in ("conditions", "change_and_revocation_conditions", "explanation"):
        if value := getattr(e, name):
            fields[name] = value
    return fields


# Parsing ------------------------------------------------------------------------------------------


def parse_body(text: str) -> Recorded:
    """The typed entry of a stored body; ``MalformedEntry`` if no entry kind describes it."""
    try:
        body = json.loads(text)
    except ValueError as error:
        raise MalformedEntry(f"not JSON: {error}") from None
    return parse(body)


def parse(body: Mapping[str, Any]) -> Recorded:
    """The typed entry of a body already read from JSON."""
    if not isinstance(body, Mapping):
        raise MalformedEntry("a body is a JSON object")
    reader = _Reader(body)
    try:
        registry, sequence, at = reader.text("registry"), reader.number("sequence"), reader.text("at")
        kind = reader.text("kind")
        entry = _parse_entry(kind, reader)
        when = dt.datetime.fromisoformat(at)
        effective_text = reader.optional_text("effective")
        effective = dt.datetime.fromisoformat(effective_text) if effective_text else None
    except KeyError as missing:
        raise MalformedEntry(f"{missing} is missing") from None
    except (TypeError, ValueError) as error:
        raise MalformedEntry(str(error)) from None
    reader.finish()
    return Recorded(registry, sequence, when, entry, effective)


def _parse_entry(kind: str, r: _Reader) -> Entry:
    if kind in ("account_opened", "account_status_changed"):
        cls = AccountOpened if kind == "account_opened" else AccountStatusChanged
        return cls(r.text("account"), r.text("type"), r.text("status"), r.number_or_null("entity"), r.text("purpose"))
    if kind == "authorization_version":
        return _parse_authorization(r)
    if kind == PEER_TRANSFER_RESERVED:
        return PeerTransferReserved(
            r.number("transaction"), r.text("from"), r.text("to"), r.text("to_registry"), r.text("proposal"), _spans_of(r)
        )
    if kind == PEER_TRANSFER_RELEASED:
        codes = r.items("codes")
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
            raise MalformedEntry("codes are check codes")
        return PeerTransferReleased(r.number("transaction"), r.text("to_registry"), r.text("outcome"), tuple(codes), _spans_of(r))
    if kind != "transaction":
        raise MalformedEntry(f"unknown entry kind {kind!r}")
    kind = r.text("type")
    transaction = r.number("transaction")
    if kind == "issuance":
        legacy = "by" in r.body
        return Issuance(transaction, r.text_or_null("by" if legacy else "proposed_by"), r.text("to"), _blocks(r, "blocks"), legacy)
    if kind == "acquisition":
        return Acquisition(
            transaction, r.number("counterpart"), r.text("from_registry"), r.text("from"), r.text("to"), _blocks(r, "blocks")
        )
    if kind == "authorization":
        legacy = "by" in r.body
        by = r.text_or_null("by" if legacy else "proposed_by")
        return UnitsAuthorized(transaction, by, r.text("authorization"), r.text("purposes"), _held_spans(r), legacy)
    if kind == "first_transfer":
        return FirstTransferred(
            transaction,
            r.number("trigger"),
            r.text("trigger_type"),
            r.text("authorization"),
            r.text("definition"),
            r.text("first_transferring_party"),
            r.text_or_null("acquiring_party"),
            _held_spans(r),
            _adjustments(r),
            r.optional_text("used_in") or None,
            _used_units(r),
        )
    if kind in MOVEMENT_TYPES:
        return _parse_movement(kind, transaction, r)
    raise MalformedEntry(f"unknown transaction type {kind!r}")


def _parse_movement(kind: str, transaction: int, r: _Reader) -> Movement:
    common: dict[str, Any] = {
        "transaction": transaction,
        "proposed_by": r.text_or_null("proposed_by"),
        "approved_by": r.text_or_null("approved_by"),
        "from_account": r.text("from"),
        "to_account": r.text("to"),
        "ranges": _spans_of(r),
        "reason": r.optional_text("reason"),
        "using_entity": r.optional_number("using_entity"),
    }
    if kind == "cancellation":
        if "cancellation_kind" in r.body:
            return Cancellation(
                **common,
                cancellation_kind=r.text("cancellation_kind"),
                oimp_purpose=r.optional_text("oimp_purpose"),
                purpose=r.optional_text("purpose"),
                **_declared_use(r),
            )
        # Before the typed journal the kind was the purpose, and an OIMP purpose followed "oimp:".
        folded = r.text("purpose")
        cancellation_kind, _, oimp_purpose = folded.partition(":")
        if not (cancellation_kind == "oimp" and oimp_purpose) and folded not in LEGACY_CANCELLATION_KINDS:
            raise MalformedEntry(f"a cancellation whose purpose {folded!r} names no cancellation kind")
        return Cancellation(**common, cancellation_kind=cancellation_kind, oimp_purpose=oimp_purpose, legacy=True)
    common["purpose"] = r.optional_text("purpose")
    if kind == "internal_transfer":
        return InternalTransfer(**common)
    if kind == "correction":
        return Correction(**common, corrects=r.optional_number("corrects"))
    if kind == "external_transfer":
        return ExternalTransfer(**common, to_registry=r.text("to_registry"))
    return Retirement(
        **common,
        using_party=r.text_or_null("using_party"),
        towards_ndc=r.flag("towards_ndc"),
        ndc_year=r.number_or_null("ndc_year"),
        adjustments=_adjustments(r),
        **_declared_use(r),
    )


class _DeclaredUseFields(TypedDict):
    purpose_code: str
    aim: str
    credit_user: str
    use_country: str


def _declared_use(r: _Reader) -> _DeclaredUseFields:
    return _DeclaredUseFields(
        purpose_code=r.optional_text("purpose_code"),
        aim=r.optional_text("aim"),
        credit_user=r.optional_text("credit_user"),
        use_country=r.optional_text("use_country"),
    )


def _parse_authorization(r: _Reader) -> AuthorizationVersion:
    entities = []
    for item in r.items("authorized_entities"):
        e = _Reader(item)
        entities.append(
            AuthorizedEntity(
                e.number("entity"),
                e.text("name"),
                e.text("country"),
                e.text("identification_number"),
                conditions=e.optional_text("conditions"),
                change_and_revocation_conditions=e.optional_text("change_and_revocation_conditions"),
                explanation=e.optional_text("explanation"),
            )
        )
        e.finish()
    parties = r.items("authorized_parties")
    if not all(isinstance(p, str) for p in parties):
        raise MalformedEntry("authorized parties are alpha-3 codes")
    return AuthorizationVersion(
        identifier=r.text("authorization"),
        version=r.number("version"),
        date=dt.date.fromisoformat(r.text("date")),
        cooperative_approach=r.text("cooperative_approach"),
        purposes=r.text("purposes"),
        oimp_purposes=r.text("oimp_purposes"),
        first_transfer_definition=r.text("first_transfer_definition"),
        authorized_quantity=r.number_or_null("authorized_quantity"),
        document_reference=r.text("document_reference"),
        authorized_parties=tuple(parties),
        authorized_entities=tuple(entities),
        sectors=r.text("sectors"),
        activity_types=r.text("activity_types"),
        timeframe=r.text("timeframe"),
        terms=r.text("terms"),
        recorded_by=r.text_or_null("recorded_by"),
        timeframe_first_vintage=r.optional_number("timeframe_first_vintage"),
        timeframe_last_vintage=r.optional_number("timeframe_last_vintage"),
        authorizing_party=r.optional_text("authorizing_party") or None,
    )


def _blocks(r: _Reader, key: str) -> tuple[JournalBlock, ...]:
    blocks = []
    for item in r.items(key):
        b = _Reader(item)
        blocks.append(
            JournalBlock(
                b.text("originating_registry"),
                b.number("start"),
                b.number("end"),
                b.text("unit_type"),
                b.text("project"),
                b.number("vintage"),
                b.text_or_null("approach"),
                b.text_or_null("first_transferring_party"),
                b.number("issuance"),
                b.text_or_null("authorization"),
                b.flag("first_transferred"),
            )
        )
        b.finish()
    return tuple(blocks)


def _used_units(r: _Reader) -> tuple[UsedUnits, ...]:
    if "units" not in r.body:
        return ()
    found = []
    for row in r.items("units"):
        if not isinstance(row, list) or len(row) != 7 or not (row[6] is None or isinstance(row[6], str)):
            raise MalformedEntry(f"used units are [registry, start, end, unit type, project, vintage, approach], not {row!r}")
        registry, start, end, unit_type, project, vintage = _row(row[:6], (str, int, int, str, str, int))
        found.append(UsedUnits(registry, start, end, unit_type, project, vintage, row[6]))
    return tuple(found)


def _spans_of(r: _Reader) -> tuple[Span, ...]:
    return tuple(Span(*_row(row, (str, int, int))) for row in r.items("ranges"))


def _held_spans(r: _Reader) -> tuple[HeldSpan, ...]:
    return tuple(HeldSpan(*_row(row, (str, int, int, str))) for row in r.items("ranges"))


def _adjustments(r: _Reader) -> tuple[Adjustment, ...] | None:
    if "adjustments" not in r.body:
        return None
    found = []
    for item in r.items("adjustments"):
        a = _Reader(item)
        found.append(
            Adjustment(
                a.text("party"), a.text("kind"), a.text("authorization"), a.number("vintage"), a.number("year"), a.number("quantity")
            )
        )
        a.finish()
    return tuple(found)


def _row(row: object, types: tuple[type, ...]) -> list[Any]:
    if not isinstance(row, list) or len(row) != len(types):
        raise MalformedEntry(f"a range is a list of {len(types)} values, not {row!r}")
    for value, expected in zip(row, types, strict=True):
        if not isinstance(value, expected) or isinstance(value, bool):
            raise MalformedEntry(f"a range holds {row!r}")
    return row


class _Reader:
    """Reads typed values out of one JSON object and remembers which keys it read."""

    def __init__(self, body: object) -> None:
        if not isinstance(body, dict):
            raise MalformedEntry(f"an object was expected, not {body!r}")
        self.body: dict[str, Any] = body
        self._read: set[str] = set()

    def _get(self, key: str, types: tuple[type, ...], optional: bool = False, default: Any = None) -> Any:
        if key not in self.body:
            if optional:
                return default
            raise KeyError(key)
        self._read.add(key)
        value = self.body[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise MalformedEntry(f"{key} holds {value!r}")
        if optional and value in ("", None):
            raise MalformedEntry(f"{key} is written only when it has a value")
        return value

    def text(self, key: str) -> str:
        value: str = self._get(key, (str,))
        return value

    def text_or_null(self, key: str) -> str | None:
        value: str | None = self._get(key, (str, type(None)))
        return value

    def optional_text(self, key: str) -> str:
        """A text the writer leaves out when empty."""
        value: str = self._get(key, (str,), optional=True, default="")
        return value

    def number(self, key: str) -> int:
        value: int = self._get(key, (int,))
        return value

    def number_or_null(self, key: str) -> int | None:
        value: int | None = self._get(key, (int, type(None)))
        return value

    def optional_number(self, key: str) -> int | None:
        """A number the writer leaves out when there is none."""
        value: int | None = self._get(key, (int,), optional=True)
        return value

    def flag(self, key: str) -> bool:
        value: bool = self._get(key, (bool,))
        return value

    def items(self, key: str) -> list[Any]:
        value: list[Any] = self._get(key, (list,))
        return value

    def finish(self) -> None:
        unknown = set(self.body) - self._read
        if unknown:
            raise MalformedEntry(f"unknown keys {sorted(unknown)}")
