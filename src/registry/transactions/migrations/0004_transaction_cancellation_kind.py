from django.db import migrations, models

KINDS = ("mandatory", "voluntary", "omge")


def unfold(apps, schema_editor):
    """Cancellations kept their kind in ``purpose`` ("voluntary", "oimp:CORSIA"): give it fields of its own."""
    Transaction = apps.get_model("transactions", "Transaction")
    for tx in Transaction.objects.filter(type="cancellation"):
        kind, _, oimp_purpose = tx.purpose.partition(":")
        if kind == "oimp":
            tx.cancellation_kind, tx.oimp_purpose, tx.purpose = "oimp", oimp_purpose, ""
        elif tx.purpose in KINDS:
            tx.cancellation_kind, tx.purpose = tx.purpose, ""
        else:
            continue
        tx.save(update_fields=["cancellation_kind", "oimp_purpose", "purpose"])


class Migration(migrations.Migration):
    dependencies = [("transactions", "0003_transactionblock_identifier")]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="cancellation_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mandatory", "Mandatory cancellation"),
                    ("voluntary", "Voluntary cancellation"),
                    ("omge", "Cancellation for overall mitigation in global emissions"),
                    ("oimp", "Use for other international mitigation purposes"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(model_name="transaction", name="oimp_purpose", field=models.CharField(blank=True, max_length=100)),
        migrations.RunPython(unfold, migrations.RunPython.noop),
    ]
