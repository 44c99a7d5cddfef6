import getpass
import os
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.access.login_ids import check_new_login_id, find_user
from registry.core.checks import CheckFailed
from registry.parties.models import Registry
from registry.refusals import refusal_message


class Command(BaseCommand):
    help = (
        "Create (or update) an administrator of one or more registries. The password is asked for, or read from $REGISTRY_ADMIN_PASSWORD."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--registry", action="append", default=[], help="registry id this user administers (repeatable)")
        parser.add_argument("--superuser", action="store_true", help="administrator of every registry in this installation")

    def handle(self, *args: Any, **options: Any) -> None:
        registries = []
        for registry_id in options["registry"]:
            registry = Registry.objects.filter(registry_id=registry_id).first()
            if registry is None:
                raise CommandError(f"registry {registry_id} does not exist (run 'registry init' first)")
            registries.append(registry)
        if not registries and not options["superuser"]:
            raise CommandError("name at least one --registry, or --superuser")
        password = os.environ.get("REGISTRY_ADMIN_PASSWORD") or self._ask_password()
        user_model = get_user_model()
        user = find_user(options["username"])
        if user is None:
            try:
                user = user_model(username=check_new_login_id(options["username"], field="--username"))
            except CheckFailed as failure:
                raise CommandError(f"refused {refusal_message(failure)}") from failure
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("password refused: " + " ".join(error.messages)) from error
        user.email = options["email"]
        user.is_staff = True
        user.is_superuser = options["superuser"]
        user.set_password(password)
        user.save()
        for registry in registries:
            registry.administrators.add(user)
        where = "every registry" if options["superuser"] else ", ".join(r.registry_id for r in registries)
        self.stdout.write(f"administrator {user.username} of {where} ready")

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first
