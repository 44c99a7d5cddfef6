from django.db import migrations, models


def end_duplicates(apps, schema_editor):
    """Concurrent additions could list an account twice; keep the earliest entry of each pair."""
    TrustedAccount = apps.get_model("access", "TrustedAccount")
    seen = set()
    for entry in TrustedAccount.objects.filter(removed_at__isnull=True).order_by("added_at", "pk"):
        pair = (entry.account_id, entry.trusted_id)
        if pair in seen:
            entry.removed_at = entry.added_at
            entry.save(update_fields=["removed_at"])
        seen.add(pair)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("accounts", "0002_account_transaction_limit"),
    ]

    operations = [
        migrations.RunPython(end_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="trustedaccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("removed_at__isnull", True)), fields=("account", "trusted"), name="trusted_once_while_listed"
            ),
        ),
    ]
