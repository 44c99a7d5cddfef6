"""When the database is unreachable or full: an outage, not a defect.

Every interface answers the same way: 503 with ``Retry-After`` (problem details on the API, a page
in the user's language on the web), one log line per request (no traceback: nothing is wrong with
the code), and the truth about what happened to a write:

- the database failed before the write was committed: nothing was changed;
- the connection broke *during* the commit: the registry cannot know whether the write was kept.
  It says so, and that a retry with the same ``Idempotency-Key`` is safe (the key was reserved in
  the same transaction, so a retry either finds the first result or does the write once).
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from django.db import InterfaceError, OperationalError

#: What a database that is down, unreachable, locked for too long or out of space raises.
OUTAGES = (OperationalError, InterfaceError)
#: How long clients are asked to wait before trying again.
RETRY_AFTER_SECONDS = 30

logger = logging.getLogger("registry.outage")


class OutcomeUnknown(Exception):
    """The connection to the database broke while a write was being committed."""


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OutcomeUnknown | OperationalError | InterfaceError)


def current_outage() -> BaseException | None:
    """The outage being handled (inside an ``except``, or Django's 500 handler), if any."""
    error = sys.exc_info()[1]
    return error if is_outage(error) else None


def record(error: BaseException, method: str, path: str, user: str, address: str | None) -> None:
    """The one line logged for a request that met an outage."""
    cause = error.__cause__ if isinstance(error, OutcomeUnknown) and error.__cause__ else error
    outcome = "outcome unknown" if isinstance(error, OutcomeUnknown) else "nothing changed"
    logger.warning(
        "database unavailable: %s %s by %s from %s (%s): %s", method, path, user or "-", address or "-", outcome, str(cause).strip()[:300]
    )


class WithoutOutageTracebacks(logging.Filter):
    """For ``django.request``: an outage is logged once by ``record``, not again with a traceback
    nor as a "Service Unavailable" line of its 503."""

    def filter(self, entry: logging.LogRecord) -> bool:
        info: tuple[type[BaseException], BaseException, TracebackType] | None = entry.exc_info  # type: ignore[assignment]
        return not (info and is_outage(info[1])) and getattr(entry, "status_code", None) != 503
