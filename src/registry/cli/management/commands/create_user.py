import os
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.access.login_ids import check_new_login_id
from registry.access.services import require_password_change
from registry.core.checks import CheckFailed
from registry.refusals import refusal_message


class Command(BaseCommand):
    help = "Create a user (an account representative); the password comes from $REGISTRY_USER_PASSWORD. At the first sign-in they change it and set up TOTP."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("REGISTRY_USER_PASSWORD")
        if not password:
            raise CommandError("set REGISTRY_USER_PASSWORD to the initial password")
        try:
            username = check_new_login_id(options["username"], field="--username")
        except CheckFailed as failure:
            raise CommandError(f"refused {refusal_message(failure)}") from failure
        user = User(username=username, email=options["email"])
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("password refused: " + " ".join(error.messages)) from error
        user.set_password(password)
        user.save()
        require_password_change(user)  # the operator chose it: the user chooses their own at the first sign-in
        self.stdout.write(f"user {user.username} created; they change the password at the first sign-in")
