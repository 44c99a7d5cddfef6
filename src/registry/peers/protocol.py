"""The receiving side of the peer protocol: the one door every message of another installation
comes in by (``receive``, behind ``POST /api/v1/peer/``), and what each kind does.

A message whose envelope fails a check (1501-1505, 7504) is answered with a problem (4xx) and
changes nothing: it may not even come from the peer. One that passes is answered with a signed
``ack`` and remembered with that answer (``SeenMessage``), in the same database transaction as
what it did (an acquisition, a decision about a transfer): the same message again gets the same
answer and does nothing more; the same id with another body is refused (1504). Every accepted and
refused message is in the operation log (``peer_message_received``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import logging
from typing import Any

from django.db import IntegrityError
from django.db import transaction as db
from django.utils import timezone

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.accounts.models import Account, AccountStatus, AccountType
from registry.accounts.services import lock_accounts
from registry.article6.models import Authorization
from registry.article6.services import record_foreign_authorization
from registry.core import entries
from registry.core import peer_messages as pm
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.journal.services import append_entry, lock_registry
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Project, Registry, UnitType
from registry.parties.services import party_of_iso_code
from registry.peers import notices
from registry.peers.keys import signing_key
from registry.peers.models import InboundState, InboundTransfer, Peer, SeenMessage
from registry.peers.services import mirror_account
from registry.transactions import events
from registry.transactions.blocks import as_journal_block, blocks_overlapping, merge_with_neighbours
from registry.transactions.models import Transaction, TransactionBlock, TransactionStatus, TransactionType
from registry.units.holdings import identifier_of
from registry.units.models import UnitBlock

logger = logging.getLogger("registry.peers")

#: HTTP status of each envelope refusal (docs/interoperability.md §3).
ENVELOPE_STATUS = {1501: 400, 1502: 400, 1503: 400, 1505: 400, 1504: 409, 7504: 403}
#: Accounts that receive units from another registry.
RECEIVING_TYPES = (AccountType.PARTY_HOLDING, AccountType.ENTITY_HOLDING)


def hosted_registries() -> set[str]:
    return set(Registry.objects.values_list("registry_id", flat=True))


def peer_keys() -> dict[str, Any]:
    return {p.registry_id: pm.parse_public_key(p.public_key) for p in Peer.objects.registered()}


def digest(envelope: pm.Envelope) -> str:
    return hashlib.sha256(envelope.canonical_body()).hexdigest()


def receive(message: object, ip: str | None = None, now: dt.datetime | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body answering ``message`` (the parsed JSON of the request)."""
    moment = now or timezone.now()
    try:
        envelope = pm.open_message(message, peer_keys=peer_keys(), hosted=hosted_registries(), now=moment, seen=lambda _id: False)
    except CheckFailed as failure:
        _log(None, f"refused {failure.code}", ip, _describe(message))
        return ENVELOPE_STATUS.get(failure.code, 400), {"code": failure.code, "detail": failure.message}
    body_digest = digest(envelope)
    for _attempt in range(2):
        earlier = SeenMessage.objects.filter(sender=envelope.sender, message_id=envelope.message_id).first()
        if earlier is not None:
            if earlier.digest != body_digest:
                reused = CheckFailed(Check.PEER_MESSAGE_REPLAYED, message=envelope.message_id)
                _log(envelope, f"refused {reused.code}", ip)
                return 409, {"code": reused.code, "detail": reused.message}
            _log(envelope, "duplicate: the first answer again", ip)
            return 200, json.loads(earlier.answer)
        try:
            with db.atomic():
                answer = _dispatch(envelope, moment)
                signed = pm.sign_message(
                    pm.new_envelope(envelope.receiver, envelope.sender, pm.ACK, answer.as_payload(), moment), signing_key()
                )
                SeenMessage.objects.create(
                    sender=envelope.sender,
                    message_id=envelope.message_id,
                    kind=envelope.kind,
                    digest=body_digest,
                    received_at=moment,
                    answer=json.dumps(signed),
                )
        except IntegrityError:
            continue  # the same message, processed concurrently, committed first: answer as it did
        outcome = "accepted" if answer.outcome == pm.ACCEPTED else f"refused {' '.join(str(c) for c in answer.codes)}"
        _log(envelope, outcome, ip)
        return 200, signed
    raise RuntimeError(f"message {envelope.message_id} neither recorded nor found")


def _describe(message: object) -> str:
    body = message.get("body") if isinstance(message, dict) else None
    if isinstance(body, dict):
        return f"{body.get('kind')} {body.get('message_id')} from {body.get('sender')}"[:200]
    return "unreadable message"


