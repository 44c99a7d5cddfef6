"""The sending side of a transfer to a peer registry: the outbox, and settling on a signed answer.

When a transfer to a peer's account is approved (and past any delay), the movement engine keeps
its units reserved and sends ``peer_transfer_due``; ``enqueue_proposal`` answers it by signing the
proposal and storing it (``OutboundTransfer``) in that same database transaction. The worker
(``registry.peers.worker``) sends it; ``settle`` applies the peer's signed answer: accepted, the
units leave (external transfer journaled, first transfers recorded by this, the first transferring,
Party); refused or void, the reservation is released. Nothing else ever settles a transfer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction as db
from django.dispatch import receiver

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.article6 import rules
from registry.article6.models import Authorization, FirstTransferDefinition
from registry.core import peer_messages as pm
from registry.core.checks import Check, CheckFailed, check_by_code
from registry.core.status import Status
from registry.peers.keys import signing_key
from registry.peers.models import OutboundState, OutboundTransfer, Peer
from registry.transactions import engine
from registry.transactions.handoff import peer_transfer_due
from registry.transactions.models import Transaction
from registry.units.holdings import identifier_of
from registry.units.models import UnitBlock


def resend_for() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REGISTRY_PEER_RESEND_SECONDS)


def proposed_block(block: UnitBlock, first_transferred: bool) -> pm.ProposedBlock:
    project = block.project
    return pm.ProposedBlock(
        originating_registry=block.originating_registry,
        start=block.start,
        end=block.end,
        unit_type=block.unit_type.code,
        programme=block.unit_type.programme.code,
        project=project.identifier,
        project_name=project.name,
        host_party=project.host_party.alpha3,
        vintage=block.vintage,
        cooperative_approach=block.cooperative_approach.identifier if block.cooperative_approach else None,
        first_transferring_party=block.first_transferring_party.alpha3 if block.first_transferring_party else None,
        issuance=block.issuance_id,
        authorization=block.authorization.identifier if block.authorization else None,
        first_transferred=first_transferred,
        identifier=identifier_of(block),
    )


def proposed_authorization(authorization: Authorization) -> pm.ProposedAuthorization:
    party = authorization.authorizing_party or authorization.registry.party
    return pm.ProposedAuthorization(
        identifier=authorization.identifier,
        version=authorization.version,
        party=party.alpha3,
        date=authorization.date.isoformat(),
        cooperative_approach=authorization.cooperative_approach.identifier,
        purposes=authorization.purposes,
        oimp_purposes=authorization.oimp_purposes,
        first_transfer_definition=authorization.first_transfer_definition,
        document_reference=authorization.document_reference,
    )


@receiver(peer_transfer_due, dispatch_uid="registry.peers.enqueue_proposal")
def enqueue_proposal(sender: object, transaction: Transaction, blocks: Sequence[UnitBlock], now: dt.datetime, **_: Any) -> str:
    """Sign the proposal of ``transaction`` and put it in the outbox (the caller's database
    transaction); the proposal's message id."""
    assert transaction.from_account is not None and transaction.to_account is not None
    peer_id = engine.peer_registry_of(transaction.to_account)
    peer = Peer.objects.registered().filter(registry_id=peer_id).first()
    if peer is None:
        raise CheckFailed(Check.PEER_UNKNOWN, registry=peer_id)
    # What the blocks will be once the transfer completes here: those whose first transfer is this
    # international transfer arrive first transferred (recorded here, once, when the peer accepts).
    due = {b.pk for b in rules.first_transfer_due(blocks, FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER)}
    ordered = sorted(blocks, key=lambda b: (b.originating_registry, b.start))
    proposal = pm.Proposal(
        transfer=transaction.pk,
        transferring_account=transaction.from_account.number,
        acquiring_account=transaction.to_account.number,
        blocks=tuple(proposed_block(b, b.first_transferred or b.pk in due) for b in ordered),
        authorizations=tuple(
            proposed_authorization(a) for a in sorted({b.authorization for b in ordered if b.authorization}, key=lambda a: a.identifier)
        ),
    )
    envelope = pm.new_envelope(transaction.registry.registry_id, peer_id, pm.TRANSFER_PROPOSAL, proposal.as_payload(), now)
    OutboundTransfer.objects.create(
        transaction=transaction,
        peer=peer,
        proposal=json.dumps(pm.sign_message(envelope, signing_key())),
        proposal_id=envelope.message_id,
        created_at=envelope.created_at,
        ask_after=envelope.created_at + resend_for(),
        next_attempt_at=now,
        blocks=json.dumps([[b.originating_registry, b.start, b.end, b.issuance_id] for b in ordered]),
    )
    return envelope.message_id  # the movement engine journals the reservation with it


