"""Use cases for applications: submit, review (return, reject, approve) and what approval performs.

Uploads are checked in full before anything is stored: a bad file refuses the whole submission and
leaves nothing behind, in the database or on disk.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from registry.access.login_ids import check_new_login_id
from registry.access.permissions import can_initiate
from registry.access.services import grant_right, initialise_password, log_operation, reissue_login_id
from registry.accounts.models import Account, AccountStatus, AccountType, Right
from registry.accounts.services import change_account_status, open_account
from registry.applications import uploads
from registry.applications.models import (
    REQUIRED_FOR_OPENING,
    Application,
    ApplicationDocument,
    ApplicationEvent,
    DocumentKind,
    Form,
    Status,
)
from registry.core.checks import Check, CheckFailed
from registry.notifications.services import notify
from registry.parties.models import Registry
from registry.parties.services import Actor, ensure_administrator, register_entity

OPENING_FIELDS = ("name", "country", "identification_number", "head_office", "manager_name", "email", "login_id")
REVIEWABLE = (Status.SUBMITTED, Status.UNDER_REVIEW)


def _invalid(field: str, detail: str) -> CheckFailed:
    return CheckFailed(Check.VALUE_INVALID, field=field, detail=detail)


def _check_opening_data(data: Mapping[str, str], login_taken_check: bool = True) -> dict[str, str]:
    clean = {name: str(data.get(name, "")).strip() for name in (*OPENING_FIELDS, "name_ja")}
    for name in OPENING_FIELDS:
        if not clean[name]:
            raise _invalid(name, "required")
    if not (len(clean["country"]) == 2 and clean["country"].isalpha()):
        raise _invalid("country", "an ISO 3166 alpha-2 code, e.g. SG")
    clean["country"] = clean["country"].upper()
    if "@" not in clean["email"]:
        raise _invalid("email", "an email address")
    if login_taken_check:
        clean["login_id"] = check_new_login_id(clean["login_id"], field="Login ID")
    return clean


def _checked_documents(documents: Mapping[str, Any]) -> list[tuple[str, str, bytes]]:
    """Every upload checked and scanned, before any is stored."""
    checked = []
    for kind, upload in documents.items():
        if upload is None:
            continue
        DocumentKind(kind)
        content = uploads.check_upload(upload)
        uploads.scan(content, upload.name)
        checked.append((kind, upload.name, content))
    return checked


def _store_documents(application: Application, checked: list[tuple[str, str, bytes]], written: list[str]) -> None:
    """Store each document; ``written`` collects the file names so a failed submission can remove them."""
    for kind, name, content in checked:
        stored, digest = uploads.store(content)
        written.append(stored)
        ApplicationDocument.objects.create(
            application=application,
            kind=kind,
            original_name=name[:255],
            stored_name=stored,
            size=len(content),
            sha256=digest,
            uploaded_at=timezone.now(),
        )


def _remove(written: list[str]) -> None:
    for stored in written:
        uploads.path_of(stored).unlink(missing_ok=True)


def _event(application: Application, status: Status, actor: Actor | None = None, comment: str = "") -> None:
    application.status = status
    application.updated_at = timezone.now()
    application.save(update_fields=["status", "updated_at", "data", "result"])
    ApplicationEvent.objects.create(
        application=application, at=application.updated_at, status=status, actor=actor if isinstance(actor, User) else None, comment=comment
    )


def _new(
    registry: Registry, form: Form, data: dict[str, Any], applicant: User | None = None, account: Account | None = None
) -> Application:
    now = timezone.now()
    return Application.objects.create(
        registry=registry,
        reference=f"A{now:%Y%m%d}-{secrets.token_hex(3).upper()}",
        form=form,
        applicant=applicant,
        account=account,
        data=data,
        access_token=secrets.token_urlsafe(32),
        created_at=now,
        updated_at=now,
    )


def submit_opening(registry: Registry, data: Mapping[str, str], documents: Mapping[str, Any]) -> Application:
    """Form 1, by an entity without a login: its details and the four PDF documents."""
    clean = _check_opening_data(data)
    missing = [kind.label for kind in REQUIRED_FOR_OPENING if documents.get(kind.value) is None]
    if missing:
        raise _invalid("documents", "missing: " + "; ".join(str(m) for m in missing))
    checked = _checked_documents(documents)
    written: list[str] = []
    try:
        with transaction.atomic():
            application = _new(registry, Form.OPEN_ACCOUNT, clean)
            ApplicationEvent.objects.create(application=application, at=application.created_at, status=Status.SUBMITTED)
            _store_documents(application, checked, written)
    except BaseException:
        _remove(written)
        raise
    log_operation(None, "application_submitted", registry=registry, target=application.reference)
    return application


def resubmit(application: Application, token: str, data: Mapping[str, str], documents: Mapping[str, Any]) -> Application:
    """The applicant corrects an application returned to them (new details and/or documents)."""
    if not secrets.compare_digest(token, application.access_token):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor="this link", account=application.reference)
    if application.status != Status.RETURNED:
        raise CheckFailed(Check.TRANSACTION_NOT_PENDING, transaction=application.reference, status=application.status, action="corrected")
    merged = {**application.data, **{k: v for k, v in data.items() if v}}
    if application.form == Form.OPEN_ACCOUNT:
        merged = _check_opening_data(merged, login_taken_check=merged.get("login_id") != application.data.get("login_id"))
    checked = _checked_documents(documents)
    written: list[str] = []
    replaced = list(application.documents.filter(kind__in=[kind for kind, _, _ in checked]).values_list("stored_name", flat=True))
    try:
        with transaction.atomic():
            application.data = merged
            application.documents.filter(stored_name__in=replaced).delete()
            _store_documents(application, checked, written)
            _event(application, Status.SUBMITTED, comment="resubmitted")
    except BaseException:
        _remove(written)
        raise
    _remove(replaced)
    return application


def submit_request(actor: Actor, account: Account, form: Form | str, data: Mapping[str, str]) -> Application:
    """Forms 2-5, by a representative who may initiate for ``account``."""
    form = Form(form)
    if form == Form.OPEN_ACCOUNT:
        raise _invalid("form", "Form 1 is submitted without signing in")
    if not can_initiate(actor, account):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=account.number)
    clean = {k: str(v).strip() for k, v in data.items() if str(v).strip()}
    if form == Form.CREDENTIALS and clean.get("action") not in ("reissue_login_id", "initialise_password"):
        raise _invalid("action", "reissue_login_id or initialise_password")
    if form == Form.CHANGE_INFORMATION and not (clean.get("name") or clean.get("head_office")):
        raise _invalid("changes", "name the new account name or head office")
    assert isinstance(actor, User)
    if form == Form.CREDENTIALS and clean.get("action") == "reissue_login_id":
        clean["new_login_id"] = check_new_login_id(clean.get("new_login_id", ""), field="New login ID", for_user=actor)
    with transaction.atomic():
        application = _new(account.registry, form, clean, applicant=actor, account=account)
        ApplicationEvent.objects.create(application=application, at=application.created_at, status=Status.SUBMITTED, actor=actor)
    return application


def _ensure_reviewable(actor: Actor, application: Application, *allowed: Status) -> None:
    ensure_administrator(actor, application.registry)
    if application.status not in allowed:
        raise CheckFailed(Check.TRANSACTION_NOT_PENDING, transaction=application.reference, status=application.status, action="reviewed")


@transaction.atomic
def start_review(actor: Actor, application: Application) -> Application:
    _ensure_reviewable(actor, application, Status.SUBMITTED)
    _event(application, Status.UNDER_REVIEW, actor)
    return application


@transaction.atomic
def return_for_correction(actor: Actor, application: Application, comment: str) -> Application:
    _ensure_reviewable(actor, application, *REVIEWABLE)
    if not comment.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    _event(application, Status.RETURNED, actor, comment.strip())
    if application.applicant:
        notify([application.applicant], "application_returned", reference=application.reference, comment=comment.strip())
    return application


@transaction.atomic
def reject(actor: Actor, application: Application, comment: str) -> Application:
    _ensure_reviewable(actor, application, *REVIEWABLE)
    if not comment.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    _event(application, Status.REJECTED, actor, comment.strip())
    return application


@transaction.atomic
def approve(actor: Actor, application: Application) -> tuple[Application, str | None]:
    """Approve and perform the change. Returns a one-time temporary password when one was made."""
    _ensure_reviewable(actor, application, *REVIEWABLE)
    temporary = None
    data = application.data
    account = application.account
    if application.form == Form.OPEN_ACCOUNT:
        # Checked again: a look-alike may have been created meanwhile (return the application for another ID).
        login_id = check_new_login_id(data["login_id"], field="Login ID")
        entity = register_entity(
            actor,
            application.registry,
            name=data["name"],
            name_ja=data.get("name_ja", ""),
            country=data["country"],
            identification_number=data["identification_number"],
            head_office=data["head_office"],
        )
        account = open_account(actor, application.registry, account_type=AccountType.ENTITY_HOLDING, name=data["name"], entity=entity)
        temporary = secrets.token_urlsafe(12)
        user = User.objects.create_user(login_id, email=data["email"], password=temporary, first_name=data["manager_name"][:150])
        grant_right(actor, account, user, Right.INITIATE_AND_APPROVE)
        application.account = account
        application.result = {"account": account.number, "login_id": user.username}
        application.save(update_fields=["account"])
    elif application.form == Form.CHANGE_INFORMATION:
        assert account is not None and account.entity is not None
        for field in ("name", "head_office"):
            if data.get(field):
                setattr(account.entity, field, data[field])
        account.entity.save()
        if data.get("name"):
            Account.objects.filter(pk=account.pk).update(name=data["name"])
        application.result = {"changed": sorted(k for k in ("name", "head_office") if data.get(k))}
    elif application.form == Form.CLOSE_ACCOUNT:
        assert account is not None
        change_account_status(actor, account, AccountStatus.CLOSED)
        application.result = {"closed": account.number}
    elif application.form == Form.CREDENTIALS:
        assert application.applicant is not None
        if data["action"] == "initialise_password":
            temporary = initialise_password(actor, application.registry, application.applicant)
            application.result = {"password_initialised": application.applicant.username}
        else:
            reissue_login_id(actor, application.registry, application.applicant, data.get("new_login_id", ""))
            application.result = {"login_id": application.applicant.username}
    else:
        application.result = {"certificate": True}
    _event(application, Status.APPROVED, actor)
    if application.applicant:
        notify([application.applicant], "application_approved", reference=application.reference)
    return application, temporary
