"""Two installations on loopback: ITMOs Korea authorised for OIMP with their first transfer at "Use
or Cancellation" travel to Thailand's registry and are cancelled there for CORSIA; Thailand's
registry sends a signed notice and Korea's, the first transferring Party's, records the first
transfer and its corresponding adjustment once, dated at the use, and shows it in its AEF.
Bounded: one transfer, one cancellation, the notice sent twice."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.peers_support import Installation, pair, postgres_database, verified_holdings

YEAR = str(dt.datetime.now(dt.UTC).year)


@pytest.fixture
def installations(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    second = postgres_database(url, "registry_peer_notice_b") if url.startswith("postgres") else None
    return pair(tmp_path, (8451, 8452), second)


def oimp_itmos(a: Installation) -> str:
    """Korea's account with 100 ITMOs authorised for OIMP (CORSIA), first transferred at use or cancellation."""
    return a.python(
        """
        import datetime as dt
        from django.contrib.auth.models import User
        from registry.accounts.models import AccountType
        from registry.accounts.services import open_account
        from registry.article6.services import create_authorization
        from registry.parties.models import CreditingProgramme, Registry, UnitType
        from registry.parties.services import create_cooperative_approach, create_party, register_entity, register_project
        from registry.transactions.services import issue_units
        admin, korea = User.objects.get(username="admin"), Registry.objects.get(registry_id="KOR01")
        approach = create_cooperative_approach("CA0002", "Korea and Thailand", [korea.party, create_party("TH", "THA", "Thailand")])
        project = register_project(admin, korea, identifier="KR002", name="Solar in Busan", programme=CreditingProgramme.objects.get(code="JCM"),
                                   host_party=korea.party, cooperative_approach=approach)
        entity = register_entity(admin, korea, name="Busan Solar Co", country="KR")
        seller = open_account(admin, korea, account_type=AccountType.ENTITY_HOLDING, name="Busan Solar Co", entity=entity)
        letter = create_authorization(admin, korea, identifier="KR-OIMP-1", date=dt.date(2025, 2, 1), cooperative_approach=approach,
                                      purposes="OIMP", oimp_purposes="CORSIA", first_transfer_definition="use_or_cancellation",
                                      document_reference="Letter")
        issue_units(actor=admin, account=seller, project=project, unit_type=UnitType.objects.get(code="JCM"), vintage=2024, quantity=100,
                    first_transferring_party=korea.party, authorization=letter)
        result(seller.number)
        """
    )


def thai_buyer(b: Installation) -> str:
    return b.python(
        """
        from django.contrib.auth.models import User
        from registry.accounts.models import AccountType
        from registry.accounts.services import open_account
        from registry.parties.models import Registry
        from registry.parties.services import create_cooperative_approach, create_party, register_entity
        admin, thailand = User.objects.get(username="admin"), Registry.objects.get(registry_id="THA01")
        create_cooperative_approach("CA0002", "Korea and Thailand", [create_party("KR", "KOR", "Korea"), thailand.party])
        open_account(admin, thailand, account_type=AccountType.USE, name="CORSIA", purpose="CORSIA")
        entity = register_entity(admin, thailand, name="Thai Airways", country="TH")
        result(open_account(admin, thailand, account_type=AccountType.ENTITY_HOLDING, name="Thai Airways", entity=entity).number)
        """
    )


def korean_record(a: Installation) -> dict:
    """Korea's first transfers, adjustments and AEF rows of first transfers, once ``verify`` passed."""
    return a.python(
        f"""
        from registry.article6.aef import build_annual_information
        from registry.article6.aef_check import check_report
        from registry.article6.models import CorrespondingAdjustment, FirstTransfer
        from registry.parties.models import Registry
        from registry.transactions.models import Transaction
        from registry.verification.ledger import verify
        report = verify()
        assert report.ok, report.problems
        korea = Registry.objects.get(registry_id="KOR01")
        aef = build_annual_information(korea, {YEAR})
        findings = check_report(korea, aef)
        assert not findings, findings
        result({{
            "first_transfers": [[f.originating_registry, f.start, f.end, f.first_transferring_party.alpha3, f.at.isoformat()]
                                for f in FirstTransfer.objects.order_by("start")],
            "adjustments": [[c.party.alpha3, c.kind, c.vintage, c.year, c.quantity] for c in CorrespondingAdjustment.objects.order_by("pk")],
            "transactions": Transaction.objects.filter(type="first_transfer").count(),
            "aef": [[r["Action date"], r["Action subtype"], r["First ID"], r["Last ID"], r["Acquiring participating Party ID"]]
                    for r in aef.actions if r["Action type"] == "First transfer"],
        }})
        """
    )


def test_a_cancellation_abroad_is_first_transferred_once_by_the_authorising_registry(installations):
    a, b = installations
    seller, buyer = oimp_itmos(a), thai_buyer(b)
    with a.serving(), b.serving():
        a.registry("transfer-external", "--registry", "KOR01", "--from", seller, "--to", buyer, "--range", "1-40")
        assert "completed [" in a.registry("peer", "run", "--once").stdout
        sent = b.python(
            f"""
            from django.contrib.auth.models import User
            from registry.accounts.models import Account
            from registry.peers.models import OutboundNotice
            from registry.peers.worker import run_once
            from registry.transactions.services import cancel_units
            tx = cancel_units(actor=User.objects.get(username="admin"), account=Account.objects.get(number={buyer!r}),
                              kind="oimp", oimp_purpose="CORSIA", quantity=10)
            [notice] = OutboundNotice.objects.all()
            assert notice.state == "pending" and notice.peer.registry_id == "KOR01", notice
            first = run_once().notices
            notice.refresh_from_db()
            states = [notice.state]
            # The answer lost: the notice is sent again, and Korea's registry answers as before.
            OutboundNotice.objects.update(state="pending", next_attempt_at=notice.created_at)
            again = run_once().notices
            notice.refresh_from_db()
            result({{"used_at": tx.completed_at.isoformat(), "sent": [len(first), len(again)], "states": states + [notice.state]}})
            """
        )
        assert sent["sent"] == [1, 1] and sent["states"] == ["recorded", "recorded"], sent
    record = korean_record(a)
    assert record["first_transfers"] == [["KOR01", 1, 10, "KOR", sent["used_at"]]]  # once, dated at the use
    assert record["adjustments"] == [["KOR", "first_transfer", 2024, 2024, 10]]
    assert record["transactions"] == 1
    [row] = record["aef"]
    assert row[0].startswith(sent["used_at"][:10]) and row[1:] == [
        "Use or cancellation",
        "CA0002-KOR01-KOR-1-2024",
        "CA0002-KOR01-KOR-10-2024",
        "NA",
    ]
    verified_holdings(b)
