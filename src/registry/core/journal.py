"""The hash chain of the journal.

Each entry stores its body as canonical JSON and ``hash = SHA-256(previous hash + body)``; the first
entry of a registry chains from ``GENESIS``. Recomputing the chain from the first entry must give
every stored hash and, at the end, the head the registry stores.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(body: dict[str, Any]) -> str:
    """One text per body: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous_hash: str, canonical_body: str) -> str:
    return hashlib.sha256((previous_hash + canonical_body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    sequence: int
    previous_hash: str
    body: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainFault:
    sequence: int
    problem: str


def verify_chain(entries: Iterable[StoredEntry], stored_head: str, stored_length: int) -> list[ChainFault]:
    """Recompute the chain; return every fault found (an empty list means the chain is intact).

    ``entries`` must come in sequence order; they are streamed, so memory does not grow with them.
    """
    faults: list[ChainFault] = []
    expected_previous = GENESIS
    expected_sequence = 1
    for entry in entries:
        if entry.sequence != expected_sequence:
            faults.append(
                ChainFault(entry.sequence, f"sequence {entry.sequence} where {expected_sequence} was expected (entry missing or inserted)")
            )
        if entry.previous_hash != expected_previous:
            faults.append(ChainFault(entry.sequence, "previous hash does not match the hash of the entry before it"))
        try:
            body = json.loads(entry.body)
        except ValueError:
            faults.append(ChainFault(entry.sequence, "body is not valid JSON"))
        else:
            if canonical_json(body) != entry.body:
                faults.append(ChainFault(entry.sequence, "body is not in canonical form"))
        recomputed = chain_hash(expected_previous, entry.body)
        if recomputed != entry.hash:
            faults.append(ChainFault(entry.sequence, "stored hash differs from the recomputed hash (entry edited)"))
        expected_previous = recomputed
        expected_sequence = entry.sequence + 1
    if expected_sequence - 1 != stored_length:
        faults.append(
            ChainFault(expected_sequence - 1, f"the registry records {stored_length} entries, the journal holds {expected_sequence - 1}")
        )
    if expected_previous != stored_head:
        faults.append(ChainFault(expected_sequence - 1, "the recomputed head differs from the head the registry stores"))
    return faults
