"""The authorised timeframe becomes years of vintage; authorised entities carry the conditions of AEF Table 5.

The free-text timeframe is read for years (``2023``, ``2023-2025``, ``2021 to 2030``): the first
and last four-digit years found become the first and last vintage; text without a year leaves the
timeframe open. The plain many-to-many table of authorised entities is kept and given columns.
"""

import re

import django.db.models.deletion
from django.db import migrations, models

YEAR = re.compile(r"(?<![0-9])(19[0-9]{2}|2[0-9]{3})(?![0-9])")


def years_of(text: str) -> tuple[int | None, int | None]:
    years = [int(y) for y in YEAR.findall(text or "")]
    if not years:
        return None, None
    return min(years), max(years)


def read_timeframes(apps, schema_editor):
    Authorization = apps.get_model("article6", "Authorization")
    for authorization in Authorization.objects.exclude(timeframe=""):
        first, last = years_of(authorization.timeframe)
        authorization.timeframe_first_vintage, authorization.timeframe_last_vintage = first, last
        authorization.save(update_fields=["timeframe_first_vintage", "timeframe_last_vintage"])


def write_timeframes(apps, schema_editor):
    Authorization = apps.get_model("article6", "Authorization")
    for authorization in Authorization.objects.all():
        first, last = authorization.timeframe_first_vintage, authorization.timeframe_last_vintage
        if first is not None or last is not None:
            authorization.timeframe = str(first) if first == last else f"{first or ''}-{last or ''}"
            authorization.save(update_fields=["timeframe"])


class Migration(migrations.Migration):
    dependencies = [
        ("article6", "0002_first_transfers_never_overlap"),
        ("parties", "0004_registry_closes_at_registry_open_weekdays_and_more"),
    ]

    operations = [
        migrations.AddField("authorization", "timeframe_first_vintage", models.PositiveSmallIntegerField(blank=True, null=True)),
        migrations.AddField("authorization", "timeframe_last_vintage", models.PositiveSmallIntegerField(blank=True, null=True)),
        migrations.RunPython(read_timeframes, write_timeframes),
        migrations.RemoveField("authorization", "timeframe"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuthorizedEntity",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "authorization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="entity_authorizations",
                                to="article6.authorization",
                            ),
                        ),
                        (
                            "entity",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="entity_authorizations", to="parties.entity"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "article6_authorization_authorized_entities",
                        "ordering": ["authorization", "entity__name"],
                        "constraints": [models.UniqueConstraint(fields=("authorization", "entity"), name="authorized_entity_once")],
                    },
                ),
                migrations.AlterField(
                    model_name="authorization",
                    name="authorized_entities",
                    field=models.ManyToManyField(
                        blank=True, related_name="authorizations", through="article6.AuthorizedEntity", to="parties.entity"
                    ),
                ),
            ]
        ),
        migrations.AddField("authorizedentity", "conditions", models.TextField(blank=True)),
        migrations.AddField("authorizedentity", "change_and_revocation_conditions", models.TextField(blank=True)),
        migrations.AddField(
            "authorizedentity", "explanation", models.TextField(blank=True, help_text="additional explanatory information")
        ),
    ]
