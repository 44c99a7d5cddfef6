"""Use cases for applications: submit, review (return, reject, approve) and what approval performs.

Uploads are checked in full before anything is stored, and every problem of a submission is found
at once (``ApplicationInvalid``): a refused submission creates no application. The documents that
passed are kept (``HeldDocument``) so the applicant need not send them again.

The applicant hears of every step: by email for Form 1 (who has no login yet), by notification and
email for Forms 2-5; the registry's administrators hear of every new application.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.access.login_ids import check_new_login_id, normalise_login_id
from registry.access.models import Operation
from registry.access.permissions import can_initiate
from registry.access.services import (
    grant_right,
    initialise_password,
    log_operation,
    reissue_login_id,
    require_password_change,
    temporary_password,
)
from registry.accounts.models import Account, AccountStatus, AccountType, Right
from registry.accounts.services import change_account_status, held_quantity, open_account
from registry.applications import uploads
from registry.applications.labels import field_label, summary
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
from registry.notifications.services import email, notify
from registry.parties.models import Registry
from registry.parties.services import Actor, ensure_administrator, register_entity
from registry.refusals import refusal_message

OPENING_FIELDS = ("name", "country", "identification_number", "head_office", "manager_name", "email", "login_id")
REVIEWABLE = (Status.SUBMITTED, Status.UNDER_REVIEW)


@dataclass(frozen=True)
class HeldDocument:
    """An upload that passed every check and is stored, kept for an applicant who must fix something else."""

    kind: str
    name: str
    stored: str
    sha256: str
    size: int


class ApplicationInvalid(Exception):
    """Everything wrong with a submission at once: ``problems`` by field (or document kind); ``held``
    the documents that passed, to offer again."""

    def __init__(self, problems: dict[str, CheckFailed], held: dict[str, HeldDocument]) -> None:
        super().__init__("; ".join(refusal_message(p) for p in problems.values()))
        self.problems = problems
        self.held = held


def _invalid(field: str, detail: str) -> CheckFailed:
    return CheckFailed(Check.VALUE_INVALID, field=field_label(field), detail=detail)


def _opening_problems(data: Mapping[str, str], *, login_id_was: str | None = None) -> tuple[dict[str, str], dict[str, CheckFailed]]:
    clean = {name: str(data.get(name, "")).strip() for name in (*OPENING_FIELDS, "name_ja")}
    problems: dict[str, CheckFailed] = {}
    for name in OPENING_FIELDS:
        if not clean[name]:
            problems[name] = _invalid(name, _("required"))
    if clean["country"] and not (len(clean["country"]) == 2 and clean["country"].isalpha()):
        problems["country"] = _invalid("country", _("a two-letter ISO 3166 code, e.g. SG"))
    clean["country"] = clean["country"].upper()
    if clean["email"] and "@" not in clean["email"]:
        problems["email"] = _invalid("email", _("an email address"))
    if clean["login_id"] and normalise_login_id(clean["login_id"]) != login_id_was:  # a correction keeps its own ID
        try:
            clean["login_id"] = check_new_login_id(clean["login_id"], field=field_label("login_id"))
        except CheckFailed as failure:
            problems["login_id"] = failure
    return clean, problems


def _document_problems(documents: Mapping[str, Any]) -> tuple[list[tuple[str, str, bytes]], dict[str, CheckFailed]]:
    """Every upload checked and scanned, before any is stored; the ones that passed and the problems."""
    checked = []
    problems: dict[str, CheckFailed] = {}
    for kind, upload in documents.items():
        if upload is None:
            continue
        DocumentKind(kind)
        try:
            content = uploads.check_upload(upload)
            uploads.scan(content, upload.name)
        except CheckFailed as failure:
            problems[kind] = failure
        else:
            checked.append((kind, upload.name, content))
    return checked, problems


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


def _status_link(application: Application, base_url: str) -> str:
    if application.form == Form.OPEN_ACCOUNT:
        return base_url + reverse("application-status", args=[application.reference, application.access_token])
    return base_url + reverse("application", args=[application.pk])


def _tell_applicant(application: Application, kind: str, base_url: str = "", **params: Any) -> None:
    """Form 1's applicant has no login yet: an email to the address given; others: their inbox and email."""
    params = {"reference": application.reference, "form": application.form, "link": _status_link(application, base_url), **params}
    if application.applicant is not None:
        notify([application.applicant], kind, **params)
    else:
        email(application.data.get("email", ""), kind, **params)


