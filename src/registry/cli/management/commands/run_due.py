from typing import Any

from django.core.management.base import BaseCommand

from registry.transactions.services import complete_due_transactions


class Command(BaseCommand):
    help = "Complete every delayed transaction whose time has come (run it every minute, e.g. from cron or a systemd timer)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = complete_due_transactions()
        self.stdout.write(f"{len(done)} delayed transaction(s) completed" + (f": {', '.join(str(t.pk) for t in done)}" if done else ""))
