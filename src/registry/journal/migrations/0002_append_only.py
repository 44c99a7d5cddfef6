"""Make the journal append-only in the database itself: UPDATE and DELETE of entries are refused."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
]
SQLITE_UNDO = ["DROP TRIGGER journal_no_update", "DROP TRIGGER journal_no_delete"]

POSTGRES = [
    """CREATE FUNCTION journal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the journal is append-only'; END $$""",
    """CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal_journalentry
       FOR EACH ROW EXECUTE FUNCTION journal_refuse_change()""",
    """CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal_journalentry
       FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change()""",
]
POSTGRES_UNDO = [
    "DROP TRIGGER journal_no_truncate ON journal_journalentry",
    "DROP TRIGGER journal_append_only ON journal_journalentry",
    "DROP FUNCTION journal_refuse_change()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRES_UNDO}),
        )
    ]
