from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from registry.applications.cleanup import remove_orphaned_documents
from registry.refusals import kept_refusal_message
from registry.transactions.models import Transaction, TransactionStatus
from registry.transactions.services import complete_due_transactions


class Command(BaseCommand):
    help = (
        "Complete every delayed transaction whose time has come and remove documents held for applicants who never"
        " submitted again (run it every minute, e.g. from cron or a systemd timer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        due = list(
            Transaction.objects.filter(status=TransactionStatus.DELAYED, execute_after__lte=timezone.now()).values_list("pk", flat=True)
        )
        done = complete_due_transactions()
        self.stdout.write(f"{len(done)} delayed transaction(s) completed" + (f": {', '.join(str(t.pk) for t in done)}" if done else ""))
        # Those that could no longer complete end refused with their check code (never left waiting).
        for tx in Transaction.objects.filter(pk__in=due, status=TransactionStatus.REJECTED).order_by("pk"):
            self.stdout.write(f"transaction {tx.pk} refused {kept_refusal_message(tx.check_code, tx.check_params, tx.check_message)}")
        removed = remove_orphaned_documents()
        self.stdout.write(f"{len(removed)} held document(s) no application refers to removed")