def _log(envelope: pm.Envelope | None, outcome: str, ip: str | None, target: str = "") -> None:
    if envelope is not None:
        target = f"{envelope.kind} {envelope.message_id} from {envelope.sender} to {envelope.receiver}"
    registry = Registry.objects.filter(registry_id=envelope.receiver).first() if envelope else None
    log_operation(None, Operation.PEER_MESSAGE_RECEIVED, registry=registry, target=target, outcome=outcome, ip=ip)


def _dispatch(envelope: pm.Envelope, now: dt.datetime) -> pm.Answer:
    """What the kind of ``envelope`` answers; a check failing in it is a signed refusal that changed nothing."""
    try:
        with db.atomic():  # a refusal undoes whatever the kind had begun, and is recorded afterwards
            if envelope.kind == pm.PING:
                return pm.accepted(envelope.message_id, {"registries": sorted(hosted_registries()), "protocol": pm.PROTOCOL_VERSION})
            if envelope.kind == pm.TRANSFER_PROPOSAL:
                return _proposal(envelope, now)
            if envelope.kind == pm.STATUS:
                return _status(envelope, now)
            if envelope.kind == pm.HOLDINGS_QUERY:
                return _holdings_query(envelope)
            if envelope.kind == pm.FIRST_TRANSFER_NOTICE:
                return notices.answer_notice(envelope, now)
            raise CheckFailed(Check.PEER_MESSAGE_KIND_UNKNOWN, message=envelope.message_id, kind=envelope.kind, known=", ".join(pm.KINDS))
    except CheckFailed as failure:
        if envelope.kind == pm.TRANSFER_PROPOSAL and failure.check != Check.PEER_PAYLOAD_INVALID:
            _decide_refused(envelope, failure, now)
        return pm.refused(envelope.message_id, failure)
    except pm.PayloadInvalid as invalid:
        return pm.refused(envelope.message_id, CheckFailed(Check.PEER_PAYLOAD_INVALID, message=envelope.message_id, detail=str(invalid)))


def _holdings_query(envelope: pm.Envelope) -> pm.Answer:
    """Reconciliation (``registry.peers.reconcile``) answers these; refused while it is not installed."""
    try:
        reconcile = importlib.import_module("registry.peers.reconcile")
    except ModuleNotFoundError:
        raise CheckFailed(Check.PEER_KIND_NOT_ANSWERED, kind=envelope.kind) from None
    peer = Peer.objects.registered().get(registry_id=envelope.sender)
    return pm.accepted(envelope.message_id, reconcile.answer_holdings_query(peer, dict(envelope.payload)))


# A transfer proposal ------------------------------------------------------------------------------


def _decided(sender: str, transfer: int) -> InboundTransfer | None:
    return InboundTransfer.objects.select_for_update().filter(sender=sender, transfer=transfer).first()


def _answer_decided(envelope: pm.Envelope, decided: InboundTransfer) -> pm.Answer:
    """A transfer decided before (another proposal message for it, or asked about first)."""
    if decided.state == InboundState.ACCEPTED:
        return pm.accepted(envelope.message_id, {"transfer": decided.transfer, "acquisition": decided.acquisition_id})
    codes = tuple(int(c) for c in decided.codes.split()) or (Check.PEER_TRANSFER_VOID.code,)
    return pm.Answer(envelope.message_id, pm.REFUSED, codes, decided.detail, {}, _parameters(decided, codes))


def _parameters(decided: InboundTransfer, codes: tuple[int, ...]) -> tuple[dict[str, Any], ...]:
    """The values of each refusal code, as kept (none for a decision kept before they were)."""
    kept = [p for p in decided.parameters or [] if isinstance(p, dict)]
    return tuple(kept) if len(kept) == len(codes) else ()


def _decide_refused(envelope: pm.Envelope, failure: CheckFailed, now: dt.datetime) -> None:
    """Keep the refusal of a proposal, so a state question about it gets the same answer."""
    transfer = envelope.payload.get("transfer")
    if not isinstance(transfer, int) or isinstance(transfer, bool) or failure.check == Check.PEER_TRANSFER_VOID:
        return
    InboundTransfer.objects.get_or_create(
        sender=envelope.sender,
        transfer=transfer,
        defaults={
            "state": InboundState.REFUSED,
            "codes": str(failure.code),
            "detail": failure.message,
            "parameters": [pm.wire_parameters(failure.params)],
            "message_id": envelope.message_id,
            "decided_at": now,
        },
    )


