"""The access and operation logs: scoped to what the viewer oversees (issue 16 finding 7), and every
refusal, server error and sensitive read on record with address and user (finding 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.test import Client
from django.utils import timezone

from registry.access.models import Operation, OperationLog
from registry.access.services import grant_right, log_operation
from registry.api.models import ApiToken
from registry.api.tokens import create_token
from registry.applications.models import Application, ApplicationDocument
from registry.transactions.services import retire_units
from tests.factories import make_user, sign_in
from tests.integration.test_applications import opening_form


def client_for(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def people(world, settings, tmp_path):
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"
    world.issue(100)
    world.representative_mn = make_user("batbayar")
    grant_right(world.admin_mn, world.seller, world.representative_mn, "initiate_and_approve")
    world.representative_jp = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, world.representative_jp, "initiate_and_approve")
    return world


def signed_in(username: str, address: str) -> None:
    AccessLog.objects.create(username=username, ip_address=address, user_agent="test", attempt_time=timezone.now())


# Finding 7: scope -------------------------------------------------------------------------------


def test_an_mng01_administrator_never_sees_japans_sign_ins_or_registry_less_operations(people):
    signed_in("batbayar", "203.0.113.1")
    signed_in("kenji", "198.51.100.7")
    signed_in("admin-jp", "198.51.100.8")
    AccessFailureLog.objects.create(username="somebody-unknown", ip_address="192.0.2.99", user_agent="x", attempt_time=timezone.now())
    create_token(people.representative_jp, "kenji's erp", "read")  # an operation without a registry, by a JPN01 user
    create_token(people.representative_mn, "batbayar's erp", "read")
    page = client_for(people.admin_mn).get("/app/log/").content.decode()
    assert "203.0.113.1" in page and "batbayar" in page
    for secret in ("198.51.100.7", "198.51.100.8", "kenji", "somebody-unknown", "192.0.2.99", "admin-jp"):
        assert secret not in page, f"{secret} leaked to MNG01's administrator"


def test_an_auditor_sees_attempts_on_the_registrys_accounts_by_outsiders(people):
    auditor = make_user("auditor")
    people.mongolia.auditors.add(auditor)
    client_for(people.representative_jp).get(f"/app/accounts/{people.seller.number}/")  # kenji tries MNG01's account
    page = client_for(auditor).get("/app/log/").content.decode()
    assert "kenji" in page and people.seller.number in page  # the attempt on MNG01's account, not kenji's other doings
    assert "198.51.100" not in page


def test_a_superuser_sees_the_whole_installation(people):
    signed_in("kenji", "198.51.100.7")
    root = make_user("root")
    root.is_superuser = True
    root.save()
    assert "198.51.100.7" in client_for(root).get("/app/log/").content.decode()


# Finding 10: records ------------------------------------------------------------------------------


def test_forms_2_to_5_and_their_refusals_are_on_record(people):
    client = client_for(people.representative_mn)
    client.post(f"/app/accounts/{people.seller.number}/request/", {"form": "form2", "head_office": "Sükhbaatar Square 1"})
    submitted = Application.objects.get()
    assert OperationLog.objects.filter(
        action=Operation.APPLICATION_SUBMITTED,
        user=people.representative_mn,
        registry=people.mongolia,
        target__startswith=submitted.reference,
        ip="127.0.0.1",
        channel="web",
    ).exists()
    client.post(f"/app/accounts/{people.seller.number}/request/", {"form": "form2"})  # no change named: refused
    assert OperationLog.objects.filter(
        action=Operation.APPLICATION_SUBMITTED, user=people.representative_mn, outcome="refused 1013"
    ).exists()


def test_another_accounts_notice_and_another_users_token_are_refused_on_record(people):
    people.issue(10, account=people.japanese)
    retirement = retire_units(actor=people.admin_jp, account=people.japanese, quantity=1)
    client = client_for(people.representative_mn)
    assert client.get(f"/app/transactions/{retirement.pk}/notice.pdf").status_code == 404
    assert OperationLog.objects.filter(
        action=Operation.VIEW_NOTICE, user=people.representative_mn, outcome="denied", ip="127.0.0.1"
    ).exists()
    token, _secret = create_token(people.representative_jp, "kenji's", "read")
    assert client.post(f"/app/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert OperationLog.objects.filter(action=Operation.API_TOKEN_REVOKED, user=people.representative_mn, outcome="denied").exists()


def test_administrators_views_of_applications_and_downloads_of_documents_are_on_record(people):
    Client().post("/apply/account/", opening_form())
    application = Application.objects.get()
    document = ApplicationDocument.objects.filter(application=application, kind="passport").get()
    admin = client_for(people.admin_jp)
    assert admin.get(f"/app/applications/{application.pk}/").status_code == 200
    assert admin.get(f"/app/applications/{application.pk}/documents/{document.pk}/").status_code == 200
    viewed = OperationLog.objects.filter(action=Operation.VIEW_APPLICATION, user=people.admin_jp, registry=people.japan)
    downloaded = OperationLog.objects.get(action=Operation.DOWNLOAD_DOCUMENT, user=people.admin_jp, registry=people.japan)
    assert viewed.filter(target=application.reference).exists()
    assert downloaded.target == f"{application.reference} passport {document.pk}" and downloaded.ip == "127.0.0.1"


def test_a_csrf_failure_is_refused_and_on_record_in_the_log_and_the_security_log(people):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, people.representative_mn)
    response = client.post(f"/app/accounts/{people.seller.number}/propose/", {"kind": "retirement", "quantity": 1})
    assert response.status_code == 403
    assert OperationLog.objects.filter(
        action=Operation.REQUEST_REFUSED, user=people.representative_mn, outcome__startswith="403 CSRF", ip="127.0.0.1"
    ).exists()
    security_log = Path(settings.REGISTRY_LOG_DIR) / "security.log"
    assert security_log.is_relative_to(settings.REGISTRY_HOME)
    assert f"CSRF refusal on POST /app/accounts/{people.seller.number}/propose/" in security_log.read_text()


def test_a_web_server_error_is_on_record_with_address_and_user(people, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr("registry.web.views.app.holdings", broken)  # a defect in the account page
    client = client_for(people.representative_mn)
    client.raise_request_exception = False
    response = client.get(f"/app/accounts/{people.seller.number}/")
    assert response.status_code == 500
    assert OperationLog.objects.filter(action=Operation.SERVER_ERROR, user=people.representative_mn, ip="127.0.0.1").exists()
    assert "RuntimeError: a defect" in (Path(settings.REGISTRY_LOG_DIR) / "errors.log").read_text()


def test_operation_kinds_are_an_enum_and_one_kind_whatever_the_interface(people, client):
    """(The command line's channel: tests/cli.)"""
    with pytest.raises(ValueError):
        log_operation(people.admin_mn, "transfer_everything")  # type: ignore[arg-type]
    secret = create_token(people.admin_mn, "ops", "write")[1]
    proposal = {"kind": "retirement", "from_account": people.seller.number, "quantity": 1}
    client.post("/api/v1/transactions", proposal, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    client_for(people.admin_mn).post(f"/app/accounts/{people.seller.number}/propose/", {"kind": "retirement", "quantity": 1})
    assert set(OperationLog.objects.filter(action=Operation.PROPOSE).values_list("channel", flat=True)) == {"api", "web"}
    assert {entry.action for entry in OperationLog.objects.all()} <= set(Operation)
