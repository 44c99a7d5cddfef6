"""Read-only views of the ledger for administrators. The admin never writes it: only services do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext as _

from registry.access.audit import RecordedForm
from registry.access.login_ids import check_new_login_id
from registry.accounts.models import Account
from registry.core.checks import CheckFailed
from registry.journal.models import JournalEntry
from registry.parties.models import CooperativeApproach, CreditingProgramme, Entity, Notice, Party, Project, Registry, UnitType, UsePurpose
from registry.transactions.models import Transaction
from registry.units.models import CorsiaEligibility, UnitBlock


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("number", "registry", "type", "status", "name", "entity")
    list_filter = ("registry", "type", "status")
    search_fields = ("number", "name")


@admin.register(UnitBlock)
class UnitBlockAdmin(ReadOnly):
    list_display = ("originating_registry", "start", "end", "account", "vintage", "unit_type", "project", "reserved_by")
    list_filter = ("originating_registry", "vintage", "unit_type")
    search_fields = ("account__number",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnly):
    list_display = ("pk", "registry", "type", "status", "from_account", "to_account", "quantity", "check_code", "created_at")
    list_filter = ("registry", "type", "status")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnly):
    list_display = ("registry", "sequence", "kind", "transaction", "recorded_at", "hash")
    list_filter = ("registry", "kind")


for model in (Party, Registry, CreditingProgramme, UnitType, CooperativeApproach, Project, Entity):
    admin.site.register(model, ReadOnly)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Notices and maintenance windows are not ledger data: administrators edit them here."""

    list_display = ("title_en", "kind", "registry", "published_at", "starts_at", "ends_at")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in ("published_at", "starts_at", "ends_at"):
            # Times typed here are the server's; say so, and where the registry's own zone is used.
            field.help_text = _(
                "In %(zone)s, the server's time zone. Announce maintenance under Hours and maintenance to enter it in the registry's own zone."
            ) % {"zone": settings.TIME_ZONE}
        return field


@admin.register(CorsiaEligibility)
class CorsiaEligibilityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("programme", "first_vintage", "last_vintage", "eligible", "compliance_period")


@admin.register(UsePurpose)
class UsePurposeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The purposes of use per programme and the credit types each accepts are reference data that
    administrators maintain; a purpose once used is deactivated, never deleted (the ledger refers to it)."""

    list_display = ("code", "programme", "name", "name_ja", "towards_ndc", "domestic_only", "position", "active")
    list_filter = ("programme", "active")
    filter_horizontal = ("unit_types",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _login_id_field(form: forms.ModelForm[User]) -> str:
    """The form's login ID under the one rule of ``registry.access.login_ids`` (2020, 2021)."""
    typed = form.cleaned_data["username"]
    if form.instance.pk is not None and typed == form.instance.username:
        return str(typed)  # unchanged: users made before the rule keep their ID
    try:
        return check_new_login_id(typed, field=_("Login ID"), for_user=form.instance if form.instance.pk else None)
    except CheckFailed as failure:
        raise forms.ValidationError(f"[{failure.code}] {failure.message}") from failure


class LoginIdCreationForm(RecordedForm, AdminUserCreationForm):
    def clean_username(self) -> str:
        return _login_id_field(self)


class LoginIdChangeForm(RecordedForm, UserChangeForm):  # type: ignore[type-arg]
    def clean_username(self) -> str:
        return _login_id_field(self)


class RegistryUserAdmin(UserAdmin):  # type: ignore[type-arg]
    """Django's user administration, with the registry's login ID rule."""

    add_form = LoginIdCreationForm
    form = LoginIdChangeForm


admin.site.unregister(User)
admin.site.register(User, RegistryUserAdmin)
