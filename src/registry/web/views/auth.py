"""Signing in with login ID, password and (for representatives and administrators) a TOTP code."""

from __future__ import annotations

import base64
import math
from typing import cast

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.models import Operation
from registry.access.permissions import needs_second_factor
from registry.access.services import log_operation, must_change_password, password_changed
from registry.access.signin import client_address, cool_off
from registry.web.forms import LoginForm, NewPasswordForm, TokenForm


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/app/"


def _ip(request: HttpRequest) -> str | None:
    return client_address(request)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, token = form.cleaned_data["username"], form.cleaned_data["token"].strip()
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        # One message whatever was wrong: a phished password must not be confirmable without the code.
        failed = _("Sign-in failed: the login ID, the password or the one-time code is wrong (or the code has expired).")
        if user is None:
            form.add_error(None, failed)
            log_operation(None, Operation.LOGIN_FAILED, target=username, ip=_ip(request))
        else:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is not None and not device.verify_token(token):
                user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
                form.add_error(None, failed)
                log_operation(user, Operation.LOGIN_FAILED, target="one-time code", ip=_ip(request))
            else:
                login(request, user)
                log_operation(user, Operation.LOGIN, ip=_ip(request))
                if device is not None:
                    otp_login(request, device)
                elif needs_second_factor(user):
                    return redirect("2fa-setup")
                return redirect(_next(request))
    return render(request, "web/login.html", {"form": form, "next": _next(request)})


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, object] | None) -> HttpResponse:
    """What django-axes answers while a (login ID, address) pair or an address is locked."""
    minutes = math.ceil(cool_off(request).total_seconds() / 60)
    return render(request, "web/locked.html", {"minutes": minutes}, status=429)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        log_operation(request.user, Operation.LOGOUT, ip=_ip(request))
    logout(request)
    return redirect("/")


@never_cache  # it shows the authenticator's secret key
@login_required
@require_http_methods(["GET", "POST"])
def setup_second_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the code (or type the key), then confirm with one code."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("app-home")
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "authenticator"})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            log_operation(user, Operation.SECOND_FACTOR_ENROLLED, ip=_ip(request))
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("app-home")
        form.add_error("token", _("The one-time code is wrong or expired."))
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "web/setup_2fa.html", {"form": form, "qr": qr, "secret": secret})


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    """Choose a new password (after an administrator initialised it, or at any time)."""
    form = NewPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        password_changed(user, _ip(request))
        messages.success(request, _("Your password is changed."))
        return redirect("app-home")
    return render(request, "web/password.html", {"form": form, "temporary": must_change_password(cast(User, request.user))})
