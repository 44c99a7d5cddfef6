"""Forms of the account holders' registry. Labels are translated; every form posts with CSRF."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from registry.accounts.models import Right


class LoginForm(forms.Form):
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


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("One-time code"), max_length=6, widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
    )


class MovementForm(forms.Form):
    KINDS = [
        ("internal_transfer", _("Transfer to another account of this registry")),
        ("external_transfer", _("Transfer to an account of another registry")),
        ("retirement", _("Retirement (use towards the NDC)")),
        ("voluntary", _("Voluntary cancellation")),
    ]
    kind = forms.ChoiceField(label=_("Transaction"), choices=KINDS)
    to_account = forms.CharField(
        label=_("Acquiring account"), required=False, max_length=20, help_text=_("For transfers, e.g. JPN01-000007.")
    )
    quantity = forms.IntegerField(label=_("Quantity (tCO2e)"), required=False, min_value=1)
    ranges = forms.CharField(label=_("Or serial ranges"), required=False, max_length=500, help_text=_("e.g. 101-150, 200-210"))
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=100)
    using_entity = forms.CharField(
        label=_("Using entity"),
        required=False,
        max_length=300,
        help_text=_("For retirements and cancellations: the entity using the units (identification number or name)."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class TrustedAccountForm(forms.Form):
    trusted = forms.CharField(label=_("Account number to trust"), max_length=20)


class GrantRightForm(forms.Form):
    username = forms.CharField(label=_("Login ID"), max_length=150)
    account = forms.CharField(label=_("Account number"), max_length=20)
    right = forms.ChoiceField(label=_("Right"), choices=Right.choices)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Login ID"), max_length=150)
    new_login = forms.CharField(label=_("New login ID"), required=False, max_length=150)


class SuspensionForm(forms.Form):
    suspended = forms.BooleanField(label=_("Suspend user-initiated movements"), required=False)
    notice = forms.CharField(label=_("Notice shown to users"), required=False, max_length=500)


class NewPasswordForm(PasswordChangeForm):
    """Django's password change, refusing to keep the old (perhaps temporary) password."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new = cleaned.get("new_password1")
        if new and self.user.check_password(new):
            self.add_error("new_password1", _("Choose a password different from the current one."))
        return cleaned


class NewUserForm(forms.Form):
    login_id = forms.CharField(label=_("Login ID"), max_length=150)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)


class RevokeRightForm(forms.Form):
    username = forms.CharField(label=_("Login ID"), max_length=150)
    account = forms.CharField(label=_("Account number"), max_length=20)


class AuthorizedEntityForm(forms.Form):
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
