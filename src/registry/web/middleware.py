"""Representatives, administrators and auditors use the registry only after their second factor."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.permissions import needs_second_factor
from registry.access.services import must_change_password

OPEN_PATHS = ("/login/", "/logout/", "/2fa/", "/i18n/", "/static/", "/health", "/public/", "/apply/", "/api/")


class SecondFactorRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and request.path != "/"
            and not request.path.startswith(OPEN_PATHS)
            and not user.is_verified()  # type: ignore[attr-defined]
            and needs_second_factor(user)
        ):
            if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                logout(request)  # signed in without the second factor: start again
                return redirect(f"/login/?next={request.path}")
            return redirect("2fa-setup")
        return self.get_response(request)


#: What a user with a temporary password may still reach: the password page itself, signing out,
#: setting up the second factor (part of signing in), the language switch and what needs no login.
PASSWORD_CHANGE_PATHS = ("/app/password/", "/logout/", "/2fa/", "/i18n/", "/static/", "/health", "/public/", "/apply/", "/api/")


class TemporaryPasswordMustChange:
    """A password someone else chose (an administrator, an approval) opens only the page to choose
    one's own: everything else redirects there until it is done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and request.path != "/"
            and not request.path.startswith(PASSWORD_CHANGE_PATHS)
            and must_change_password(user)
        ):
            return redirect("password-change")
        return self.get_response(request)