def _proposal(envelope: pm.Envelope, now: dt.datetime) -> pm.Answer:
    try:
        proposal = pm.parse_proposal(envelope.payload, envelope.sender, envelope.receiver)
    except pm.PayloadInvalid as invalid:
        raise CheckFailed(Check.PEER_PAYLOAD_INVALID, message=envelope.message_id, detail=str(invalid)) from None
    decided = _decided(envelope.sender, proposal.transfer)
    if decided is not None:
        if decided.state == InboundState.VOID:
            raise CheckFailed(Check.PEER_TRANSFER_VOID, transfer=f"{envelope.sender}-T{proposal.transfer}")
        return _answer_decided(envelope, decided)
    acquisition = acquire(envelope.sender, proposal, now)
    InboundTransfer.objects.create(
        sender=envelope.sender,
        transfer=proposal.transfer,
        state=InboundState.ACCEPTED,
        acquisition=acquisition,
        message_id=envelope.message_id,
        decided_at=now,
    )
    return pm.accepted(envelope.message_id, {"transfer": proposal.transfer, "acquisition": acquisition.pk})


def acquire(sender: str, proposal: pm.Proposal, now: dt.datetime) -> Transaction:
    """The acquisition of ``proposal``'s blocks into its acquiring account, checked first (one
    database transaction, under the account's and the registry's locks, journaled)."""
    account = Account.objects.select_related("registry").filter(number=proposal.acquiring_account).exclude(type=AccountType.PEER).first()
    receiving = account.registry.registry_id if account else proposal.acquiring_account.split("-", 1)[0]
    if account is None or account.registry.registry_id != receiving:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_UNKNOWN, account=proposal.acquiring_account, registry=receiving)
    registry = account.registry
    sending = mirror_account(registry, proposal.transferring_account, f"Account {proposal.transferring_account} of peer registry {sender}")
    account = lock_accounts([account, sending])[account.pk]
    if account.status == AccountStatus.BLOCKED:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_BLOCKED, account=account.number)
    if account.status == AccountStatus.CLOSED:
        raise CheckFailed(Check.ACQUIRING_ACCOUNT_CLOSED, account=account.number)
    if account.type not in RECEIVING_TYPES:
        raise CheckFailed(Check.PEER_ACCOUNT_CANNOT_RECEIVE, account=account.number, account_type=account.type)
    here = [
        f"{b.originating_registry}:{b.start}-{b.end}"
        for b in proposal.blocks
        if blocks_overlapping(b.originating_registry, SerialRange(b.start, b.end))
    ]
    if here:
        raise CheckFailed(Check.PEER_UNITS_ALREADY_HERE, blocks=here, ranges=", ".join(here))
    registry = lock_registry(registry)
    authorizations = {a.identifier: a for a in proposal.authorizations}
    attributes = [_attributes(registry, b, authorizations, sender) for b in proposal.blocks]
    acquisition = Transaction.objects.create(
        registry=registry,
        type=TransactionType.ACQUISITION,
        status=TransactionStatus.COMPLETED,
        from_account=sending,
        to_account=account,
        quantity=proposal.quantity,
        created_at=now,
        completed_at=now,
        reason=f"from peer registry {sender}, its transaction {proposal.transfer}",
    )
    # Issued elsewhere: the acquisition is where these units entered this installation (verify
    # counts them from it as it counts issued units from their issuance).
    arriving = []
    for block, found in zip(proposal.blocks, attributes, strict=True):
        arriving.append(
            UnitBlock.objects.create(
                account=account,
                originating_registry=block.originating_registry,
                start=block.start,
                end=block.end,
                vintage=block.vintage,
                issuance=acquisition,
                first_transferred=block.first_transferred,
                **found,
            )
        )
    TransactionBlock.objects.bulk_create(
        TransactionBlock(
            transaction=acquisition,
            originating_registry=b.originating_registry,
            start=b.start,
            end=b.end,
            vintage=b.vintage,
            identifier=identifier_of(b),
        )
        for b in arriving
    )
    entry = entries.Acquisition(
        acquisition.pk,
        proposal.transfer,
        sender,
        proposal.transferring_account,
        account.number,
        tuple(as_journal_block(b) for b in sorted(arriving, key=lambda b: (b.originating_registry, b.start))),
    )
    # Blocks apart at the sender (one came back there, say) arrive alike here: kept whole, as every
    # movement keeps them (verify finds touching blocks of one account sharing every attribute).
    for pk in sorted((b.originating_registry, b.start, b.pk) for b in arriving):
        arrived = UnitBlock.objects.filter(pk=pk[2]).first()  # an earlier merge may have absorbed it
        if arrived is not None:
            merge_with_neighbours(arrived)
    append_entry(registry, entry, now, transaction_id=acquisition.pk)
    events.completed(acquisition)
    return acquisition


