"""Applications that inform: emails and notifications at every step, corrections of every field,
review pages in human words with current and requested values, every problem shown at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from registry.access.services import grant_right
from registry.applications.models import Application
from registry.notifications.models import Notification
from tests.factories import make_user, sign_in
from tests.integration.test_applications import opening_form, pdf, uploads_stored


@pytest.fixture(autouse=True)
def _own_upload_folder(settings, tmp_path):
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"


def admin_for(world) -> Client:
    admin = Client()
    sign_in(admin, world.admin_jp)
    return admin


def to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_applicant_is_emailed_a_summary_with_the_link_and_administrators_are_told(world, client, django_capture_on_commit_callbacks):
    world.admin_jp.email = "admin@registry.example.jp"
    world.admin_jp.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/apply/account/", opening_form())
    application = Application.objects.get()
    [sent] = to("weiling@merlion.example")
    assert application.reference in sent.body
    assert f"/apply/{application.reference}/{application.access_token}/" in sent.body
    assert "Company name: Merlion Carbon Pte. Ltd." in sent.body and "会社名\uff1aMerlion Carbon Pte. Ltd." in sent.body
    assert "passport.pdf" in sent.body
    [told] = to("admin@registry.example.jp")
    assert application.reference in told.subject + told.body and "登録簿 JPN01" in told.body
    assert Notification.objects.filter(user=world.admin_jp, kind="application_to_review").exists()


def test_return_rejection_and_approval_reach_the_applicant_by_email(world, client, django_capture_on_commit_callbacks):
    client.post("/apply/account/", opening_form())
    application = Application.objects.get()
    admin = admin_for(world)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/app/applications/{application.pk}/", {"action": "return", "comment": "The passport page is unreadable."})
    returned = to("weiling@merlion.example")[-1]
    assert "The passport page is unreadable." in returned.body and application.access_token in returned.body
    client.post(f"/apply/{application.reference}/{application.access_token}/", {**application.data, "passport": pdf("passport-2.pdf")})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/app/applications/{application.pk}/", {"action": "approve"})
    approved = to("weiling@merlion.example")[-1]
    application.refresh_from_db()
    assert application.result["account"] in approved.body and "merlion-tan" in approved.body
    assert "口座 " + application.result["account"] + " を開設しました" in approved.body


def test_a_rejection_tells_the_applicant_why(world, client, django_capture_on_commit_callbacks):
    client.post("/apply/account/", opening_form())
    application = Application.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_for(world).post(f"/app/applications/{application.pk}/", {"action": "reject", "comment": "Not a legal person."})
    [rejected] = to("weiling@merlion.example")
    assert "was rejected: Not a legal person." in rejected.body and "却下" in rejected.body


def test_a_representatives_request_is_acknowledged_and_its_approval_notified(world):
    user = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, user, "initiate")
    client = Client()
    sign_in(client, user)
    client.post(f"/app/accounts/{world.japanese.number}/request/", {"form": "form2", "head_office": "2-2 Otemachi, Tokyo"})
    application = Application.objects.get()
    received = Notification.objects.get(user=user, kind="application_submitted")
    assert received.params["summary"][0] == ["account", world.japanese.number]
    admin_for(world).post(f"/app/applications/{application.pk}/", {"action": "approve"})
    assert Notification.objects.filter(user=user, kind="application_approved").exists()
    assert "Changed: Head office address." in client.get("/app/").content.decode()


def test_the_correction_form_changes_every_field(world, client):
    client.post("/apply/account/", opening_form())
    application = Application.objects.get()
    admin_for(world).post(f"/app/applications/{application.pk}/", {"action": "return", "comment": "Wrong company name."})
    status = f"/apply/{application.reference}/{application.access_token}/"
    page = client.get(status).content.decode()
    assert 'value="Merlion Carbon Pte. Ltd."' in page and 'value="merlion-tan"' in page  # filled in with what was sent
    corrected = {
        **application.data,
        "name": "Merlion Carbon Holdings Pte. Ltd.",
        "country": "MY",
        "manager_name": "Lim Mei",
        "email": "mei@merlion.example",
        "login_id": "merlion-lim",
    }
    client.post(status, corrected)
    application.refresh_from_db()
    assert application.status == "submitted"
    assert {k: application.data[k] for k in ("name", "country", "manager_name", "email", "login_id")} == {
        "name": "Merlion Carbon Holdings Pte. Ltd.",
        "country": "MY",
        "manager_name": "Lim Mei",
        "email": "mei@merlion.example",
        "login_id": "merlion-lim",
    }


def test_the_review_page_shows_human_labels_the_account_and_current_beside_requested_values(world):
    user = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, user, "initiate")
    client = Client()
    sign_in(client, user)
    client.post(f"/app/accounts/{world.japanese.number}/request/", {"form": "form2", "name": "Sakura Trading Holdings"})
    application = Application.objects.get()
    admin = admin_for(world)
    admin.cookies["django_language"] = "ja"
    page = admin.get(f"/app/applications/{application.pk}/").content.decode()
    assert f'id="application-account">{world.japanese.number}<' in page
    assert "現在の値" in page and "申請された値" in page
    assert f"<td>{world.japanese.name}</td><td>Sakura Trading Holdings</td>" in page
    admin.post(f"/app/applications/{application.pk}/", {"action": "approve"})
    page = admin.get(f"/app/applications/{application.pk}/").content.decode()
    for raw in ("login_id", "name_ja", "changed", "['", "True", "initialise_password"):
        assert raw not in page.split("<main>")[1], raw
    assert "変更した項目\uff1a会社名。" in page


def test_documents_open_in_the_browser_from_the_review_page(world, client):
    client.post("/apply/account/", opening_form())
    application = Application.objects.get()
    admin = admin_for(world)
    page = admin.get(f"/app/applications/{application.pk}/").content.decode()
    document = application.documents.get(kind="passport")
    assert f'href="/app/applications/{application.pk}/documents/{document.pk}/?view" target="_blank"' in page
    response = admin.get(f"/app/applications/{application.pk}/documents/{document.pk}/?view")
    assert response["Content-Disposition"].startswith("inline") and response["Content-Type"] == "application/pdf"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_application_form_says_which_documents_are_required(world, client):
    page = client.get("/apply/account/").content.decode()
    assert page.count("Required. A PDF of at most 10 MB.") == 3
    assert "Only if the originals are in neither English nor Japanese." in page


def test_every_problem_is_shown_at_once_and_good_uploads_are_kept_for_the_next_attempt(world, client):
    page = client.post(
        "/apply/account/", opening_form(country="Singapore", email="not-an-address", passport=pdf("passport.docx"), authorization=None)
    ).content.decode()
    assert "Enter a valid email address." in page  # the form's own check
    assert "only PDF files" in page
    assert "Kept from your previous attempt: incorporation.pdf" in page
    assert not Application.objects.exists()
    kept = len(uploads_stored())
    client.post(
        "/apply/account/", opening_form(incorporation=None, translation=None, passport=pdf("passport.pdf"), authorization=pdf("board.pdf"))
    )
    application = Application.objects.get()
    assert sorted(application.documents.values_list("original_name", flat=True)) == [
        "board.pdf",
        "incorporation.pdf",
        "passport.pdf",
        "translation.pdf",
    ]
    assert len(uploads_stored()) == kept + 2


def test_data_problems_and_a_missing_document_come_together(world, client):
    page = client.post("/apply/account/", opening_form(country="S1", authorization=None, login_id="ADMIN-JP")).content.decode()
    assert "Country of incorporation is not valid" in page
    assert "Document authorising the account manager is not valid: this document is required" in page
    assert "[2021]" in page  # the one login-ID rule: case does not make a new ID


def test_a_returned_form_2_is_corrected_by_its_representative_on_the_application_page(world):
    user = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, user, "initiate")
    client = Client()
    sign_in(client, user)
    client.post(f"/app/accounts/{world.japanese.number}/request/", {"form": "form2", "head_office": "2-2 Otemachi"})
    application = Application.objects.get()
    admin_for(world).post(f"/app/applications/{application.pk}/", {"action": "return", "comment": "Give the full address."})
    assert Notification.objects.filter(user=user, kind="application_returned").exists()
    page = client.get(f"/app/applications/{application.pk}/").content.decode()
    assert 'value="2-2 Otemachi"' in page
    client.post(
        f"/app/applications/{application.pk}/",
        {"action": "resubmit", "head_office": "2-2 Otemachi, Chiyoda-ku, Tokyo", "name": "Sakura Trading KK"},
    )
    application.refresh_from_db()
    assert application.status == "submitted"
    assert (application.data["head_office"], application.data["name"]) == ("2-2 Otemachi, Chiyoda-ku, Tokyo", "Sakura Trading KK")
    assert client.post(f"/app/applications/{application.pk}/", {"action": "approve"}).status_code == 404  # applicants do not review


def test_a_kept_document_chosen_again_is_replaced_and_the_kept_copy_removed(world, client):
    client.post("/apply/account/", opening_form(email="not-an-address"))  # every document passes and is kept
    assert len(uploads_stored()) == 4 and not Application.objects.exists()
    client.post("/apply/account/", opening_form(incorporation=None, translation=None, authorization=None, passport=pdf("passport-new.pdf")))
    application = Application.objects.get()
    assert application.documents.get(kind="passport").original_name == "passport-new.pdf"
    assert len(uploads_stored()) == 4  # the kept passport is gone
