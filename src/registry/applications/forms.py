from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.access.audit import RecordedForm
from registry.applications.models import REQUIRED_FOR_OPENING, DocumentKind

PDF_INPUT = {"accept": "application/pdf"}


def _document_field(kind: DocumentKind) -> forms.FileField:
    # Never required for the browser: a document kept from an earlier attempt counts, and the
    # service reports every missing one at once.
    required = kind in REQUIRED_FOR_OPENING
    return forms.FileField(
        label=kind.label,
        required=False,
        help_text=_("Required. A PDF of at most 10 MB.") if required else _("Only if the originals are in neither English nor Japanese."),
        widget=forms.ClearableFileInput(attrs=PDF_INPUT),
    )


class CompanyFields(RecordedForm, forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=300)
    name_ja = forms.CharField(label=_("Company name in Japanese (if any)"), max_length=300, required=False)
    country = forms.CharField(label=_("Country of incorporation (ISO code, e.g. SG)"), max_length=2)
    identification_number = forms.CharField(label=_("Company registration number"), max_length=100)
    head_office = forms.CharField(label=_("Head office address"), max_length=500)
    manager_name = forms.CharField(label=_("Account manager's name"), max_length=150)
    email = forms.EmailField(label=_("Account manager's email"))
    login_id = forms.CharField(label=_("Login ID you would like"), max_length=150)


class OpeningForm(CompanyFields):
    registry = forms.ChoiceField(label=_("Registry"))
    field_order = ["registry"]
    incorporation = _document_field(DocumentKind.INCORPORATION)
    translation = _document_field(DocumentKind.TRANSLATION)
    authorization = _document_field(DocumentKind.AUTHORIZATION)
    passport = _document_field(DocumentKind.PASSPORT)

    def __init__(self, *args: object, registries: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["registry"].choices = registries  # type: ignore[attr-defined]


class CorrectionForm(CompanyFields):
    """Form 1 returned for correction: every field, filled in with what was sent; any document may be replaced."""

    incorporation = forms.FileField(
        label=DocumentKind.INCORPORATION.label, required=False, widget=forms.ClearableFileInput(attrs=PDF_INPUT)
    )
    translation = forms.FileField(label=DocumentKind.TRANSLATION.label, required=False, widget=forms.ClearableFileInput(attrs=PDF_INPUT))
    authorization = forms.FileField(
        label=DocumentKind.AUTHORIZATION.label, required=False, widget=forms.ClearableFileInput(attrs=PDF_INPUT)
    )
    passport = forms.FileField(label=DocumentKind.PASSPORT.label, required=False, widget=forms.ClearableFileInput(attrs=PDF_INPUT))


CREDENTIAL_CHOICES = [("", "—"), ("reissue_login_id", _("Reissue my login ID")), ("initialise_password", _("Initialise my password"))]


class RequestCorrectionForm(RecordedForm, forms.Form):
    """Forms 2 and 5 returned for correction (the fields the form has; Forms 3 and 4 have none)."""

    name = forms.CharField(label=_("New account name (Form 2)"), max_length=300, required=False)
    head_office = forms.CharField(label=_("New head office (Form 2)"), max_length=500, required=False)
    action = forms.ChoiceField(label=_("Credentials (Form 5)"), required=False, choices=CREDENTIAL_CHOICES)
    new_login_id = forms.CharField(label=_("New login ID (Form 5)"), max_length=150, required=False)

    def __init__(self, *args: object, fields: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]


class RequestForm(RecordedForm, forms.Form):
    name = forms.CharField(label=_("New account name (Form 2)"), max_length=300, required=False)
    head_office = forms.CharField(label=_("New head office (Form 2)"), max_length=500, required=False)
    action = forms.ChoiceField(label=_("Credentials (Form 5)"), required=False, choices=CREDENTIAL_CHOICES)
    new_login_id = forms.CharField(label=_("New login ID (Form 5)"), max_length=150, required=False)


class ReviewForm(RecordedForm, forms.Form):
    comment = forms.CharField(label=_("Comment to the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