def _tell_administrators(application: Application) -> None:
    registry = application.registry
    administrators = list(registry.administrators.all()) or list(User.objects.filter(is_superuser=True, is_active=True))
    applicant = application.applicant.get_username() if application.applicant else application.data.get("name", "")
    notify(
        administrators,
        "application_to_review",
        reference=application.reference,
        form=application.form,
        registry=registry.registry_id,
        applicant=applicant,
    )


def _hold(checked: list[tuple[str, str, bytes]], held: dict[str, HeldDocument]) -> dict[str, HeldDocument]:
    """Store the documents that passed so a refused submission need not send them again."""
    kept = dict(held)
    for kind, name, content in checked:
        if kind in kept:
            uploads.path_of(kept[kind].stored).unlink(missing_ok=True)
        stored, digest = uploads.store(content)
        kept[kind] = HeldDocument(kind=kind, name=name[:255], stored=stored, sha256=digest, size=len(content))
    return kept


def hold_uploads(documents: Mapping[str, Any], held: Mapping[str, HeldDocument]) -> tuple[dict[str, HeldDocument], dict[str, CheckFailed]]:
    """For a submission refused before it reached ``submit_opening`` (a malformed field): check the
    uploads all the same, keep those that passed and say what is wrong with the others."""
    checked, problems = _document_problems(documents)
    return _hold(checked, dict(held)), problems


def submit_opening(
    registry: Registry,
    data: Mapping[str, str],
    documents: Mapping[str, Any],
    held: Mapping[str, HeldDocument] | None = None,
    base_url: str = "",
) -> Application:
    """Form 1, by an entity without a login: its details and the PDF documents (``held`` ones from
    an earlier refused attempt count too). Raises ``ApplicationInvalid`` with every problem."""
    held = dict(held or {})
    clean, problems = _opening_problems(data)
    checked, document_problems = _document_problems(documents)
    problems.update(document_problems)
    fresh = {kind for kind, _name, _content in checked}
    present = fresh | set(held)
    for kind in REQUIRED_FOR_OPENING:
        if kind.value not in present and kind.value not in problems:
            problems[kind.value] = CheckFailed(Check.VALUE_INVALID, field=str(kind.label), detail=_("this document is required"))
    if problems:
        raise ApplicationInvalid(problems, _hold(checked, held))
    written: list[str] = []
    try:
        with transaction.atomic():
            application = _new(registry, Form.OPEN_ACCOUNT, clean)
            ApplicationEvent.objects.create(application=application, at=application.created_at, status=Status.SUBMITTED)
            _store_documents(application, checked, written)
            for doc in (d for kind, d in held.items() if kind not in fresh):
                ApplicationDocument.objects.create(
                    application=application,
                    kind=doc.kind,
                    original_name=doc.name,
                    stored_name=doc.stored,
                    size=doc.size,
                    sha256=doc.sha256,
                    uploaded_at=timezone.now(),
                )
            _tell_applicant(application, "application_submitted", base_url, summary=_submitted_summary(application, clean))
            _tell_administrators(application)
    except BaseException:
        _remove(written)
        raise
    _remove([d.stored for kind, d in held.items() if kind in fresh])  # kept earlier, replaced now
    log_operation(None, Operation.APPLICATION_SUBMITTED, registry=registry, target=application.reference)
    return application


def _submitted_summary(application: Application, data: Mapping[str, Any]) -> list[list[str]]:
    pairs = summary(dict(data))
    if application.account is not None:
        pairs.insert(0, ["account", application.account.number])
    names = sorted({d.original_name for d in application.documents.all()})
    if names:
        pairs.append(["documents", ", ".join(names)])
    return pairs


def correction_fields(application: Application) -> tuple[str, ...]:
    """The fields a returned application may correct: all of its form's."""
    return {
        Form.OPEN_ACCOUNT: (*OPENING_FIELDS[:1], "name_ja", *OPENING_FIELDS[1:]),
        Form.CHANGE_INFORMATION: ("name", "head_office"),
        Form.CREDENTIALS: ("action", "new_login_id"),
    }.get(Form(application.form), ())


