"""What people read about an application: its fields, its requested values beside the current ones,
and what approval did, in human words of the active language (never ``login_id`` or ``True``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.applications.models import Application, Form

FIELD_LABELS = {
    "name": gettext_lazy("Company name"),
    "name_ja": gettext_lazy("Company name in Japanese"),
    "country": gettext_lazy("Country of incorporation"),
    "identification_number": gettext_lazy("Company registration number"),
    "head_office": gettext_lazy("Head office address"),
    "manager_name": gettext_lazy("Account manager's name"),
    "email": gettext_lazy("Account manager's email"),
    "login_id": gettext_lazy("Login ID"),
    "action": gettext_lazy("Request"),
    "new_login_id": gettext_lazy("New login ID"),
}
#: Lines of a submission's summary that are not fields of the form.
SUMMARY_LABELS = {"account": gettext_lazy("Account"), "documents": gettext_lazy("Documents")}

CREDENTIAL_ACTIONS = {
    "reissue_login_id": gettext_lazy("Reissue my login ID"),
    "initialise_password": gettext_lazy("Initialise my password"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name) or SUMMARY_LABELS.get(name) or name)


def shown_value(name: str, value: Any) -> str:
    if name == "action":
        return str(CREDENTIAL_ACTIONS.get(str(value), value))
    return str(value)


def summary(data: dict[str, Any]) -> list[list[str]]:
    """The fields sent, in form order, as [name, value] pairs (kept in a notification's parameters)."""
    return [[name, str(data[name])] for name in FIELD_LABELS if data.get(name)]


def summary_lines(pairs: Sequence[Sequence[str]]) -> list[str]:
    return [_("%(label)s: %(value)s") % {"label": field_label(name), "value": shown_value(name, value)} for name, value in pairs]


def comparison(application: Application) -> list[tuple[str, str, str]]:
    """(label, current value, requested value) for each field the application sets; the current
    value is the account's (or the user's) today, empty for a new account."""
    data = application.data
    account = application.account
    entity = account.entity if account is not None else None
    current: dict[str, str] = {}
    if application.form == Form.CHANGE_INFORMATION and account is not None:
        current = {"name": account.name, "head_office": entity.head_office if entity else ""}
    elif application.form == Form.CREDENTIALS and application.applicant is not None:
        current = {"new_login_id": application.applicant.username}
    rows = []
    for name in FIELD_LABELS:
        if data.get(name):
            rows.append((field_label(name), current.get(name, ""), shown_value(name, data[name])))
    return rows


def approval_outcome(result: dict[str, Any]) -> str:
    """What approval did, in a sentence or two."""
    parts = []
    if result.get("account") and result.get("login_id"):
        parts.append(
            _("Account %(account)s is open; its representative signs in as %(login)s.")
            % {"account": result["account"], "login": result["login_id"]}
        )
    elif result.get("login_id"):
        parts.append(_("The login ID is now %(login)s.") % {"login": result["login_id"]})
    if result.get("changed"):
        parts.append(_("Changed: %(fields)s.") % {"fields": ", ".join(field_label(f) for f in result["changed"])})
    if result.get("closed"):
        parts.append(_("Account %(account)s is closed.") % {"account": result["closed"]})
    if result.get("password_initialised"):
        parts.append(
            _("The password of %(login)s is initialised: it must be changed at the next sign-in.")
            % {"login": result["password_initialised"]}
        )
    if result.get("certificate"):
        parts.append(_("The certificate of account information is ready."))
    return " ".join(parts)
