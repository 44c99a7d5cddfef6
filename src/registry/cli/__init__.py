"""The ``registry`` console script: every operator task, as Django management commands."""

from __future__ import annotations

import os
import sys

#: Commands that may run before the database exists (they create it, or do not need it).
WITHOUT_DATABASE = {
    "init",
    "restore",
    "help",
    "check_codes",
    "bench",
    "bench_part",
    "version",
    "compilemessages",
    "makemigrations",
    "migrate",
    "collectstatic",
}


def main() -> None:
    """``registry open-account ...`` runs the management command ``open_account``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    argv = list(sys.argv)
    argv[0] = "registry"
    words = [i for i, arg in enumerate(argv[1:], start=1) if not arg.startswith("-")]
    if words:
        argv[words[0]] = argv[words[0]].replace("-", "_")
        if argv[words[0]] == "help" and len(words) > 1:  # registry help register-project
            argv[words[1]] = argv[words[1]].replace("-", "_")
    command = argv[words[0]] if words else "help"
    if command not in WITHOUT_DATABASE and (refusal := _no_database()) is not None:
        sys.stderr.write(refusal + "\n")
        sys.exit(2)
    from django.core.management import execute_from_command_line

    from registry.access.audit import Channel, acting_from

    with acting_from(Channel.CLI):  # what the command logs is on record as done from the command line
        execute_from_command_line(argv)


def _no_database() -> str | None:
    """Why the command cannot run yet, or None. Nothing is created on the way (no empty database file)."""
    from registry.home import registry_home, sqlite_database

    database = sqlite_database()
    advice = (
        f"Run 'registry init' (or scripts/start) first, or point REGISTRY_HOME (now {registry_home()}) "
        "or DATABASE_URL at the registry's data."
    )
    if database is not None and not database.exists():
        return f"registry: no database at {database}.\n{advice}"
    import django

    django.setup()
    from django.db import connection

    if "django_migrations" not in connection.introspection.table_names():
        return f"registry: the database {connection.settings_dict['NAME']} is not set up.\n{advice}"
    return None