def _attributes(
    registry: Registry, block: pm.ProposedBlock, authorizations: dict[str, pm.ProposedAuthorization], sender: str
) -> dict[str, Any]:
    """The rows this installation names the block's attributes by: reference data (unit type,
    programme, approach, Parties) must be known or creatable; the project is registered in the
    receiving registry on first arrival (1511 if it exists there with other attributes)."""
    unit_type = UnitType.objects.select_related("programme").filter(code=block.unit_type).first()
    if unit_type is None:
        raise CheckFailed(Check.PEER_REFERENCE_UNKNOWN, field="unit type", value=block.unit_type)
    programme = CreditingProgramme.objects.filter(code=block.programme).first()
    if programme is None or unit_type.programme_id != programme.pk:
        raise CheckFailed(Check.PEER_REFERENCE_UNKNOWN, field="programme", value=block.programme)
    approach = None
    if block.cooperative_approach is not None:
        approach = CooperativeApproach.objects.filter(identifier=block.cooperative_approach).first()
        if approach is None:
            raise CheckFailed(Check.PEER_REFERENCE_UNKNOWN, field="cooperative approach", value=block.cooperative_approach)
    host = party(block.host_party)
    first_transferring = party(block.first_transferring_party) if block.first_transferring_party else None
    project, created = Project.objects.get_or_create(
        registry=registry,
        identifier=block.project,
        defaults={"name": block.project_name, "programme": programme, "host_party": host, "cooperative_approach": approach},
    )
    if not created and (project.programme_id != programme.pk or project.host_party_id != host.pk):
        raise CheckFailed(Check.PEER_PROJECT_CONFLICT, project=block.project, registry=registry.registry_id)
    authorization = None
    if block.authorization is not None:
        authorization = _authorization(registry, authorizations[block.authorization], sender)
    return {
        "unit_type": unit_type,
        "project": project,
        "cooperative_approach": approach,
        "first_transferring_party": first_transferring,
        "authorization": authorization,
    }


def _authorization(registry: Registry, described: pm.ProposedAuthorization, sender: str) -> Authorization:
    """The authorisation ITMOs arrive under: this installation's own (units coming back), the other
    Party's as recorded here before, or that Party's, recorded and journaled now as its registry
    describes it (1516 if the identifier is taken by another Party's, 1512 for an unknown approach)."""
    known = Authorization.objects.select_related("registry__party", "authorizing_party").filter(identifier=described.identifier).first()
    if known is not None:
        party_of_known = known.authorizing_party or known.registry.party
        if party_of_known.alpha3 != described.party or (known.authorizing_party is not None and known.registry_id != registry.pk):
            raise CheckFailed(Check.PEER_AUTHORIZATION_CONFLICT, authorization=described.identifier)
        return known
    approach = CooperativeApproach.objects.filter(identifier=described.cooperative_approach).first()
    if approach is None:
        raise CheckFailed(Check.PEER_REFERENCE_UNKNOWN, field="cooperative approach", value=described.cooperative_approach)
    try:
        return record_foreign_authorization(
            registry,
            party=party(described.party),
            identifier=described.identifier,
            version=described.version,
            date=dt.date.fromisoformat(described.date),
            cooperative_approach=approach,
            purposes=described.purposes,
            oimp_purposes=described.oimp_purposes,
            first_transfer_definition=described.first_transfer_definition,
            document_reference=described.document_reference,
            recorded_by=f"peer {sender}",
        )
    except ValueError as invalid:  # a purpose or first-transfer moment this registry does not know
        raise CheckFailed(Check.PEER_REFERENCE_UNKNOWN, field="authorisation", value=f"{described.identifier} ({invalid})") from None


def party(alpha3: str) -> Party:
    """The Party of ISO code ``alpha3`` (recorded from the ISO list on first mention; 1512 if it is no country)."""
    found = party_of_iso_code(alpha3)
    if found is None:
        raise CheckFailed(Check.PEER_REFERENCE_UNKNOWN, field="Party", value=alpha3)
    return found


# A question about a transfer's state ------------------------------------------------------------


def _status(envelope: pm.Envelope, now: dt.datetime) -> pm.Answer:
    """The state of a transfer the asker proposed: accepted or refused as decided, or ``void``:
    never proposed (or not yet arrived), and from now on never accepted, so the asker may release
    its units knowing they can never arrive here later."""
    transfer = pm.parse_status_query(envelope.payload)
    decided = _decided(envelope.sender, transfer)
    if decided is None:
        void = CheckFailed(Check.PEER_TRANSFER_VOID, transfer=f"{envelope.sender}-T{transfer}")
        decided = InboundTransfer.objects.create(
            sender=envelope.sender,
            transfer=transfer,
            state=InboundState.VOID,
            codes=str(void.code),
            detail=void.message,
            parameters=[pm.wire_parameters(void.params)],
            message_id=envelope.message_id,
            decided_at=now,
        )
    codes = tuple(int(c) for c in decided.codes.split())
    result: dict[str, Any] = {"transfer": transfer, "state": decided.state, "codes": list(codes)}
    if parameters := _parameters(decided, codes):
        result["parameters"] = list(parameters)
    if decided.acquisition_id is not None:
        result["acquisition"] = decided.acquisition_id
    return pm.accepted(envelope.message_id, result)
