from django import forms
from django.utils.translation import gettext_lazy as _

from registry.access.audit import RecordedForm


class PeerForm(RecordedForm, forms.Form):
    registry_id = forms.CharField(label=_("Registry id"), max_length=5, help_text=_("For example THA01."))
    url = forms.CharField(label=_("Address (URL)"), max_length=300, help_text=_("For example https://registry.example.th"))
    key = forms.CharField(
        label=_("Public key"), max_length=100, help_text=_("The 43 characters that 'registry peer key' prints on the peer.")
    )
