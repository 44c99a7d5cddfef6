"""On PostgreSQL, the database itself refuses two blocks sharing a serial (an exclusion constraint).

SQLite has no such constraint; there ``registry verify`` is the guard (it checks on both).
btree_gist is a trusted extension since PostgreSQL 13: the database owner may create it.
"""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE units_unitblock ADD CONSTRAINT block_serials_never_overlap
       EXCLUDE USING gist (originating_registry WITH =, int8range(start, "end", '[]') WITH &&)""",
]
POSTGRES_UNDO = ["ALTER TABLE units_unitblock DROP CONSTRAINT block_serials_never_overlap"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_UNDO))]
