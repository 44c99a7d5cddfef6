"""Documents held for an applicant who never came back are removed after a while.

A refused Form 1 keeps the documents that passed (``services.HeldDocument``, named in the
applicant's session) so they need not be sent again. The file is written at once; it belongs to an
application only when the applicant submits again. An applicant who gives up leaves a passport
copy on disk that nothing refers to: ``registry run-due`` removes such files once they are older
than ``REGISTRY_HELD_DOCUMENT_HOURS`` (24), never sooner than a session could still offer them.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta

from django.conf import settings

from registry.applications import uploads
from registry.applications.models import ApplicationDocument

#: The names ``uploads.store`` gives; nothing else in the folder is ours to remove.
STORED_NAME = re.compile(r"[0-9a-f]{32}\.pdf")

logger = logging.getLogger("registry.security")


def held_document_age() -> timedelta:
    """How old a document nothing refers to must be before it is removed: the setting, and at least
    as long as a session lasts (an applicant still filling in the form keeps theirs)."""
    hours = timedelta(hours=float(settings.REGISTRY_HELD_DOCUMENT_HOURS))
    return max(hours, timedelta(seconds=settings.SESSION_COOKIE_AGE))


def remove_orphaned_documents(now: float | None = None) -> list[str]:
    """Remove stored documents no application refers to and older than ``held_document_age()``;
    return their stored names. A file written after the list of referred names was read is too
    young to be removed, so a submission in progress keeps its documents."""
    folder = uploads.upload_folder()
    cutoff = (time.time() if now is None else now) - held_document_age().total_seconds()
    referred = set(ApplicationDocument.objects.values_list("stored_name", flat=True))
    removed = []
    for path in sorted(folder.iterdir()):
        if not STORED_NAME.fullmatch(path.name) or path.name in referred or not path.is_file():
            continue
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    if removed:
        logger.info("removed %d held document(s) no application refers to", len(removed))
    return removed
