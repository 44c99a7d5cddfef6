"""Applications (Forms 1-5) with document review, and the PDF documents."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from pypdf import PdfReader

from registry.access.models import Representative
from registry.accounts.models import Account
from registry.applications.models import Application, ApplicationDocument
from registry.notifications.models import Notification
from registry.transactions.services import retire_units
from tests.factories import make_user, sign_in, valid_pdf

PDF = valid_pdf()


@pytest.fixture(autouse=True)
def _own_upload_folder(settings, tmp_path):
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"


def pdf(name: str, content: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_text(content: bytes) -> str:
    """The text a PDF reader extracts from our PDFs (pypdf: the CID font's Japanese too)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def opening_form(**changes) -> dict:
    form = {
        "registry": "JPN01",
        "name": "Merlion Carbon Pte. Ltd.",
        "country": "SG",
        "identification_number": "201912345K",
        "head_office": "1 Raffles Place, Singapore",
        "manager_name": "Tan Wei Ling",
        "email": "weiling@merlion.example",
        "login_id": "merlion-tan",
        "incorporation": pdf("incorporation.pdf"),
        "authorization": pdf("board-resolution.pdf"),
        "passport": pdf("passport.pdf"),
        "translation": pdf("translation.pdf"),
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def uploads_stored() -> list[Path]:
    folder = Path(settings.REGISTRY_UPLOADS)
    return sorted(folder.glob("*.pdf")) if folder.exists() else []


def test_a_foreign_entity_applies_is_returned_resubmits_and_gets_its_account(world, client):
    response = client.post("/apply/account/", opening_form())
    assert response.status_code == 302
    application = Application.objects.get()
    status_page = response["Location"]
    assert status_page == f"/apply/{application.reference}/{application.access_token}/"
    assert application.documents.count() == 4 and len(uploads_stored()) == 4

    admin = Client()
    sign_in(admin, world.admin_jp)
    admin.post(f"/app/applications/{application.pk}/", {"action": "return", "comment": "The passport page is unreadable."})
    application.refresh_from_db()
    assert application.status == "returned"
    assert "The passport page is unreadable." in client.get(status_page).content.decode()

    client.post(status_page, {**application.data, "passport": pdf("passport-clear.pdf")})  # the form comes filled in
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.documents.get(kind="passport").original_name == "passport-clear.pdf"
    assert len(uploads_stored()) == 4  # the replaced file is gone

    page = admin.post(f"/app/applications/{application.pk}/", {"action": "approve"}).content.decode()
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    application.refresh_from_db()
    assert application.status == "approved"
    account = Account.objects.get(number=application.result["account"])
    assert (account.type, account.entity.name, account.entity.country) == ("entity_holding", "Merlion Carbon Pte. Ltd.", "SG")
    user = User.objects.get(username="merlion-tan")
    assert Representative.objects.get(user=user, account=account).right == "initiate_and_approve"
    assert Notification.objects.filter(user=user, kind="account_access_granted").exists()
    assert [e.status for e in application.events.all()] == ["submitted", "returned", "submitted", "approved"]

    newcomer = Client()  # the representative signs in with the temporary password and sets up TOTP
    assert newcomer.post("/login/", {"username": "merlion-tan", "password": temporary})["Location"] == "/2fa/setup/"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (pdf("passport.docx"), "only PDF files"),
        (pdf("passport.pdf", content_type="image/png"), "not a PDF"),
        (pdf("passport.pdf", content=b"hello, not a pdf"), "the content is not a PDF document"),
        (pdf("passport.pdf", content=PDF + b"0" * 5000), "the limit is 4,096"),
    ],
)
@override_settings(REGISTRY_UPLOAD_MAX_BYTES=4096)
def test_bad_uploads_are_refused_with_a_clear_message_and_only_the_good_ones_are_kept(world, client, upload, message):
    page = client.post("/apply/account/", opening_form(passport=upload)).content.decode()
    assert message in page
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()
    assert len(uploads_stored()) == 3  # the three good documents, kept for the next attempt; not the bad one
    assert "Kept from your previous attempt: incorporation.pdf" in page


def test_a_missing_document_is_refused(world, client):
    page = client.post("/apply/account/", opening_form(authorization=None)).content.decode()
    assert "Document authorising the account manager is not valid: this document is required" in page
    assert not Application.objects.exists()


def refuse_everything(content: bytes, name: str) -> None:
    raise RuntimeError("EICAR test signature found")


@override_settings(REGISTRY_VIRUS_SCANNER="tests.integration.test_applications.refuse_everything")
def test_the_virus_scan_hook_can_refuse_a_document(world, client):
    page = client.post("/apply/account/", opening_form()).content.decode()
    assert "the virus scan refused it (EICAR test signature found)" in page
    assert uploads_stored() == [] and not Application.objects.exists()


def test_documents_are_stored_outside_the_web_root_and_only_reviewers_download_them(world, client):
    client.post("/apply/account/", opening_form())
    document = ApplicationDocument.objects.first()
    stored = Path(settings.REGISTRY_UPLOADS) / document.stored_name
    assert stored.read_bytes() == PDF
    assert not str(stored).startswith(str(settings.STATIC_ROOT))
    assert client.get(f"/static/{document.stored_name}").status_code == 404
    stranger = Client()
    sign_in(stranger, make_user())
    assert stranger.get(f"/app/applications/{document.application_id}/documents/{document.pk}/").status_code == 404
    admin = Client()
    sign_in(admin, world.admin_jp)
    response = admin.get(f"/app/applications/{document.application_id}/documents/{document.pk}/")
    assert b"".join(response.streaming_content) == PDF


