"""The administration site, in the reader's language: its titles, and the names of apps and models.

Our apps and models name themselves (``verbose_name``, translated); the names here are those of
django-axes and django-otp, which speak no Japanese. ``in_words`` shows yes/no fields as words in
lists and pages, for every ModelAdmin of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: Django's own apps and ours name themselves (``AppConfig.verbose_name``); these do not, in Japanese.
APPS = {
    "axes": _("Sign-in attempts"),
    "otp_totp": _("Authenticator apps"),
}

MODELS = {
    ("axes", "AccessAttempt"): _("Sign-in attempts"),
    ("axes", "AccessFailureLog"): _("Failed sign-ins"),
    ("axes", "AccessLog"): _("Sign-ins"),
    ("otp_totp", "TOTPDevice"): _("Authenticator apps (TOTP)"),
}


def yes_or_no(name: str, label: Any) -> Callable[[Any], str]:
    """A column or line for a yes/no field that reads ``はい``/``いいえ``: Django's own icons say True or False
    to a screen reader, in English."""

    @admin.display(description=label, ordering=name)
    def shown(obj: Any) -> str:
        return gettext("Yes") if getattr(obj, name) else gettext("No")

    return shown


def in_words(model_admin: admin.ModelAdmin, names: Sequence[Any]) -> list[Any]:  # type: ignore[type-arg]
    """``names`` (fields, columns) with each yes/no field shown in words."""
    swapped = []
    for name in names:
        field = next((f for f in model_admin.model._meta.fields if f.name == name), None) if isinstance(name, str) else None
        swapped.append(yes_or_no(name, field.verbose_name) if isinstance(field, models.BooleanField) else name)
    return swapped


class RegistryAdminSite(admin.AdminSite):
    site_header = _("Carbon credit registry: administration")
    site_title = _("Carbon credit registry")
    index_title = _("The ledger, read only, and notices")

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        from django.conf import settings

        from registry.parties.hours_text import zone_label

        return {**super().each_context(request), "admin_time_zone": zone_label(settings.TIME_ZONE)}

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["name"] = str(APPS.get(app["app_label"], app["name"]))
            for model in app["models"]:
                model["name"] = str(MODELS.get((app["app_label"], model["object_name"]), model["name"]))
        return apps


class RegistryAdminConfig(AdminConfig):
    """Django's admin, on the registry's own site (in INSTALLED_APPS in place of django.contrib.admin)."""

    default_site = "registry.web.admin_site.RegistryAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.apps import apps

        # The admin heads every page of an app with its AppConfig's name; these apps name themselves
        # in English only. An AppConfig's name is no model state: no migration follows.
        for label, name in APPS.items():
            apps.get_app_config(label).verbose_name = name
