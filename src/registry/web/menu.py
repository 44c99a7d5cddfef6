"""What the menu needs to know about the signed-in user (a template context processor)."""

from __future__ import annotations

from django.http import HttpRequest

from registry.access.permissions import administered_registries


def menu(request: HttpRequest) -> dict[str, object]:
    """``administers``: whether to show the administration entry (asked only when a page shows the menu)."""
    return {"administers": lambda: request.user.is_authenticated and administered_registries(request.user).exists()}
