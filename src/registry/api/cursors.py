"""Stable cursors: a page ends at a row's sort key, and the next page starts after that key.

A cursor is opaque to clients (URL-safe base64 of the key as JSON). Because it names a position
in a fixed order rather than an offset, rows added or removed meanwhile never make a client skip
or repeat the rows that stayed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from registry.core.checks import Check, CheckFailed

Key = tuple[int | str, ...]


def encode(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, shape: Sequence[type]) -> Key | None:
    """The key a cursor names, checked against the types it must have; None without a cursor."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != len(shape) or not all(type(v) is t for v, t in zip(values, shape, strict=True)):
        raise CheckFailed(Check.VALUE_INVALID, field="cursor", detail="not a cursor this API gave for this list")
    return tuple(values)
