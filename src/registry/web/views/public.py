"""The public front page: each registry's units by type of account, read from the ledger; and the
language switch every page carries."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET
from django.views.i18n import set_language

from registry.accounts.models import AccountType
from registry.disclosure import published
from registry.disclosure.figures import units_held
from registry.parties.models import Notice, Registry
from registry.replica import reads_from_replica


@require_GET
@reads_from_replica
@published.page("home")
def home(request: HttpRequest) -> HttpResponse:
    registries = []
    for registry in Registry.objects.select_related("party"):
        by_type: dict[str, int] = {}
        for (account_type, _unit_type), units in units_held(registry).items():
            by_type[account_type] = by_type.get(account_type, 0) + units
        registries.append({"registry": registry, "rows": [(label, by_type.get(value, 0)) for value, label in AccountType.choices]})
    notices = Notice.objects.filter(published_at__lte=timezone.now()).select_related("registry")[:3]
    return render(request, "web/home.html", {"registries": registries, "as_of": timezone.now(), "notices": notices})


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def has_session(request: HttpRequest) -> bool:
    """Whether the visitor has a session (signed in, signing in, applying): its forms carry a CSRF token."""
    return not request.session.is_empty()


_set_language_checked = csrf_protect(set_language)


@csrf_exempt
def change_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (it sets the language cookie, nothing else), CSRF-checked for a
    visitor with a session. A forged request could change nothing of a visitor without one but the
    language they read in, so their pages carry no token: one would need a session stored for
    every anonymous page view (``CSRF_USE_SESSIONS``), a database write per public page."""
    if has_session(request):
        return _set_language_checked(request)
    return set_language(request)
