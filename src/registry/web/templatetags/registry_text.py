"""Template filters that show the registry's data in the reader's language and the registry's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from registry.accounts.models import Account, AccountType
from registry.parties.local_time import local_time

register = template.Library()


@register.filter
def in_zone(moment: datetime | None, zone: Any) -> str:
    """``{{ tx.created_at|in_zone:tx.registry }}``: ``2026-12-03 18:39 JST``."""
    if moment is None:
        return "—"
    return local_time(moment, getattr(zone, "time_zone", None) or str(zone or settings.TIME_ZONE))


@register.filter
def shown_name(item: Any) -> str:
    """A registry's, programme's, approach's or unit type's name: the reference data's own words are translated."""
    name = str(getattr(item, "name", item) or "")
    return gettext(name) if name else name


@register.filter
def party_name(party: Any) -> str:
    if translation.get_language() == "ja" and getattr(party, "name_ja", None):
        return str(party.name_ja)
    return str(getattr(party, "name", party))


@register.filter
def account_name(account: Account) -> str:
    """System and government accounts named by the registry (``Japan retirement account``) read in the
    reader's language; names given by holders are shown as given."""
    if account.type == AccountType.ENTITY_HOLDING:
        return account.name
    party = account.registry.party
    label = AccountType(account.type).label
    with translation.override("en"):
        generated = f"{party.name} {label}".lower()
    if account.name.lower() != generated:
        return account.name
    return f"{party_name(party)} {label}"


@register.filter
def refusal(tx: Any) -> str:
    """A rejected transaction's refusal in the reader's language (``[7101] ...``)."""
    from registry.refusals import kept_refusal_message

    return kept_refusal_message(tx.check_code, tx.check_params or {}, tx.check_message)


@register.filter
def block_status(value: str) -> str:
    """A block's status in the credit search (held, retired, cancelled) in words."""
    from django.utils.translation import gettext_lazy as _

    labels = {"held": _("Held"), "retired": _("Retired"), "cancelled": _("Cancelled")}
    return str(labels.get(value, value))


@register.filter
def field_name(value: str) -> str:
    """A recorded field's name (``login_id``) as the forms call it."""
    from registry.refusals import FIELD_NAMES

    return str(FIELD_NAMES.get(value) or gettext(value))
