"""API tokens, created by a user for their machine clients: shown once, revocable, expiring."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from registry.access.audit import RecordedForm
from registry.access.models import Operation
from registry.access.permissions import visible_accounts
from registry.access.services import log_operation
from registry.api.models import ApiToken, Scope
from registry.api.tokens import create_token, revoke_token
from registry.core.checks import CheckFailed
from registry.refusals import refusal_message


class TokenForm(RecordedForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices)
    accounts = forms.ModelMultipleChoiceField(
        label=_("Accounts (none: all yours)"), queryset=ApiToken.objects.none(), required=False, to_field_name="number"
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)


@never_cache  # the page that shows a new secret must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = TokenForm(request.POST or None)
    form.fields["accounts"].queryset = visible_accounts(user)  # type: ignore[attr-defined]
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = create_token(
                user, form.cleaned_data["name"], form.cleaned_data["scope"], form.cleaned_data["accounts"], form.cleaned_data["days"]
            )
        except CheckFailed as failure:
            form.add_error(None, refusal_message(failure))
    listed = ApiToken.objects.filter(user=user).prefetch_related("accounts")
    return render(request, "web/app/tokens.html", {"form": form, "tokens": listed, "secret": secret})


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    token = ApiToken.objects.filter(pk=pk, user=user).first()
    if token is None:  # none, or another user's: not found either way, and the attempt is on record
        log_operation(user, Operation.API_TOKEN_REVOKED, target=f"token {pk}", outcome="denied")
        raise Http404
    revoke_token(user, token)
    return redirect("tokens")
