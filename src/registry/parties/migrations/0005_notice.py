import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Notices (and the maintenance windows that stop movements) move to the parties app, below the
    movement engine that reads them; their table stays."""

    dependencies = [("parties", "0004_registry_closes_at_registry_open_weekdays_and_more"), ("disclosure", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "kind",
                            models.CharField(
                                choices=[("news", "What's new"), ("maintenance", "Scheduled maintenance")], default="news", max_length=20
                            ),
                        ),
                        ("title_en", models.CharField(max_length=200)),
                        ("title_ja", models.CharField(max_length=200)),
                        ("body_en", models.TextField(blank=True)),
                        ("body_ja", models.TextField(blank=True)),
                        ("published_at", models.DateTimeField()),
                        ("starts_at", models.DateTimeField(blank=True, help_text="maintenance window start", null=True)),
                        ("ends_at", models.DateTimeField(blank=True, help_text="maintenance window end", null=True)),
                        (
                            "registry",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notices",
                                to="parties.registry",
                            ),
                        ),
                    ],
                    options={"ordering": ["-published_at"], "db_table": "disclosure_notice"},
                )
            ],
            database_operations=[],
        )
    ]
