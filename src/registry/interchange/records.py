"""Between the journal's typed entries and the interchange format's dated records.

A dated record is the entry's journal body without the chain's envelope (``registry``, ``sequence``,
``at``), with ``record`` (the entry's kind) and ``effective`` (when the action took effect) instead.
So the one writer and the one parser of bodies (``registry.core.entries``) also write and read the
file, and a record with a key no entry knows is refused exactly as a journal body would be.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from registry.core import entries as e

ENVELOPE = ("kind", "registry", "sequence", "at", "effective")


def dated_record(recorded: e.Recorded) -> dict[str, Any]:
    """The interchange record of one journal entry (effective: when it was recorded)."""
    body = e.body_of(recorded)
    record: dict[str, Any] = {
        "record": body["kind"],
        "effective": recorded.took_effect.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }
    record |= {key: value for key, value in body.items() if key not in ENVELOPE}
    return record


def effective_of(record: dict[str, Any]) -> dt.datetime:
    text = record["effective"]
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def typed_entry(record: dict[str, Any], registry_id: str, sequence: int) -> e.Recorded:
    """The typed entry a dated record describes, as it would stand at ``sequence`` of the registry's journal.

    ``MalformedEntry`` if no entry kind describes it.
    """
    body = {key: value for key, value in record.items() if key not in ("record", "effective")}
    body |= {"kind": record["record"], "registry": registry_id, "sequence": sequence, "at": effective_of(record).isoformat()}
    return e.parse(body)
