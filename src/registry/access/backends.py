"""Signing in by login ID, in its normal form (see ``registry.access.login_ids``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

from registry.access.login_ids import find_user


class LoginIdBackend(ModelBackend):
    """Django's model backend, finding the user by normalised, case-insensitive login ID."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            User().set_password(password)  # as much work as for a real user: the timing tells nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
