"""Checking and storing uploaded documents: PDF only, size-limited, outside the web root, scanned.

Administrators open what applicants send (passports, certificates of incorporation), so a document
is what it says it is or it is refused: a PDF that pypdf reads in full, with nothing that runs or
launches (JavaScript, launch and other actions that reach outside the document, embedded files,
XFA forms), not encrypted (it could not be inspected), and nothing before ``%PDF-`` or after the
last ``%%EOF``, where a PDF+HTML polyglot keeps its page. Stored files are readable by the
registry's own user only (0600). Each address may send only so many applications
(``REGISTRY_APPLICATION_RATE``), so the public form cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from registry.applications.models import DocumentKind
from registry.core.checks import Check, CheckFailed

PDF_MAGIC = b"%PDF-"
#: Actions that run code or reach outside the document.
ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute", "/Rendition", "/Sound", "/Movie"}
)
#: Keys that carry scripts or files.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/XFA", "/RichMedia"})
#: What an HTML page needs to be one; a PDF never has it in the clear.
HTML_MARKERS = re.compile(rb"<(?:!doctype|html|script|svg|iframe|body|object|embed)\b", re.IGNORECASE)
DOCUMENT_KINDS = tuple(DocumentKind)
MAX_OBJECTS = 200_000  # a document with more is refused rather than walked forever

logger = logging.getLogger("registry.security")


class Upload(Protocol):
    name: str
    size: int
    content_type: str

    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, /) -> int: ...


def upload_folder() -> Path:
    folder = Path(settings.REGISTRY_UPLOADS)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _refuse(upload_name: str, detail: str) -> CheckFailed:
    return CheckFailed(Check.VALUE_INVALID, field=upload_name, detail=detail)


def check_upload(upload: Upload) -> bytes:
    """Refuse anything but a harmless PDF within the size limit (1013 with the reason); return its bytes."""
    limit = settings.REGISTRY_UPLOAD_MAX_BYTES
    if not upload.name.lower().endswith(".pdf"):
        raise _refuse(upload.name, _("only PDF files (.pdf) are accepted"))
    if upload.content_type not in ("application/pdf", "application/x-pdf"):
        raise _refuse(upload.name, _("the file says it is %(type)s, not a PDF") % {"type": upload.content_type})
    if upload.size > limit:
        raise _refuse(
            upload.name, _("the file is %(size)s bytes; the limit is %(limit)s") % {"size": f"{upload.size:,}", "limit": f"{limit:,}"}
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise _refuse(upload.name, _("the file is larger than %(limit)s bytes") % {"limit": f"{limit:,}"})
    check_pdf(content, upload.name)
    return content


def check_pdf(content: bytes, name: str) -> None:
    """Refuse ``content`` unless it is a valid PDF and nothing else, with nothing active in it."""
    again = _("Save or print the document to PDF again without scripts, attachments or forms, and send that file.")
    if not content.startswith(PDF_MAGIC) or not content.rstrip().endswith(b"%%EOF"):
        raise _refuse(name, _("the content is not a PDF document (or has something before or after it).") + " " + again)
    if HTML_MARKERS.search(content):
        raise _refuse(name, _("the file is also a web page (HTML), which a browser could run.") + " " + again)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise _refuse(name, _("the PDF is encrypted or password-protected, so it cannot be checked.") + " " + again)
        if len(reader.pages) == 0:
            raise _refuse(name, _("the PDF has no pages."))
        found = _active_content(reader)
    except CheckFailed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as error:
        raise _refuse(name, _("the file is damaged or not a valid PDF.") + " " + again) from error
    if found:
        logger.warning("upload %s refused: active PDF content %s", name, found)
        raise _refuse(name, _("the PDF carries %(what)s, which could run when it is opened.") % {"what": found} + " " + again)


def _active_content(reader: PdfReader) -> str:
    """The first script, launch action, embedded file or XFA form reachable in the document, or ''."""
    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [reader.trailer]
    walked = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        walked += 1
        if walked > MAX_OBJECTS:
            return _("too many objects to check")
        if isinstance(item, DictionaryObject):  # streams are dictionaries too
            kind = item.get("/S")
            if isinstance(kind, NameObject) and str(kind) in ACTIVE_ACTIONS:
                return f"{kind} " + _("action")
            if item.get("/Type") in ("/EmbeddedFile", "/Filespec") and "/EF" in item:
                return _("an embedded file")
            if keys := ACTIVE_KEYS.intersection(item.keys()):
                return min(keys)
            if item.get("/Subtype") in ("/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound"):
                return f"{item.get('/Subtype')} " + _("annotation")
            pending.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            pending.extend(item)
        del item
    return ""


def scan(content: bytes, name: str) -> None:
    """The virus-scan hook: ``REGISTRY_VIRUS_SCANNER`` names a callable(bytes, name) that raises to refuse."""
    scanner = settings.REGISTRY_VIRUS_SCANNER
    if scanner:
        try:
            import_string(scanner)(content, name)
        except CheckFailed:
            raise
        except Exception as error:
            raise CheckFailed(
                Check.VALUE_INVALID, field=name, detail=_("the virus scan refused it (%(error)s)") % {"error": error}
            ) from error


def store(content: bytes) -> tuple[str, str]:
    """Write ``content`` under a random name, readable by the registry's user only; return (stored name, SHA-256)."""
    stored = f"{secrets.token_hex(16)}.pdf"
    descriptor = os.open(upload_folder() / stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
    return stored, hashlib.sha256(content).hexdigest()


def admit_application(address: str | None, content_length: int) -> None:
    """Count one application (with its documents) from ``address``; refuse (1021) beyond
    ``REGISTRY_APPLICATION_RATE`` ("applications/seconds"), counted in the shared cache, and
    refuse (1022) a request larger than four documents and a form could be, before it is read."""
    largest = len(DOCUMENT_KINDS) * settings.REGISTRY_UPLOAD_MAX_BYTES + settings.REGISTRY_MAX_BODY_BYTES
    if content_length > largest:
        logger.warning("application from %s refused: %s bytes", address, content_length)
        raise CheckFailed(Check.REQUEST_TOO_LARGE, limit=f"{largest:,}")
    limit, seconds = (int(part) for part in settings.REGISTRY_APPLICATION_RATE.split("/"))
    key = f"application-rate-{address or 'unknown'}"
    now = time.time()
    recent = [moment for moment in cache.get(key, []) if moment > now - seconds]
    if len(recent) >= limit:
        wait = max(1, round((seconds - (now - min(recent))) / 60))
        logger.warning("application from %s refused: %s in %s s", address, len(recent), seconds)
        raise CheckFailed(Check.TOO_MANY_APPLICATIONS, minutes=wait)
    cache.set(key, [*recent, now], seconds)


def path_of(stored_name: str) -> Path:
    return upload_folder() / Path(stored_name).name


def _too_large(name: str, limit: int) -> CheckFailed:
    # detail_template lets the web say the same in the reader's language (registry.refusals).
    template = "the file is larger than the limit of %(limit)s bytes"
    return CheckFailed(
        Check.VALUE_INVALID, field=name, detail=template % {"limit": f"{limit:,}"}, detail_template=template, limit=f"{limit:,}"
    )
