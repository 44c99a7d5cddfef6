"""Stamps: values in the cache every server process shares, each replaced by a new random one
whenever what it stands for changes (the API tokens, the reference data the public pages name).

A process keeps what it derived from the database under the stamp it read *before* reading the
database, so a change shows in every process at its next request: the stamp is renewed in the
change's own transaction (with the database cache it commits or rolls back with the change) and
again after the commit (Redis is no part of the transaction). A stamp is random rather than a
counter: a cache that drops the row (culling, eviction) can never bring an old value back.
"""

from __future__ import annotations

import base64
import contextlib
import pickle
import secrets
import time
from typing import Any

from django.core.cache import cache
from django.db import transaction

from registry.outages import OUTAGES


class Stamp:
    """A value in the shared cache that is replaced by a new random one whenever what it stands
    for changes (see the module's description)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def current(self) -> str | None:
        """The present stamp (one read of the shared cache); None if there is none or the cache
        does not answer (then nothing is to be kept under it)."""
        try:
            found = cache.get(self.name)
        except OUTAGES:
            return None
        if found is None:
            self.renew()
            return None  # what is read now was read before the stamp existed
        return str(found)

    def key(self) -> str:
        """The stamp's row key in the database cache (for reading it in another statement)."""
        return str(cache.make_and_validate_key(self.name))

    def renew(self) -> None:
        # If the cache takes no writes, processes keep what they derived up to their own bound.
        with contextlib.suppress(*OUTAGES):
            cache.set(self.name, f"{time.time_ns()}-{secrets.token_hex(8)}", timeout=None)

    def renew_with_change(self, using: str | None = None) -> None:
        """Renew for a change being saved: now, and again once its transaction commits.

        Now: with the database cache the new stamp is written in the change's own transaction and
        commits (or rolls back) with it, and this process sees it at once. After the commit: Redis
        is no part of the transaction, and a process that read the rows between the first renewal
        and the commit kept the old rows under the new stamp.
        """
        self.renew()
        transaction.on_commit(self.renew, using=using)


def decoded(value: str) -> Any:
    """A value as the database cache stores it (for a row read in another statement)."""
    return pickle.loads(base64.b64decode(value.encode()))
