from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.applications.models import DocumentKind


class OpeningForm(forms.Form):
    registry = forms.ChoiceField(label=_("Registry"))
    name = forms.CharField(label=_("Company name"), max_length=300)
    name_ja = forms.CharField(label=_("Company name in Japanese (if any)"), max_length=300, required=False)
    country = forms.CharField(label=_("Country of incorporation (ISO code, e.g. SG)"), max_length=2)
    identification_number = forms.CharField(label=_("Company registration number"), max_length=100)
    head_office = forms.CharField(label=_("Head office address"), max_length=500)
    manager_name = forms.CharField(label=_("Account manager's name"), max_length=150)
    email = forms.EmailField(label=_("Account manager's email"))
    login_id = forms.CharField(label=_("Login ID you would like"), max_length=150)
    incorporation = forms.FileField(
        label=DocumentKind.INCORPORATION.label, required=False, widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
    translation = forms.FileField(
        label=DocumentKind.TRANSLATION.label, required=False, widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
    authorization = forms.FileField(
        label=DocumentKind.AUTHORIZATION.label, required=False, widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
    passport = forms.FileField(
        label=DocumentKind.PASSPORT.label, required=False, widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )

    def __init__(self, *args: object, registries: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["registry"].choices = registries  # type: ignore[attr-defined]


class CorrectionForm(forms.Form):
    head_office = forms.CharField(label=_("Head office address"), max_length=500, required=False)
    identification_number = forms.CharField(label=_("Company registration number"), max_length=100, required=False)
    incorporation = forms.FileField(label=DocumentKind.INCORPORATION.label, required=False)
    translation = forms.FileField(label=DocumentKind.TRANSLATION.label, required=False)
    authorization = forms.FileField(label=DocumentKind.AUTHORIZATION.label, required=False)
    passport = forms.FileField(label=DocumentKind.PASSPORT.label, required=False)


class RequestForm(forms.Form):
    name = forms.CharField(label=_("New account name (Form 2)"), max_length=300, required=False)
    head_office = forms.CharField(label=_("New head office (Form 2)"), max_length=500, required=False)
    action = forms.ChoiceField(
        label=_("Credentials (Form 5)"),
        required=False,
        choices=[("", "—"), ("reissue_login_id", _("Reissue my login ID")), ("initialise_password", _("Initialise my password"))],
    )
    new_login_id = forms.CharField(label=_("New login ID (Form 5)"), max_length=150, required=False)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment to the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
