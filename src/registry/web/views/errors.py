"""Error pages in the reader's language, styled like the rest, with a way back."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "heading": _("You may not open this page"),
        "explanation": _("Your sign-in does not give access to this page. If you think it should, ask the registry's administrators."),
    }
    return render(request, "error.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "heading": _("Page not found"),
        "explanation": _("There is no such page, or it is not yours to see. Check the address, or start again from the menu."),
    }
    return render(request, "error.html", context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever failed (the database, say) must not fail this page too.
    return HttpResponse(render_to_string("500.html"), status=500)
