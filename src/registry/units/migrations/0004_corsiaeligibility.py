import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The CORSIA eligibility list moves to the units app (which reads it for every holding); its table stays."""

    dependencies = [
        ("units", "0003_unitblock_authorization_unitblock_first_transferred"),
        ("disclosure", "0001_initial"),
        ("parties", "0004_registry_closes_at_registry_open_weekdays_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CorsiaEligibility",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("first_vintage", models.PositiveSmallIntegerField()),
                        ("last_vintage", models.PositiveSmallIntegerField()),
                        ("eligible", models.BooleanField(default=True)),
                        ("compliance_period", models.CharField(help_text="e.g. First phase (2024-2026)", max_length=100)),
                        ("note", models.CharField(blank=True, max_length=300)),
                        (
                            "programme",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="corsia_eligibility",
                                to="parties.creditingprogramme",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "CORSIA eligibility",
                        "ordering": ["programme", "first_vintage"],
                        "db_table": "disclosure_corsiaeligibility",
                    },
                )
            ],
            database_operations=[],
        )
    ]