def resubmit(
    application: Application, token: str, data: Mapping[str, str], documents: Mapping[str, Any], base_url: str = ""
) -> Application:
    """The applicant corrects an application returned to them: any of its fields, any document.
    Raises ``ApplicationInvalid`` with every problem, changing nothing."""
    if not secrets.compare_digest(token, application.access_token):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor="this link", account=application.reference)
    if application.status != Status.RETURNED:
        raise CheckFailed(Check.TRANSACTION_NOT_PENDING, transaction=application.reference, status=application.status, action="corrected")
    fields = correction_fields(application)
    merged = {**application.data, **{k: str(v).strip() for k, v in data.items() if k in fields}}
    merged = {k: v for k, v in merged.items() if v}
    problems: dict[str, CheckFailed] = {}
    if application.form == Form.OPEN_ACCOUNT:
        merged, problems = _opening_problems(merged, login_id_was=application.data.get("login_id"))
    else:
        problems = _request_problems(Form(application.form), merged)
    checked, document_problems = _document_problems(documents)
    problems.update(document_problems)
    if problems:
        raise ApplicationInvalid(problems, {})
    written: list[str] = []
    replaced = list(application.documents.filter(kind__in=[kind for kind, _, _ in checked]).values_list("stored_name", flat=True))
    try:
        with transaction.atomic():
            application.data = merged
            application.documents.filter(stored_name__in=replaced).delete()
            _store_documents(application, checked, written)
            _event(application, Status.SUBMITTED)
            _tell_applicant(application, "application_submitted", base_url, summary=_submitted_summary(application, merged))
            _tell_administrators(application)
    except BaseException:
        _remove(written)
        raise
    _remove(replaced)
    return application


def _request_problems(form: Form, clean: Mapping[str, str]) -> dict[str, CheckFailed]:
    problems: dict[str, CheckFailed] = {}
    if form == Form.CREDENTIALS and clean.get("action") not in ("reissue_login_id", "initialise_password"):
        problems["action"] = _invalid("action", _("choose to reissue the login ID or to initialise the password"))
    if form == Form.CHANGE_INFORMATION and not (clean.get("name") or clean.get("head_office")):
        problems["name"] = _invalid("name", _("give the new account name or the new head office"))
    return problems


def closing_refusal(account: Account) -> CheckFailed | None:
    """Why Form 4 cannot be sent for ``account`` now (it must be empty), or None."""
    quantity = held_quantity(account)
    return CheckFailed(Check.ACCOUNT_NOT_EMPTY, account=account.number, quantity=quantity) if quantity else None


def submit_request(actor: Actor, account: Account, form: Form | str, data: Mapping[str, str], base_url: str = "") -> Application:
    """Forms 2-5, by a representative who may initiate for ``account``."""
    form = Form(form)
    if form == Form.OPEN_ACCOUNT:
        raise _invalid("form", "Form 1 is submitted without signing in")
    if not can_initiate(actor, account):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=actor, account=account.number)
    clean = {k: str(v).strip() for k, v in data.items() if str(v).strip()}
    problems = _request_problems(form, clean)
    if problems:
        raise next(iter(problems.values()))
    if form == Form.CLOSE_ACCOUNT and (refusal := closing_refusal(account)) is not None:
        raise refusal
    assert isinstance(actor, User)
    if form == Form.CREDENTIALS and clean.get("action") == "reissue_login_id":
        clean["new_login_id"] = check_new_login_id(clean.get("new_login_id", ""), field="New login ID", for_user=actor)
    with transaction.atomic():
        application = _new(account.registry, form, clean, applicant=actor, account=account)
        ApplicationEvent.objects.create(application=application, at=application.created_at, status=Status.SUBMITTED, actor=actor)
        _tell_applicant(application, "application_submitted", base_url, summary=_submitted_summary(application, clean))
        _tell_administrators(application)
        log_operation(actor, Operation.APPLICATION_SUBMITTED, registry=account.registry, target=f"{application.reference} {form.value}")
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
def return_for_correction(actor: Actor, application: Application, comment: str, base_url: str = "") -> Application:
    _ensure_reviewable(actor, application, *REVIEWABLE)
    if not comment.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    _event(application, Status.RETURNED, actor, comment.strip())
    _tell_applicant(application, "application_returned", base_url, comment=comment.strip())
    return application


@transaction.atomic
def reject(actor: Actor, application: Application, comment: str, base_url: str = "") -> Application:
    _ensure_reviewable(actor, application, *REVIEWABLE)
    if not comment.strip():
        raise CheckFailed(Check.REASON_REQUIRED)
    _event(application, Status.REJECTED, actor, comment.strip())
    _tell_applicant(application, "application_rejected", base_url, comment=comment.strip())
    return application


@transaction.atomic
def approve(actor: Actor, application: Application, base_url: str = "") -> tuple[Application, str | None]:
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
        temporary = temporary_password()
        user = User.objects.create_user(login_id, email=data["email"], password=temporary, first_name=data["manager_name"][:150])
        require_password_change(user)
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
        if (refusal := closing_refusal(account)) is not None:
            raise refusal
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
    _tell_applicant(application, "application_approved", base_url, outcome=application.result)
    return application, temporary
