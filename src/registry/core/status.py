"""The life of a transaction (DESIGN.md section 4).

``proposed`` -> ``awaiting_approval`` -> ``delayed`` -> ``completed``; or ``rejected`` (by checks or
the approver) or ``cancelled`` (by the proposer) before completion. Holdings change only on
completion; units of a pending transaction are reserved until it reaches a final status.

A transfer to a peer registry's account is ``proposed`` (to the peer) once approved and past any
delay, until the peer's answer completes or rejects it; nobody cancels it then
(docs/interoperability.md).
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PROPOSED = "proposed"
    AWAITING_APPROVAL = "awaiting_approval"
    DELAYED = "delayed"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


FINAL = frozenset({Status.COMPLETED, Status.REJECTED, Status.CANCELLED})
PENDING = frozenset({Status.PROPOSED, Status.AWAITING_APPROVAL, Status.DELAYED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PROPOSED: frozenset({Status.AWAITING_APPROVAL, Status.DELAYED, Status.COMPLETED, Status.REJECTED, Status.CANCELLED}),
    Status.AWAITING_APPROVAL: frozenset({Status.DELAYED, Status.PROPOSED, Status.COMPLETED, Status.REJECTED, Status.CANCELLED}),
    Status.DELAYED: frozenset({Status.PROPOSED, Status.COMPLETED, Status.REJECTED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def can_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]