@pytest.fixture
def representative(world):
    from registry.access.services import grant_right

    user = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, user, "initiate")
    client = Client()
    sign_in(client, user)
    admin = Client()
    sign_in(admin, world.admin_jp)
    return user, client, admin


def request(client, account, **data) -> Application:
    client.post(f"/app/accounts/{account.number}/request/", data)
    return Application.objects.latest("created_at")


def test_form_2_changes_the_account_information_when_approved(world, representative):
    _, client, admin = representative
    application = request(client, world.japanese, form="form2", head_office="2-2 Otemachi, Tokyo")
    admin.post(f"/app/applications/{application.pk}/", {"action": "approve"})
    world.japanese.entity.refresh_from_db()
    assert world.japanese.entity.head_office == "2-2 Otemachi, Tokyo"


def test_form_3_gives_a_certificate_of_account_information_in_japanese_and_english(world, representative):
    _, client, admin = representative
    application = request(client, world.japanese, form="form3")
    assert client.get(f"/app/applications/{application.pk}/certificate.pdf").status_code == 404  # not yet approved
    admin.post(f"/app/applications/{application.pk}/", {"action": "approve"})
    response = client.get(f"/app/applications/{application.pk}/certificate.pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "口座情報証明書 Certificate of account information" in text
    assert world.japanese.number in text and "Sakura Trading" in text


def test_form_4_closes_only_an_empty_account(world, representative):
    _, client, admin = representative
    application = request(client, world.japanese, form="form4")
    world.issue(10, account=world.japanese, vintage=2022)  # units arrive after the request was sent
    detail = admin.get(f"/app/applications/{application.pk}/").content.decode()
    assert "[7202] Account JPN01-" in detail and "still holds 10 units" in detail  # the reviewer sees it before approving
    page = admin.post(f"/app/applications/{application.pk}/", {"action": "approve"}, follow=True).content.decode()
    assert "[7202]" in page
    application.refresh_from_db()
    assert application.status == "submitted"
    retire_units(actor=world.admin_jp, account=world.japanese, quantity=10)
    admin.post(f"/app/applications/{application.pk}/", {"action": "approve"})
    world.japanese.refresh_from_db()
    assert world.japanese.status == "closed"


def test_form_4_says_the_account_must_be_empty_and_is_not_sent_while_it_holds_units(world, representative):
    _, client, _ = representative
    world.issue(10, account=world.japanese, vintage=2022)
    client.cookies["django_language"] = "ja"
    account_page = client.get(f"/app/accounts/{world.japanese.number}/").content.decode()
    assert "様式4で口座を閉鎖すると元に戻せません" in account_page  # said before sending, in Japanese
    assert "この口座は 10 ユニットを保有しています" in account_page
    response = client.post(f"/app/accounts/{world.japanese.number}/request/", {"form": "form4"}, follow=True)
    assert not Application.objects.filter(form="form4").exists()
    assert f"[7202] 口座 {world.japanese.number} にはまだ 10 ユニットが保有されているため、閉鎖できません。" in response.content.decode()


def test_form_5_initialises_the_password_and_reissues_the_login_id(world, representative):
    user, client, admin = representative
    first = request(client, world.japanese, form="form5", action="initialise_password")
    page = admin.post(f"/app/applications/{first.pk}/", {"action": "approve"}).content.decode()
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    user.refresh_from_db()
    assert user.check_password(temporary)
    assert client.get("/app/").status_code == 302  # a new password ends the old sessions
    sign_in(client, user)
    assert client.get("/app/")["Location"] == "/app/password/"  # the temporary password is changed first
    new = "a pass phrase of my own"
    client.post("/app/password/", {"old_password": temporary, "new_password1": new, "new_password2": new})
    second = request(client, world.japanese, form="form5", action="reissue_login_id", new_login_id="kenji-2")
    admin.post(f"/app/applications/{second.pk}/", {"action": "approve"})
    user.refresh_from_db()
    assert user.username == "kenji-2"


def test_others_cannot_see_or_review_someone_elses_application(world, representative):
    _, client, _ = representative
    application = request(client, world.japanese, form="form3")
    stranger = Client()
    sign_in(stranger, world.admin_mn)  # Mongolia's administrator
    assert stranger.get(f"/app/applications/{application.pk}/").status_code == 404
    assert stranger.post(f"/app/applications/{application.pk}/", {"action": "approve"}).status_code == 404
    application.refresh_from_db()
    assert application.status == "submitted"


def test_a_retirement_notice_names_purpose_user_and_unique_identifiers(world, representative):
    world.issue(40, account=world.japanese, vintage=2022)
    tx = retire_units(actor=world.admin_jp, account=world.japanese, quantity=15, purpose="Carbon offsetting of the 2026 annual meeting")
    _, client, _ = representative
    response = client.get(f"/app/transactions/{tx.pk}/notice.pdf")
    text = pdf_text(response.content)
    assert "Carbon offsetting of the 2026 annual meeting" in text
    assert "JC-JPN01-NA-1-15-2022" in text
    assert "Sakura Trading" in text
