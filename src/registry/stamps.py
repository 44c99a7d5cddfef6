"""Stamps: values in the cache every server process shares, each replaced by a new random one
whenever what it stands for changes (the API tokens, the reference data the public pages name).

A process keeps what it derived from the database under the stamp it read *before* reading the
database, so a change shows in every process at its next request after the change's commit: the
shared value is renewed once the change's transaction commits. The saving process itself moves on
at once (a generation of its own in the stamp it reads), for what it reads next in that
transaction too. Nothing is written to the cache inside the change's transaction: a ledger
transaction that saves reference data takes no lock on a cache row. (A process that dies between
the commit and the renewal leaves the old stamp: what is kept under it has its own time bound, a
minute for the public pages and for found tokens.) A stamp is random rather than a counter: a
cache that drops the row (culling, eviction) can never bring an old value back.
"""

from __future__ import annotations

import base64
import itertools
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
        self._changes = itertools.count()
        self._generation = next(self._changes)

    def current(self) -> str | None:
        """The present stamp (one read of the shared cache); None if there is none or the cache
        does not answer (then nothing is to be kept under it)."""
        try:
            found = cache.get(self.name)
        except OUTAGES:
            return None
        return self.with_shared(found)

    def with_shared(self, found: Any) -> str | None:
        """The stamp, from the shared value read (``found``; in another statement, say)."""
        if found is None:
            # None yet (a new or emptied cache): made now. What the caller reads next is read after
            # it, so may be kept under it; a change that commits later renews it again.
            found = self.renew()
        return None if found is None else f"{found}.{self._generation}"

    def key(self) -> str:
        """The stamp's row key in the database cache (for reading it in another statement)."""
        # make_key: the name is ours and safe for every cache backend; validating it again at every
        # request cost more than the statement's own Python.
        return str(cache.make_key(self.name))

    def renew(self) -> str | None:
        """A new shared value; None if the cache takes no writes (then nothing is kept under it)."""
        value = f"{time.time_ns()}-{secrets.token_hex(8)}"
        try:
            cache.set(self.name, value, timeout=None)
        except OUTAGES:
            return None
        return value

    def renew_with_change(self, using: str | None = None) -> None:
        """Renew for a change being saved: in this process at once, in the shared cache once the
        change's transaction commits (at once outside one)."""
        self._generation = next(self._changes)
        transaction.on_commit(self.renew, using=using)


def decoded(value: str) -> Any:
    """A value as the database cache stores it (for a row read in another statement)."""
    return pickle.loads(base64.b64decode(value.encode()))
