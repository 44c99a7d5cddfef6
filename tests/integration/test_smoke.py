import pytest
from django.db import connection

from registry.journal.verification import verify
from registry.units.models import UnitBlock


def test_issue_and_transfer_keep_the_ledger_verifiable(world):
    world.issue(100)
    from registry.transactions.services import transfer_units

    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=30)
    assert tx.status == "completed"
    report = verify()
    assert report.ok, report.problems


@pytest.mark.postgres_only
def test_postgresql_prepares_a_statement_a_connection_runs_often(db):
    for _ in range(6):
        assert not UnitBlock.objects.filter(pk=-1).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ['%"units_unitblock"%'])
        (prepared,) = cursor.fetchone()
    assert prepared >= 1
