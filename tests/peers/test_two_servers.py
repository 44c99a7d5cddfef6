"""Two installations, each its own gunicorn server and database (SQLite for both, or PostgreSQL for
the second when the suite runs on PostgreSQL), speaking the peer protocol over loopback: a partial
block of ITMOs arrives once, with its serials and first transfer recorded by the transferring
Party, and a proposal the receiver refuses releases its reservation. Bounded: two transfers."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.peers_support import Installation, pair, postgres_database, verified_holdings

YEAR = str(dt.datetime.now(dt.UTC).year)


@pytest.fixture
def installations(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    second = postgres_database(url, "registry_peer_b") if url.startswith("postgres") else None
    a, b = pair(tmp_path, (8612, 8613), second)
    return a, b


def issue_itmos(a: Installation) -> str:
    """Korea's account holding 100 ITMOs (authorised for NDC use, first transferred at the first
    international transfer) under a cooperative approach of Korea and Thailand; its number."""
    return a.python(
        """
        import datetime as dt
        from django.contrib.auth.models import User
        from registry.accounts.models import AccountType
        from registry.accounts.services import open_account
        from registry.article6.services import create_authorization
        from registry.parties.models import CreditingProgramme, Party, Registry, UnitType
        from registry.parties.services import create_cooperative_approach, create_party, register_entity, register_project
        from registry.transactions.authorization_services import authorize_units
        from registry.transactions.services import issue_units
        admin, korea = User.objects.get(username="admin"), Registry.objects.get(registry_id="KOR01")
        approach = create_cooperative_approach("CA0002", "Korea and Thailand", [korea.party, create_party("TH", "THA", "Thailand")])
        project = register_project(admin, korea, identifier="KR001", name="Wind in Jeju", programme=CreditingProgramme.objects.get(code="JCM"),
                                   host_party=korea.party, cooperative_approach=approach)
        entity = register_entity(admin, korea, name="Jeju Wind Co", country="KR")
        seller = open_account(admin, korea, account_type=AccountType.ENTITY_HOLDING, name="Jeju Wind Co", entity=entity)
        letter = create_authorization(admin, korea, identifier="KR-2025-001", date=dt.date(2025, 2, 1), cooperative_approach=approach,
                                      purposes="NDC", first_transfer_definition="first_international_transfer", document_reference="Letter")
        issue_units(actor=admin, account=seller, project=project, unit_type=UnitType.objects.get(code="JCM"), vintage=2024, quantity=100,
                    first_transferring_party=korea.party)
        authorize_units(actor=admin, authorization=letter, project=project)
        result(seller.number)
        """
    )


def test_a_partial_block_of_itmos_arrives_once_and_a_refusal_releases_the_reservation(installations, tmp_path):
    a, b = installations
    seller = issue_itmos(a)
    # Thailand takes part in the approach too: its registry knows it (reference data of both Parties).
    buyer = b.python(
        """
        from django.contrib.auth.models import User
        from registry.accounts.models import AccountType
        from registry.accounts.services import open_account
        from registry.parties.models import Registry
        from registry.parties.services import create_cooperative_approach, create_party, register_entity
        admin, thailand = User.objects.get(username="admin"), Registry.objects.get(registry_id="THA01")
        create_cooperative_approach("CA0002", "Korea and Thailand", [create_party("KR", "KOR", "Korea"), thailand.party])
        entity = register_entity(admin, thailand, name="Bangkok Energy Co", country="TH")
        result(open_account(admin, thailand, account_type=AccountType.ENTITY_HOLDING, name="Bangkok Energy Co", entity=entity).number)
        """
    )
    with a.serving(), b.serving():
        proposed = a.registry("transfer-external", "--registry", "KOR01", "--from", seller, "--to", buyer, "--range", "11-40").stdout
        assert "proposed" in proposed, proposed
        sent = a.registry("peer", "run", "--once").stdout
        assert "completed [" in sent, sent
        a.registry("transfer-external", "--registry", "KOR01", "--from", seller, "--to", "THA01-999999", "--range", "41-50")
        refused = a.registry("peer", "run", "--once").stdout
        assert "released [" in refused, refused
    # Verified on both sides: the units are on exactly one side, none reserved any more.
    assert verified_holdings(b)[buyer] == [["KOR01", 11, 40, False]]
    assert verified_holdings(a)[seller] == [["KOR01", 1, 10, False], ["KOR01", 41, 100, False]]
    # The acquiring Party's AEF shows the acquisition with the transferring Party, and no first
    # transfer: that is the transferring Party's, recorded once, there (tests/peers/test_protocol.py).
    aef = tmp_path / "aef"
    b.registry("aef", "--registry", "THA01", "--year", YEAR, "--csv-dir", str(aef))
    actions = next(p for p in aef.glob("*.csv") if "ction" in p.name).read_text(encoding="utf-8")
    assert actions.count(",Acquisition,") == 1 and ",First transfer," not in actions, actions
    assert "CA0002-KOR01-KOR-40-2024" in actions and ",2024,KOR,NA," in actions, actions  # transferring Party: Korea
