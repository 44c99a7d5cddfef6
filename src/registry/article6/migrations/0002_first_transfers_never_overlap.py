"""On PostgreSQL the database itself refuses to record a first transfer twice for one serial."""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE article6_firsttransfer ADD CONSTRAINT first_transfer_never_twice
       EXCLUDE USING gist (originating_registry WITH =, int8range(start, "end", '[]') WITH &&)""",
]
POSTGRES_UNDO = ["ALTER TABLE article6_firsttransfer DROP CONSTRAINT first_transfer_never_twice"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("article6", "0001_initial")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_UNDO))]
