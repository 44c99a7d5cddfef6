"""The admin's pages of people: Django's users and groups (with the registry's login ID rule and
permissions in words), authenticator apps and django-axes' sign-in attempts, in the reader's language."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, Permission, User
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.audit import RecordedForm
from registry.access.login_ids import check_new_login_id
from registry.core.checks import CheckFailed
from registry.refusals import refusal_message
from registry.web.admin_site import in_words


def _login_id_field(form: forms.ModelForm[User]) -> str:
    """The form's login ID under the one rule of ``registry.access.login_ids`` (2020, 2021)."""
    typed = form.cleaned_data["username"]
    if form.instance.pk is not None and typed == form.instance.username:
        return str(typed)  # unchanged: users made before the rule keep their ID
    try:
        return check_new_login_id(typed, field=_("Login ID"), for_user=form.instance if form.instance.pk else None)
    except CheckFailed as failure:
        raise forms.ValidationError(refusal_message(failure)) from failure


class LoginIdCreationForm(RecordedForm, AdminUserCreationForm):
    def clean_username(self) -> str:
        return _login_id_field(self)


class LoginIdChangeForm(RecordedForm, UserChangeForm):  # type: ignore[type-arg]
    def clean_username(self) -> str:
        return _login_id_field(self)


class PermissionChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A permission in the reader's language: Django stores its name in English (``Can add party``)."""

    ACTIONS = {
        "add": gettext_lazy("Add %(model)s"),
        "change": gettext_lazy("Change %(model)s"),
        "delete": gettext_lazy("Delete %(model)s"),
        "view": gettext_lazy("View %(model)s"),
    }

    def label_from_instance(self, obj: Permission) -> str:
        from registry.web.admin_site import APPS

        model = obj.content_type.model_class()
        action, _sep, _rest = obj.codename.partition("_")
        if model is None or action not in self.ACTIONS:
            return _(obj.name)
        from registry.web.admin_site import MODELS

        app = APPS.get(model._meta.app_label, model._meta.app_config.verbose_name)
        name = MODELS.get((model._meta.app_label, model._meta.object_name or "")) or model._meta.verbose_name
        return f"{app} | {self.ACTIONS[action] % {'model': name}}"


class PermissionsInWords(admin.ModelAdmin):  # type: ignore[type-arg]
    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoice
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class RegistryUserAdmin(PermissionsInWords, UserAdmin):  # type: ignore[type-arg]
    """Django's user administration, with the registry's login ID rule."""

    add_form = LoginIdCreationForm
    form = LoginIdChangeForm

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return in_words(self, super().get_list_display(request))


class RegistryGroupAdmin(PermissionsInWords, GroupAdmin):
    """Django's groups, their permissions in the reader's language."""


class NamedInWords(admin.ModelAdmin):  # type: ignore[type-arg]
    """The admin of another library's model that names itself and its objects in English only."""

    change_form_template = "admin/named_change_form.html"
    change_list_template = "admin/named_change_list.html"
    model_name_plural: Any = ""

    def subtitle(self, obj: Any) -> str:
        raise NotImplementedError

    def action_checkbox(self, obj: Any) -> SafeString:
        """The row's checkbox, its label naming the object in words (Django labels it with ``str(obj)``)."""
        from django.contrib.admin import helpers

        label = _("Select this object for an action - {}").replace("{}", self.subtitle(obj))
        return forms.CheckboxInput({"class": "action-select", "aria-label": label}, lambda value: False).render(
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk)
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().changelist_view(request, {**(extra_context or {}), "title": self.model_name_plural})

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None) -> Any:
        obj = self.get_object(request, object_id)
        named = {
            "title": self.model_name_plural,
            "subtitle": self.subtitle(obj) if obj else "",
            "model_name_plural": self.model_name_plural,
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **named})


class AuthenticatorAdmin(NamedInWords):
    """Each person's authenticator app, to remove one that was lost (the person sets up a new one at
    the next sign-in). It never shows the secret key, and devices are added only by their owners."""

    model_name_plural = gettext_lazy("Authenticator apps (TOTP)")
    list_display = ("owner", "device_name", "set_up", "created", "last_used")
    fields = list_display
    readonly_fields = list_display
    search_fields = ("user__username",)
    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def subtitle(self, device: TOTPDevice) -> str:
        return f"{device.user} {device.name}"

    @admin.display(description=gettext_lazy("user"), ordering="user__username")
    def owner(self, device: TOTPDevice) -> str:
        return str(device.user)

    @admin.display(description=gettext_lazy("name"), ordering="name")
    def device_name(self, device: TOTPDevice) -> str:
        return str(device.name)

    @admin.display(description=gettext_lazy("set up"), ordering="confirmed")
    def set_up(self, device: TOTPDevice) -> str:
        return _("Yes") if device.confirmed else _("No")

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, device: TOTPDevice) -> str:
        return self._moment(device.created_at)

    @admin.display(description=gettext_lazy("last used at"), ordering="last_used_at")
    def last_used(self, device: TOTPDevice) -> str:
        return self._moment(device.last_used_at)

    def _moment(self, moment: Any) -> str:
        from registry.parties.local_time import local_time

        return str(local_time(moment, settings.TIME_ZONE)) if moment else str(self.get_empty_value_display())


def _sign_in_admin(base: type[admin.ModelAdmin], plural: Any) -> type[admin.ModelAdmin]:  # type: ignore[type-arg]
    """django-axes' admin of ``base``'s model, its objects named by login ID and time, yes/no in words."""

    class SignInAdmin(NamedInWords, base):  # type: ignore[misc, valid-type]
        model_name_plural = plural

        def subtitle(self, obj: Any) -> str:
            from registry.parties.local_time import local_time

            return f"{obj.username} {local_time(obj.attempt_time, settings.TIME_ZONE)}"

        def get_list_display(self, request: HttpRequest) -> list[Any]:
            return in_words(self, super().get_list_display(request))

    return SignInAdmin


admin.site.unregister(User)
admin.site.register(User, RegistryUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, RegistryGroupAdmin)
admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, AuthenticatorAdmin)
for _model, _admin, _plural in (
    (AccessAttempt, AccessAttemptAdmin, gettext_lazy("Sign-in attempts")),
    (AccessFailureLog, AccessFailureLogAdmin, gettext_lazy("Failed sign-ins")),
    (AccessLog, AccessLogAdmin, gettext_lazy("Sign-ins")),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _sign_in_admin(_admin, _plural))
