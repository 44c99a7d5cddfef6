"""The messages the registry sends, in every language the registry speaks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Right
from registry.parties.local_time import local_time

MESSAGES = {
    "account_access_granted": _("You are now a representative of account %(account)s (%(right)s)."),
    "account_access_revoked": _("You no longer represent account %(account)s."),
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
    "transaction_refused_when_due": _(
        "Transaction %(transaction)s (%(quantity)s units from account %(account)s) could not complete when its time came and was refused: "
        "%(refusal)s Its units are free again."
    ),
    "application_submitted": _("Application %(reference)s (%(form)s) is received; an administrator will review it. Follow it at %(link)s"),
    "application_to_review": _("New application %(reference)s (%(form)s) in registry %(registry)s from %(applicant)s awaits review."),
    "application_returned": _("Application %(reference)s was returned for correction: %(comment)s (correct it at %(link)s)"),
    "application_approved": _("Application %(reference)s was approved. %(outcome)s"),
    "application_rejected": _("Application %(reference)s was rejected: %(comment)s"),
    "reconciliation_discrepancies": _(
        "Reconciliation of registry %(registry)s with peer registry %(peer)s found %(count)s discrepancies: %(discrepancies)s "
        "Check them with 'registry reconcile --peer %(peer)s'."
    ),
    "sign_in_failures": _(
        "%(count)s sign-ins with your login ID failed since your last sign-in (the latest from address %(address)s). "
        "If it was not you, tell your registry administrator."
    ),
    "sign_in_locked": _(
        "Sign-ins with your login ID from address %(address)s are refused for %(minutes)s minutes after repeated failures. "
        "You can still sign in from your usual address. If it was not you, tell your registry administrator."
    ),
    "peer_notice_not_recorded": _(
        "Peer registry %(peer)s has not recorded the first transfer of the units that transaction %(transaction)s of registry "
        "%(registry)s cancelled: %(refusal)s The cancellation stands, and the first transfer and its corresponding adjustment are "
        "still that registry's to record. Agree with its administrators on what must change, then have an installation "
        "administrator send the notice again on the Peer registries page of the menu."
    ),
}


class _Params(dict[str, Any]):
    """A notification recorded before its message gained a parameter still renders (empty)."""

    def __missing__(self, key: str) -> str:
        return ""


#: How the coded value of a parameter is shown, by parameter name. The app that sends such values
#: registers here when it is ready (notifications know no app above them).
PARAMETER_RENDERERS: dict[str, Callable[[Any], str]] = {}


def show_parameter(name: str, renderer: Callable[[Any], str]) -> None:
    PARAMETER_RENDERERS[name] = renderer


def render(kind: str, params: dict[str, Any]) -> str:
    """The message in the active language (coded values such as a right are translated too); a
    ``summary`` parameter follows the sentence, one line per field."""
    shown = _Params(params)
    if "right" in shown:
        shown["right"] = str(Right(shown["right"]).label)
    if "when" in shown:  # stored as ISO with its offset; shown in the registry's zone, saying which
        try:
            moment = datetime.fromisoformat(str(shown["when"]))
        except ValueError:
            pass
        else:
            shown["when"] = local_time(moment, str(shown.get("zone") or settings.TIME_ZONE))
    for name, renderer in PARAMETER_RENDERERS.items():
        if name in shown:
            shown[name] = renderer(shown[name])
    text = str(MESSAGES[kind]) % shown
    if shown.get("summary"):
        text = "\n".join([text, str(shown["summary"])])
    return text
