from registry.verification import verify


def test_issue_and_transfer_keep_the_ledger_verifiable(world):
    world.issue(100)
    from registry.transactions.services import transfer_units

    tx = transfer_units(actor=world.admin_mn, from_account=world.seller, to_account=world.buyer, quantity=30)
    assert tx.status == "completed"
    report = verify()
    assert report.ok, report.problems
