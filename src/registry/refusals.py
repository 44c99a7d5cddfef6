"""Refusals in the reader's language, for every interface (web pages, applications): a check's message translated by its code, its values localised.

The core keeps one English template per check (``registry.core.checks``) and no Django. Here each
template is looked up in the translation catalogue under its ``%(name)s`` form, so the catalogue
is the table of translatable templates keyed by check; the failure's data fill it after being
made readable: coded values (account types, statuses, rights) become their labels, times are shown
in the registry's own zone saying which, and field names of a 1013 become the names on the form.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry.core.checks import Check, CheckFailed
from registry.parties.local_time import local_time

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

#: Field names services give to a 1013 that are not already the words a form shows.
FIELD_NAMES = {
    "name": _("Company name"),
    "name_ja": _("Company name in Japanese"),
    "country": _("Country"),
    "identification_number": _("Company registration number"),
    "head_office": _("Head office"),
    "manager_name": _("Account manager's name"),
    "email": _("Email address"),
    "login_id": _("Login ID"),
    "documents": _("Documents"),
    "form": _("Form"),
    "action": _("Action"),
    "changes": _("Changes"),
    "cursor": _("Cursor"),
}

#: The verbs of 5501 ("it can no longer be ..."), as the services name them.
ACTIONS = {
    "approved": _("approved"),
    "rejected": _("rejected"),
    "cancelled": _("cancelled"),
    "corrected": _("corrected"),
    "reviewed": _("reviewed"),
    "executed": _("executed"),
}


def template_msgid(check: Check) -> str:
    """The catalogue's key for a check: its English template with ``%(name)s`` placeholders."""
    return _PLACEHOLDER.sub(r"%(\1)s", check.template.replace("%", "%%"))


def refusal_message(failure: CheckFailed) -> str:
    """``[code] message`` in the active language (English when no translation exists)."""
    params = _readable(failure.check, failure.params)
    text = gettext(template_msgid(failure.check)) % params
    return f"[{failure.code}] {text}"


def kept_params(failure: CheckFailed) -> dict[str, Any]:
    """The failure's values as a record keeps them in JSON (times marked as such), so that the refusal
    can be worded later in its reader's language (``kept_refusal_message``)."""
    kept: dict[str, Any] = {}
    for name, value in failure.params.items():
        if isinstance(value, datetime):
            kept[name] = {"datetime": value.isoformat()}
        elif value is None or isinstance(value, str | int | float | bool):
            kept[name] = value
        else:
            kept[name] = str(value)
    return kept


def kept_refusal_message(code: int | None, params: dict[str, Any], message: str) -> str:
    """A refusal on record (a rejected transaction) in the active language, from the values kept with
    it; as recorded when they were not kept (a record older than ``kept_params``)."""
    check = next((c for c in Check if c.code == code), None)
    if check is None or (not params and _PLACEHOLDER.search(check.template)):
        return f"[{code}] {message}"
    values = {
        name: datetime.fromisoformat(value["datetime"]) if isinstance(value, dict) and set(value) == {"datetime"} else value
        for name, value in params.items()
    }
    try:
        return refusal_message(CheckFailed(check, (), **values))
    except (KeyError, ValueError, TypeError):  # values that no longer fit the check's wording
        return f"[{code}] {message}"


def _readable(check: Check, params: dict[str, Any]) -> dict[str, str]:
    shown = {name: _value(name, value, params) for name, value in params.items()}
    for name in _PLACEHOLDER.findall(check.template):
        shown.setdefault(name, "")
    if check in (Check.OUTSIDE_OPERATING_HOURS, Check.MAINTENANCE_WINDOW):
        shown.update(_opening(check, params))
    if check in (Check.PEER_TRANSFER_REFUSED, Check.PEER_NOTICE_REFUSED) and "checks" in params:
        shown["detail"] = peer_checks_message(params["checks"])
    return shown


def peer_checks_message(checks: Any) -> str:
    """A peer registry's refusal codes with their values (``transfers.peer_refusal``), worded from
    this registry's own catalogue in the active language; a code this registry does not know, or
    values that do not fit its wording, say so (the peer's own words follow in the message)."""
    import json

    try:
        items = json.loads(checks) if isinstance(checks, str) else checks
    except ValueError:
        items = []
    texts = []
    for item in items if isinstance(items, list) else []:
        code = item.get("code") if isinstance(item, dict) else None
        check = next((c for c in Check if c.code == code), None)
        values = item.get("params") if isinstance(item, dict) else None
        try:
            if check is None or not isinstance(values, dict):
                raise KeyError(code)
            texts.append(refusal_message(CheckFailed(check, (), **values)))
        except (KeyError, ValueError, TypeError):
            texts.append(
                gettext("[%(code)s] a check this registry does not know; the peer's own words say what it means.") % {"code": code}
            )
    return " ".join(texts) or gettext("The peer gave no check code.")


def _value(name: str, value: Any, params: dict[str, Any]) -> str:
    from registry.accounts.models import AccountStatus, AccountType, Right
    from registry.applications.models import Status as ApplicationStatus
    from registry.transactions.models import TransactionStatus

    if isinstance(value, datetime):
        return local_time(value, _zone_of(params.get("registry")))
    text = str(value)
    if name == "status":
        for choices in (TransactionStatus, AccountStatus, ApplicationStatus):
            if text in choices.values:
                return str(choices(text).label)
    if name == "account_type" and text in AccountType.values:
        return str(AccountType(text).label)
    if name == "right" and text in Right.values:
        return str(Right(text).label)
    if name == "action" and text in ACTIONS:
        return str(ACTIONS[text])
    if name == "field":
        return str(FIELD_NAMES.get(text) or gettext(text))
    if name == "detail" and params.get("detail_template"):
        return gettext(str(params["detail_template"])) % params
    if name == "kinds":
        from registry.transactions.models import CancellationKind

        return _("、").join(str(CancellationKind(k).label) if k in CancellationKind.values else k for k in text.split(", "))
    if name in ("detail", "why", "definition", "type", "actor", "programme", "unit_type", "allowed", "what"):
        return gettext(text) if text else text
    if name == "title" and translation.get_language() == "ja" and params.get("title_ja"):
        return str(params["title_ja"])
    return text


def _zone_of(registry_id: Any) -> str:
    from registry.parties.models import Registry

    zone = Registry.objects.filter(registry_id=str(registry_id)).values_list("time_zone", flat=True).first()
    return zone or "UTC"


def _opening(check: Check, params: dict[str, Any]) -> dict[str, str]:
    """2007 and 2008 name hours and moments in the registry's zone and in the reader's words."""
    from registry.parties.hours_text import describe_hours, zone_label
    from registry.parties.models import Registry

    registry = Registry.objects.filter(registry_id=str(params.get("registry"))).first()
    if registry is None:
        return {}
    shown = {"zone": zone_label(registry.time_zone), "hours": describe_hours(registry)}
    if isinstance(params.get("at"), datetime):
        local = params["at"].astimezone(zoneinfo.ZoneInfo(registry.time_zone))
        shown["now"] = f"{formats.date_format(local, 'D')} {local:%H:%M}"
    return shown
