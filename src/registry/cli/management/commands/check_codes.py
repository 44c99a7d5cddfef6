from typing import Any

from django.core.management.base import BaseCommand

from registry.core.checks import check_codes_markdown


class Command(BaseCommand):
    help = "Print the table of check codes (Markdown), as published in docs/check-codes.md."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(check_codes_markdown(), ending="")
