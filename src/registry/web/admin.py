"""Read-only views of the ledger for administrators. The admin never writes it: only services do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.accounts.models import Account
from registry.journal.models import JournalEntry
from registry.parties.models import CooperativeApproach, CreditingProgramme, Entity, Notice, Party, Project, Registry, UnitType, UsePurpose
from registry.transactions.models import Transaction
from registry.units.models import CorsiaEligibility, UnitBlock
from registry.web import admin_people  # noqa: F401  (users, groups, authenticator apps, sign-in attempts: the people, not the ledger)
from registry.web.admin_site import in_words


@admin.display(description=gettext_lazy("name"), ordering="name")
def translated_name(obj: Any) -> str:
    """A registry's, programme's, approach's or unit type's name in the reader's language, as on the web pages."""
    from registry.web.templatetags.registry_text import shown_name

    return shown_name(obj)


class Translated(admin.ModelAdmin):  # type: ignore[type-arg]
    """The lists show yes/no fields in words."""

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return in_words(self, super().get_list_display(request))


class ReadOnly(Translated):
    """A model the admin only shows: its page reads yes/no fields in words and names in the reader's language."""

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return in_words(self, super().get_fields(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("number", "registry", "type", "status", "shown_name", "entity")
    list_filter = ("registry", "type", "status")
    search_fields = ("number", "name")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return ["shown_name" if name == "name" else name for name in super().get_fields(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return ["shown_name"]

    @admin.display(description=gettext_lazy("name"), ordering="name")
    def shown_name(self, account: Account) -> str:
        """A system account's name in the reader's language, as the web pages show it."""
        from registry.web.templatetags.registry_text import account_name

        return account_name(account)


@admin.register(UnitBlock)
class UnitBlockAdmin(ReadOnly):
    list_display = ("originating_registry", "start", "end", "account", "vintage", "unit_type", "project", "reserved_by")
    list_filter = ("originating_registry", "vintage", "unit_type")
    search_fields = ("account__number",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnly):
    list_display = ("id", "registry", "type", "status", "from_account", "to_account", "quantity", "check_code", "created_at")
    list_filter = ("registry", "type", "status")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnly):
    list_display = ("registry", "sequence", "kind_shown", "transaction", "recorded_at", "hash")

    #: The journal's entry kinds (``registry.core.entries.entry_kind``) in words.
    KINDS = {
        "transaction": gettext_lazy("Transaction"),
        "account_opened": gettext_lazy("Account opened"),
        "account_status_changed": gettext_lazy("Account status changed"),
        "authorization_version": gettext_lazy("Version of an authorisation"),
    }

    class KindFilter(admin.SimpleListFilter):
        title = gettext_lazy("kind")
        parameter_name = "kind"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
            return list(JournalEntryAdmin.KINDS.items())

        def queryset(self, request: HttpRequest, queryset: Any) -> Any:
            return queryset.filter(kind=self.value()) if self.value() else queryset

    list_filter = ("registry", KindFilter)

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_shown(self, entry: JournalEntry) -> str:
        return str(self.KINDS.get(entry.kind, entry.kind))


class NamedByTheRegistry(ReadOnly):
    """Reference data whose names the registry gives and translates (``Joint Crediting Mechanism``)."""

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [translated_name if name == "name" else name for name in super().get_fields(request, obj)]


for model in (Party, Project, Entity):
    admin.site.register(model, ReadOnly)
for named in (Registry, CreditingProgramme, UnitType, CooperativeApproach):
    admin.site.register(named, NamedByTheRegistry)


@admin.register(Notice)
class NoticeAdmin(Translated):
    """Notices and maintenance windows are not ledger data: administrators edit them here."""

    list_display = ("title", "kind", "registry", "published_at", "starts_at", "ends_at")

    @admin.display(description=gettext_lazy("title"), ordering="title_en")
    def title(self, notice: Notice) -> str:
        """The title in the reader's language."""
        from django.utils.translation import get_language

        return notice.title_ja if get_language() == "ja" and notice.title_ja else notice.title_en

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in ("published_at", "starts_at", "ends_at"):
            # Times typed here are the server's; say so, and where the registry's own zone is used.
            field.help_text = _(
                "In %(zone)s, the server's time zone. Announce maintenance under Hours and maintenance to enter it in the registry's own zone."
            ) % {"zone": settings.TIME_ZONE}
        return field


@admin.register(CorsiaEligibility)
class CorsiaEligibilityAdmin(Translated):
    list_display = ("programme", "first_vintage", "last_vintage", "eligible", "compliance_period")


@admin.register(UsePurpose)
class UsePurposeAdmin(Translated):
    """The purposes of use per programme and the credit types each accepts are reference data that
    administrators maintain; a purpose once used is deactivated, never deleted (the ledger refers to it)."""

    list_display = ("code", "programme", "name", "name_ja", "towards_ndc", "domestic_only", "position", "active")
    list_filter = ("programme", "active")
    filter_horizontal = ("unit_types",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
