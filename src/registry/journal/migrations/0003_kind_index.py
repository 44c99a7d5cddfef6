from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("journal", "0002_append_only")]

    operations = [
        migrations.AddIndex(
            model_name="journalentry",
            index=models.Index(fields=["registry", "kind", "sequence"], name="journal_kind"),
        ),
    ]
