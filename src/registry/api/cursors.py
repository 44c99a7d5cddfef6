"""Stable cursors: a page ends at a row's sort key, and the next page starts after that key.

A cursor is opaque to clients (URL-safe base64 of the key as JSON). Because it names a position
in a fixed order rather than an offset, rows added or removed meanwhile never make a client skip
or repeat the rows that stayed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence

from django.db.models import Q, QuerySet

from registry.core.checks import Check, CheckFailed
from registry.units.models import UnitBlock

Key = tuple[int | str, ...]
#: The only text a cursor carries is a registry id (a block's originating registry).
TEXT = re.compile(r"[A-Z]{3}[0-9]{2}")
LARGEST = 2**62


def _fits(value: object, kind: type) -> bool:
    if kind is str:
        return isinstance(value, str) and TEXT.fullmatch(value) is not None
    return type(value) is int and 0 <= value < LARGEST


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
    if not isinstance(values, list) or len(values) != len(shape) or not all(_fits(v, t) for v, t in zip(values, shape, strict=True)):
        raise CheckFailed(Check.VALUE_INVALID, field="cursor", detail="not a cursor this API gave for this list")
    return tuple(values)


def page_of_blocks(
    blocks: QuerySet[UnitBlock], group: tuple[str, ...], cursor: str | None, limit: int
) -> tuple[list[UnitBlock], str | None]:
    """One page of ``blocks`` (ordered by ``group`` then first serial) and the cursor after it.

    The key is ``group`` and the block's *last* serial. Blocks of one originating registry never
    overlap, so that order is the order of first serials too. A block that grew across the cursor
    (released units merge into their lower neighbour) is shown from the serial after the cursor:
    between pages no unit is skipped, and none is shown twice.
    """
    after = decode(cursor, [int if name == "vintage" else str for name in group] + [int])
    last: int | None = None
    if after is not None:
        *values, last_serial = after
        last = int(last_serial)
        keyset = Q()
        for depth in range(len(group) + 1):
            same = dict(zip(group[:depth], values[:depth], strict=True))
            if depth < len(group):
                keyset |= Q(**same, **{f"{group[depth]}__gt": values[depth]})
            else:
                keyset |= Q(**same, end__gt=last)
        blocks = blocks.filter(keyset)
    page = list(blocks[: limit + 1])
    if last is not None and page and page[0].start <= last:
        page[0].start = last + 1  # in memory only: this page shows what follows the cursor
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode((*(getattr(page[-1], name) for name in group), page[-1].end)) if more else None
    return page, next_cursor
