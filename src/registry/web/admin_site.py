"""The administration site, in the reader's language: its titles, and the names of apps and models.

The names are given here rather than as models' ``verbose_name`` so that translating the admin
changes no model state (no migrations in every app); django-axes and django-otp speak no Japanese.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

APPS = {
    "parties": _("Parties, programmes and projects"),
    "accounts": _("Accounts"),
    "units": _("Unit blocks"),
    "transactions": _("Transactions"),
    "journal": _("Journal"),
    "disclosure": _("Public information"),
    "axes": _("Sign-in attempts"),
    "otp_totp": _("Authenticator apps"),
}

MODELS = {
    ("parties", "Party"): _("Parties"),
    ("parties", "Registry"): _("Registries"),
    ("parties", "CreditingProgramme"): _("Crediting programmes"),
    ("parties", "UnitType"): _("Unit types"),
    ("parties", "CooperativeApproach"): _("Cooperative approaches"),
    ("parties", "Project"): _("Projects"),
    ("parties", "Entity"): _("Entities"),
    ("accounts", "Account"): _("Accounts"),
    ("units", "UnitBlock"): _("Unit blocks"),
    ("transactions", "Transaction"): _("Transactions"),
    ("journal", "JournalEntry"): _("Journal entries"),
    ("parties", "Notice"): _("Notices"),
    ("units", "CorsiaEligibility"): _("CORSIA eligibility"),
    ("axes", "AccessAttempt"): _("Sign-in attempts"),
    ("axes", "AccessFailureLog"): _("Failed sign-ins"),
    ("axes", "AccessLog"): _("Sign-ins"),
    ("otp_totp", "TOTPDevice"): _("Authenticator apps (TOTP)"),
}


class RegistryAdminSite(admin.AdminSite):
    site_header = _("Carbon credit registry: administration")
    site_title = _("Carbon credit registry")
    index_title = _("The ledger, read only, and notices")

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
