"""Administrators: the Party's authorisations of ITMOs and the entities authorised under them (AEF tables 2 and 5)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.article6.models import Authorization
from registry.article6.rules import authorized_so_far
from registry.article6.services import authorize_entity
from registry.core.checks import CheckFailed
from registry.parties.models import Registry
from registry.parties.services import is_administrator
from registry.refusals import refusal_message
from registry.web.forms import AuthorizedEntityForm


@login_required
@require_http_methods(["GET", "POST"])
def authorizations(request: HttpRequest, registry_id: str) -> HttpResponse:
    """The registry's authorisations; authorising an entity shows what will be recorded, then asks to confirm."""
    registry = get_object_or_404(Registry, registry_id=registry_id)
    if not is_administrator(request.user, registry):
        log_operation(request.user, Operation.VIEW_AUTHORIZATIONS, registry=registry, outcome="denied")
        raise Http404
    found = list(
        Authorization.objects.filter(registry=registry)
        .select_related("cooperative_approach")
        .prefetch_related("entity_authorizations__entity")
        .order_by("date", "identifier")
    )
    identifiers = [a.identifier for a in found]
    form = AuthorizedEntityForm(request.POST or None, identifiers=identifiers)
    preview = None
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Please correct the form."))
        elif request.POST.get("confirmed") != "yes":
            preview = form.cleaned_data  # shown with a confirm button; nothing is recorded yet
        else:
            data = form.cleaned_data
            authorization = next(a for a in found if a.identifier == data["authorization"])
            try:
                authorize_entity(
                    request.user,
                    authorization,
                    name=data["name"],
                    country=data["country"],
                    identification_number=data["identification_number"],
                    conditions=data["conditions"],
                    change_and_revocation_conditions=data["change_and_revocation_conditions"],
                    explanation=data["explanation"],
                )
            except CheckFailed as failure:
                messages.error(request, refusal_message(failure))
                log_operation(request.user, Operation.AUTHORIZE_ENTITY, registry=registry, outcome=f"refused {failure.code}")
            else:
                log_operation(
                    request.user, Operation.AUTHORIZE_ENTITY, registry=registry, target=authorization.identifier, outcome="completed"
                )
                messages.success(
                    request,
                    _("%(entity)s is authorised under %(authorization)s.") % {"entity": data["name"], "authorization": authorization},
                )
                return redirect("authorizations", registry_id=registry.registry_id)
    rows = [(a, authorized_so_far(a)) for a in found]
    context = {"registry": registry, "rows": rows, "form": form, "preview": preview}
    return render(request, "web/app/authorizations.html", context)
