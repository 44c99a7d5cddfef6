"""Checking and storing uploaded documents: PDF only, size-limited, outside the web root, scanned."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from registry.core.checks import Check, CheckFailed

PDF_MAGIC = b"%PDF-"


class Upload(Protocol):
    name: str
    size: int
    content_type: str

    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, /) -> int: ...


def upload_folder() -> Path:
    folder = Path(settings.REGISTRY_UPLOADS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_upload(upload: Upload) -> bytes:
    """Refuse anything but a PDF within the size limit (1013 with the reason); return its bytes."""
    limit = settings.REGISTRY_UPLOAD_MAX_BYTES
    if not upload.name.lower().endswith(".pdf"):
        raise CheckFailed(Check.VALUE_INVALID, field=upload.name, detail="only PDF files (.pdf) are accepted")
    if upload.content_type not in ("application/pdf", "application/x-pdf"):
        raise CheckFailed(Check.VALUE_INVALID, field=upload.name, detail="the file is not a PDF document")
    if upload.size > limit:
        raise _too_large(upload.name, limit)
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise _too_large(upload.name, limit)
    if not content.startswith(PDF_MAGIC):
        raise CheckFailed(Check.VALUE_INVALID, field=upload.name, detail="the content is not a PDF document")
    return content


def scan(content: bytes, name: str) -> None:
    """The virus-scan hook: ``REGISTRY_VIRUS_SCANNER`` names a callable(bytes, name) that raises to refuse."""
    scanner = settings.REGISTRY_VIRUS_SCANNER
    if scanner:
        try:
            import_string(scanner)(content, name)
        except CheckFailed:
            raise
        except Exception as error:
            raise CheckFailed(Check.VALUE_INVALID, field=name, detail=f"the virus scan refused it ({error})") from error


def store(content: bytes) -> tuple[str, str]:
    """Write ``content`` under a random name; return (stored name, SHA-256)."""
    stored = f"{secrets.token_hex(16)}.pdf"
    (upload_folder() / stored).write_bytes(content)
    return stored, hashlib.sha256(content).hexdigest()


def path_of(stored_name: str) -> Path:
    return upload_folder() / Path(stored_name).name


def _too_large(name: str, limit: int) -> CheckFailed:
    # detail_template lets the web say the same in the reader's language (registry.refusals).
    template = "the file is larger than the limit of %(limit)s bytes"
    return CheckFailed(
        Check.VALUE_INVALID, field=name, detail=template % {"limit": f"{limit:,}"}, detail_template=template, limit=f"{limit:,}"
    )
