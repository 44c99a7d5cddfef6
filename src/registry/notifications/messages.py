"""The messages the registry sends, in every language the registry speaks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Right
from registry.parties.local_time import local_time

MESSAGES = {
    "account_access_granted": _("You are now a representative of account %(account)s (%(right)s)."),
    "login_id_reissued": _("Your login ID was reissued: it is now %(login)s."),
    "password_initialised": _(
        "An administrator initialised your password. Sign in with the temporary password you were given and choose a new one."
    ),
    "issuance_completed": _("%(quantity)s units were issued into account %(account)s (transaction %(transaction)s)."),
    "transaction_awaiting_approval": _("Transaction %(transaction)s (%(quantity)s units from account %(account)s) awaits your approval."),
    "transaction_approved": _("Transaction %(transaction)s was approved by %(by)s."),
    "transaction_delayed": _(
        "Transaction %(transaction)s goes to an account that is not on the trusted list: it completes at %(when)s unless cancelled."
    ),
    "transaction_completed": _("Transaction %(transaction)s (%(quantity)s units from account %(account)s) is completed."),
    "units_received": _("Account %(account)s received %(quantity)s units from account %(sender)s (transaction %(transaction)s)."),
    "transaction_rejected": _("Transaction %(transaction)s was rejected by %(by)s: %(reason)s"),
    "transaction_cancelled": _("Transaction %(transaction)s was cancelled by %(by)s."),
    "application_returned": _("Application %(reference)s was returned for correction: %(comment)s"),
    "application_approved": _("Application %(reference)s was approved."),
    "sign_in_failures": _(
        "%(count)s sign-ins with your login ID failed since your last sign-in (the latest from address %(address)s). "
        "If it was not you, tell your registry administrator."
    ),
    "sign_in_locked": _(
        "Sign-ins with your login ID from address %(address)s are refused for %(minutes)s minutes after repeated failures. "
        "You can still sign in from your usual address. If it was not you, tell your registry administrator."
    ),
}


def render(kind: str, params: dict[str, Any]) -> str:
    """The message in the active language (coded values such as a right are translated too)."""
    shown = dict(params)
    if "right" in shown:
        shown["right"] = str(Right(shown["right"]).label)
    if "when" in shown:  # stored as ISO with its offset; shown in the registry's zone, saying which
        try:
            moment = datetime.fromisoformat(str(shown["when"]))
        except ValueError:
            pass
        else:
            shown["when"] = local_time(moment, str(shown.get("zone") or settings.TIME_ZONE))
    return str(MESSAGES[kind]) % shown
