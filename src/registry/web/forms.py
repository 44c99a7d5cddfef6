"""Forms of the account holders' registry. Labels are translated; every form posts with CSRF."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField  # type: ignore[attr-defined]

from registry.access.audit import RecordedForm
from registry.accounts.models import Right
from registry.parties.models import UnitType, UsePurpose

BLANK_COUNTRY = [("", "—")]


class LoginForm(RecordedForm, forms.Form):
    username = forms.CharField(
        label=_("Login ID"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=6,
        help_text=_("The six digits your authenticator app shows (representatives and administrators)."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TokenForm(RecordedForm, forms.Form):
    token = forms.CharField(
        label=_("One-time code"), max_length=6, widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
    )


class MovementForm(RecordedForm, forms.Form):
    """A proposal as a holder makes it: what, from where to where, which units, for what use."""

    KINDS = [
        ("internal_transfer", _("Transfer to another account of this registry")),
        ("external_transfer", _("Transfer to an account of another registry")),
        ("retirement", _("Retirement or nullification (無効化)")),
        ("cancellation", _("Cancellation")),
    ]
    CANCELLATION_KINDS = [
        ("voluntary", _("Voluntary cancellation")),
        ("omge", _("Cancellation for overall mitigation in global emissions")),
    ]
    kind = forms.ChoiceField(label=_("Transaction"), choices=KINDS)
    cancellation_kind = forms.ChoiceField(label=_("Kind of cancellation"), choices=CANCELLATION_KINDS, required=False)
    to_account = forms.CharField(
        label=_("Acquiring account"), required=False, max_length=20, help_text=_("For transfers, e.g. JPN01-000007.")
    )
    unit_type = forms.ModelChoiceField(
        label=_("Unit type"),
        queryset=UnitType.objects.all(),
        to_field_name="code",
        required=False,
        help_text=_("Required with a quantity: units of one type only are taken."),
    )
    project = forms.CharField(label=_("Project (optional)"), required=False, max_length=40)
    vintage = forms.IntegerField(label=_("Vintage (optional)"), required=False, min_value=2000, max_value=2100)
    quantity = forms.IntegerField(label=_("Quantity (tCO2e)"), required=False, min_value=1)
    ranges = forms.CharField(
        label=_("Or units"),
        required=False,
        max_length=2000,
        help_text=_("Unique identifiers or serial ranges as the holdings table shows them, separated by commas."),
    )
    use_purpose = forms.ModelChoiceField(
        label=_("Purpose of use"),
        queryset=UsePurpose.objects.filter(active=True).select_related("programme"),
        to_field_name="code",
        required=False,
        help_text=_("For retirements and cancellations: one purpose from the programme's list."),
    )
    aim = forms.CharField(label=_("Detailed aim"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    using_entity = forms.CharField(
        label=_("Using entity"),
        required=False,
        max_length=300,
        help_text=_("For retirements and cancellations: the entity using the units (identification number or name)."),
    )
    credit_user = forms.CharField(label=_("Credit user (name)"), required=False, max_length=300)
    use_country = LazyTypedChoiceField(label=_("Country of use"), choices=lambda: BLANK_COUNTRY + list(countries), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language() or "en"
        self.fields["use_purpose"].label_from_instance = lambda p: f"{p.programme.code}: {p.label(language[:2])}"  # type: ignore[attr-defined]

    def clean_ranges(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["ranges"].replace(";", ",").replace("\n", ",").split(",") if part.strip()]


class RejectForm(RecordedForm, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ConfirmForm(RecordedForm, forms.Form):
    """The last step of every irreversible action: the authenticator's one-time code."""

    token = forms.CharField(
        label=_("One-time code"),
        max_length=6,
        help_text=_("The six digits your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TrustedAccountForm(RecordedForm, forms.Form):
    trusted = forms.CharField(label=_("Account number to trust"), max_length=20)


class GrantRightForm(RecordedForm, forms.Form):
    username = forms.CharField(label=_("Login ID"), max_length=150)
    account = forms.CharField(label=_("Account number"), max_length=20)
    right = forms.ChoiceField(label=_("Right"), choices=Right.choices)


class UserForm(RecordedForm, forms.Form):
    username = forms.CharField(label=_("Login ID"), max_length=150)
    new_login = forms.CharField(label=_("New login ID"), required=False, max_length=150)


class SuspensionForm(RecordedForm, forms.Form):
    suspended = forms.BooleanField(label=_("Suspend user-initiated movements"), required=False)
    notice = forms.CharField(label=_("Notice shown to users"), required=False, max_length=500)


class OperatingHoursForm(RecordedForm, forms.Form):
    """Days and times in the registry's own zone (the page names the zone)."""

    days = forms.TypedMultipleChoiceField(
        label=_("Open on"),
        choices=[(day, WEEKDAYS[day]) for day in range(7)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    opens_at = forms.TimeField(label=_("Opens at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes_at = forms.TimeField(label=_("Closes at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class MaintenanceForm(RecordedForm, forms.Form):
    """A maintenance window; the view reads its times in the registry's zone."""

    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    title_ja = forms.CharField(label=_("Title in Japanese"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    body_ja = forms.CharField(label=_("Details in Japanese"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    body_en = forms.CharField(label=_("Details in English"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NewPasswordForm(RecordedForm, PasswordChangeForm):
    """Django's password change, refusing to keep the old (perhaps temporary) password."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new = cleaned.get("new_password1")
        if new and self.user.check_password(new):
            self.add_error("new_password1", _("Choose a password different from the current one."))
        return cleaned


class NewUserForm(RecordedForm, forms.Form):
    login_id = forms.CharField(label=_("Login ID"), max_length=150)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)


class RevokeRightForm(RecordedForm, forms.Form):
    username = forms.CharField(label=_("Login ID"), max_length=150)
    account = forms.CharField(label=_("Account number"), max_length=20)


class AuthorizedEntityForm(RecordedForm, forms.Form):
    """An entity to authorise under an authorisation, with the conditions of AEF Table 5."""

    authorization = forms.ChoiceField(label=_("Authorisation"))
    name = forms.CharField(label=_("Name of the entity"), max_length=300)
    country = forms.RegexField(
        label=_("Country of incorporation"), regex=r"^[A-Z]{2}$", max_length=2, help_text=_("ISO 3166 alpha-2 code, e.g. MN or JP.")
    )
    identification_number = forms.CharField(label=_("Identification number"), required=False, max_length=100)
    conditions = forms.CharField(label=_("Conditions"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    change_and_revocation_conditions = forms.CharField(
        label=_("Change and revocation conditions"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    explanation = forms.CharField(
        label=_("Additional explanatory information"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, identifiers: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["authorization"].choices = [(i, i) for i in identifiers]  # type: ignore[attr-defined]