def settle(outbound: OutboundTransfer, kind: str, answer: pm.Answer, answer_text: str, now: dt.datetime) -> str:
    """Apply a signed ``answer`` (to the proposal or to a ``status`` question): complete, release or
    wait, in one database transaction under the transaction's and its blocks' locks. Idempotent: a
    transfer settled already stays as it is."""
    decision = pm.settlement(kind, answer)
    if decision == pm.SETTLE_WAIT:
        return decision
    with db.atomic():
        locked = OutboundTransfer.objects.select_for_update(of=("self",)).select_related("transaction", "peer").get(pk=outbound.pk)
        if locked.state != OutboundState.PROPOSED:
            return pm.SETTLE_WAIT
        tx, moving = engine.lock_pending(locked.transaction, Status.PROPOSED, "completed")
        if decision == pm.SETTLE_COMPLETE:
            engine.complete_at_peer(tx, moving, now)
            locked.state = OutboundState.COMPLETED
        else:
            outcome = "void" if (answer.result or {}).get("state") == "void" else "refused"
            codes, failure = peer_refusal(locked.peer.registry_id, answer)
            engine.release_from_peer(tx, moving, outcome, codes, failure, now)
            locked.state = OutboundState.RELEASED
        locked.answer, locked.settled_at = answer_text, now
        locked.save(update_fields=["state", "answer", "settled_at"])
        log_operation(
            None,
            Operation.PEER_MESSAGE_SENT,
            registry=tx.registry,
            target=f"T{tx.pk} to {locked.peer.registry_id}",
            outcome=f"{locked.state} {' '.join(str(c) for c in answer.codes)}".strip(),
        )
    return decision


def peer_refusal(
    peer: str, answer: pm.Answer, check: Check = Check.PEER_TRANSFER_REFUSED, **about: Any
) -> tuple[tuple[int, ...], CheckFailed]:
    """The peer's refusal (or the refused or void state it reports) as this registry's 1515 (or
    ``check``, with ``about``'s values: 1520 for a notice): the peer's check codes with their
    parameters, worded from this registry's own catalogue (``registry.refusals`` words them again
    in each reader's language), the peer's own words kept beside them as ``words``."""
    result = answer.result or {}
    codes = tuple(int(c) for c in (answer.codes or result.get("codes") or ())) or (Check.PEER_TRANSFER_VOID.code,)
    parameters = list(answer.parameters or result.get("parameters") or [])
    parameters += [{}] * (len(codes) - len(parameters))
    checks = [
        {"code": code, "params": dict(params) if isinstance(params, dict) else {}} for code, params in zip(codes, parameters, strict=False)
    ]
    return codes, CheckFailed(
        check,
        **about,
        registry=peer,
        code=codes[0],
        detail=peer_checks_text(checks),
        words=(answer.detail or "-")[:1000],
        checks=json.dumps(checks, ensure_ascii=False, sort_keys=True)[:4000],
    )


def peer_checks_text(checks: Sequence[dict[str, Any]]) -> str:
    """The peer's checks in this registry's English wording (the record's ``check_message``)."""
    texts = []
    for item in checks:
        try:
            texts.append(check_by_code(int(item["code"])).format(**item["params"]))
        except (KeyError, ValueError, IndexError, TypeError):
            texts.append(f"check {item['code']} (not a check of this registry; see the peer's words)")
    return " ".join(texts)
