"""The ``registry`` console script: every operator task, as Django management commands."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """``registry open-account ...`` runs the management command ``open_account``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "registry"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from registry.access.audit import Channel, acting_from

    with acting_from(Channel.CLI):  # what the command logs is on record as done from the command line
        execute_from_command_line(argv)
