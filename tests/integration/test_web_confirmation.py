"""The web's movements: a preview first, the one-time code last, refusals with their codes in the
user's language, and notices whose text says what happened."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from pypdf import PdfReader

from registry.access.models import OperationLog
from registry.access.services import grant_right
from registry.accounts.models import AccountType
from registry.accounts.services import open_account
from registry.installation.seed import system_user
from registry.parties.models import UnitType
from registry.parties.services import register_entity
from registry.transactions.models import Transaction
from registry.transactions.services import issue_units
from tests.factories import make_user, one_time_code, sign_in


@pytest.fixture
def lion(world):
    """A Singapore company's account in JPN01 (forestry J-Credits 1-100, renewable electricity
    101-150) and JCM credits it holds too, with an initiator and an approver."""
    entity = register_entity(system_user(), world.japan, name="Lion City Offsets Pte. Ltd.", country="SG")
    account = open_account(system_user(), world.japan, account_type=AccountType.ENTITY_HOLDING, name="Lion City Offsets", entity=entity)
    for code, quantity in (("JC", 100), ("JC-RE-E", 50)):
        issue_units(
            actor=world.admin_jp,
            account=account,
            project=world.project_jp,
            unit_type=UnitType.objects.get(code=code),
            vintage=2022,
            quantity=quantity,
        )
    world.lion = account
    world.initiator, world.approver = make_user("lee"), make_user("tan")
    grant_right(world.admin_jp, account, world.initiator, "initiate")
    grant_right(world.admin_jp, account, world.approver, "approve")
    return world


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    sign_in(client, user)
    return client


OFFSET = {
    "kind": "retirement",
    "unit_type": "JC",
    "quantity": 30,
    "use_purpose": "jc-offset",
    "aim": "Offsetting the emissions of our Singapore office in 2025 " * 6,
    "credit_user": "Lion City Offsets Pte. Ltd.",
    "use_country": "SG",
}


def test_the_preview_shows_everything_and_changes_nothing(lion):
    page = client_for(lion.initiator).post(f"/app/accounts/{lion.lion.number}/propose/", OFFSET).content.decode()
    assert "Check the proposal" in page and "Lion City Offsets Pte. Ltd." in page
    assert "JC-JPN01-NA-1-30-2022" in page and "Carbon offsetting" in page and "Singapore (SG)" in page
    assert "Another representative with the right to approve must approve it" in page
    assert 'name="pinned" value="JPN01:1-30"' in page
    assert not Transaction.objects.exclude(type="issuance").exists()


def test_a_wrong_one_time_code_changes_nothing_and_is_logged_2009(lion):
    client = client_for(lion.initiator)
    page = client.post(f"/app/accounts/{lion.lion.number}/propose/", {**OFFSET, "token": "000000"}).content.decode()
    assert "[2009]" in page
    assert not Transaction.objects.exclude(type="issuance").exists()
    assert OperationLog.objects.filter(user=lion.initiator, action="propose", outcome="refused 2009").exists()


def test_the_proposal_confirmed_takes_exactly_the_previewed_units_and_the_approver_confirms_too(lion):
    client = client_for(lion.initiator)
    client.post(f"/app/accounts/{lion.lion.number}/propose/", {**OFFSET, "pinned": "JPN01:1-30", "token": one_time_code(lion.initiator)})
    tx = Transaction.objects.get(type="retirement")
    assert (tx.status, tx.use_purpose.code, tx.use_country, tx.towards_ndc) == ("awaiting_approval", "jc-offset", "SG", False)
    approver = client_for(lion.approver)
    preview = approver.get(f"/app/transactions/{tx.pk}/approve/").content.decode()
    assert "Carbon offsetting" in preview and "It completes at once" in preview
    tx.refresh_from_db()
    assert tx.status == "awaiting_approval"
    approver.post(f"/app/transactions/{tx.pk}/approve/", {"token": one_time_code(lion.approver)})
    tx.refresh_from_db()
    assert tx.status == "completed"
    notice = approver.get(f"/app/transactions/{tx.pk}/notice.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(notice.content)).pages)
    flat = " ".join(text.split())
    for expected in (
        "Notice of J-Credit nullification",
        "Japan Carbon Credit Registry (JPN01)",
        "J-Credit Scheme",
        "カーボン・オフセット / Carbon offsetting",
        "Lion City Offsets Pte. Ltd.",
        "Singapore (SG)",
        "いいえ No",
        "なし Does not apply",
        "JC-JPN01-NA-1-30-2022",
    ):
        assert expected in flat, expected
    assert "Using Party: Japan" not in flat and "Japan JCM Registry" not in flat
    assert flat.count("Offsetting the emissions of our Singapore office in 2025") == 6  # wrapped, not cut off


def test_refusals_speak_japanese_with_their_codes_6015_and_6016(lion):
    client = client_for(lion.initiator, "ja")
    ndc = {**OFFSET, "use_purpose": "jc-ndc"}
    client.post(f"/app/accounts/{lion.lion.number}/propose/", ndc)
    re100 = {**OFFSET, "unit_type": "JC-RE-E", "use_purpose": "jc-re100"}
    page = client.post(f"/app/accounts/{lion.lion.number}/propose/", re100, follow=True).content.decode()
    assert "[6016]" in page and "海外で調達した再生可能エネルギー" in page
    assert OperationLog.objects.filter(action="propose", outcome="refused 6015").exists()
    assert not Transaction.objects.exclude(type="issuance").exists()  # not even a refused one to list


def test_a_voluntary_cancellation_is_proposed_from_the_web(lion):
    client = client_for(lion.initiator)
    data = {
        "kind": "cancellation",
        "cancellation_kind": "voluntary",
        "ranges": "JC-JPN01-NA-101-150-2022",
        "token": one_time_code(lion.initiator),
    }
    client.post(f"/app/accounts/{lion.lion.number}/propose/", data)
    tx = Transaction.objects.get(type="cancellation")
    assert (tx.status, tx.quantity, tx.to_account.type) == ("awaiting_approval", 50, "voluntary_cancellation")


def test_by_quantity_without_a_unit_type_the_web_never_mixes_them_4007(lion):
    client = client_for(lion.initiator)
    page = client.post(f"/app/accounts/{lion.lion.number}/propose/", {"kind": "retirement", "quantity": 120}, follow=True).content.decode()
    assert "[4007]" in page


def test_a_block_selected_on_the_holdings_page_fills_the_form(lion):
    client = client_for(lion.initiator)
    page = client.get(f"/app/accounts/{lion.lion.number}/").content.decode()
    assert "?ranges=JC-JPN01-NA-101-150-2022&amp;unit_type=JC-RE-E#propose" in page
    filled = client.get(f"/app/accounts/{lion.lion.number}/?ranges=JC-JPN01-NA-101-150-2022&unit_type=JC-RE-E").content.decode()
    assert 'value="JC-JPN01-NA-101-150-2022"' in filled and '<option value="JC-RE-E" selected>' in filled


def test_a_refused_proposal_is_not_listed_among_transactions(lion):
    from registry.transactions.services import retire_units

    with pytest.raises(Exception):  # noqa: B017
        retire_units(actor=lion.initiator, account=lion.lion, quantity=10_000, purpose_code="jc-offset")
    assert Transaction.objects.filter(status="rejected", check_code=4004).exists()
    page = client_for(lion.initiator).get("/app/transactions/").content.decode()
    assert "4004" not in page


def test_quantity_and_ranges_together_are_1003_on_the_web_and_the_cli(lion):
    page = (
        client_for(lion.initiator)
        .post(f"/app/accounts/{lion.lion.number}/propose/", {"kind": "retirement", "quantity": 5, "ranges": "1-5"}, follow=True)
        .content.decode()
    )
    assert "[1003]" in page
    with pytest.raises(CommandError, match=r"\[1003\]"):
        call_command(
            "retire", "--registry", "JPN01", "--as", "admin-jp", "--account", lion.lion.number, "--quantity", "5", "--range", "1-5"
        )
