"""The account holders' registry on the web: sign-in, who may see and do what, four eyes, delays."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.models import OperationLog
from registry.access.services import add_trusted_account, grant_right, initialise_password, is_trusted, reissue_login_id
from registry.core.checks import CheckFailed
from registry.notifications.models import Notification
from registry.transactions.models import Transaction, TransactionStatus
from registry.transactions.services import approve_transaction, complete_due_transactions, transfer_units
from registry.units.models import UnitBlock
from tests.factories import make_user, one_time_code, sign_in, trust

PASSWORD = "a long pass phrase for tests"


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def person(username: str, *, device: bool = True) -> tuple[User, TOTPDevice | None]:
    user = User.objects.create_user(username, password=PASSWORD)
    return user, (TOTPDevice.objects.create(user=user, name="app", confirmed=True) if device else None)


def units_held(account) -> int:
    return sum(b.quantity for b in UnitBlock.objects.filter(account=account))


@pytest.fixture
def roles(world):
    """Everyone who might touch the Mongolian seller's account, each with a verified session."""
    world.issue(100)
    people = {
        "admin": world.admin_mn,
        "auditor": make_user("auditor"),
        "initiator": make_user("initiator"),
        "approver": make_user("approver"),
        "reader": make_user("reader"),
        "other_rep": make_user("other-rep"),
        "japan_admin": world.admin_jp,
        "nobody": make_user("nobody"),
    }
    world.mongolia.auditors.add(people["auditor"])
    grant_right(world.admin_mn, world.seller, people["initiator"], "initiate")
    grant_right(world.admin_mn, world.seller, people["approver"], "approve")
    grant_right(world.admin_mn, world.seller, people["reader"], "read_only")
    grant_right(world.admin_mn, world.buyer, people["other_rep"], "initiate_and_approve")
    world.people = people
    return world


def client_for(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    client.user = user  # type: ignore[attr-defined]
    return client


def confirmed(client: Client, url: str, data: dict | None = None):
    """Post ``data`` with the one-time code that confirms it (the last step after the preview)."""
    return client.post(url, {**(data or {}), "token": one_time_code(client.user)})  # type: ignore[attr-defined]


# Signing in -------------------------------------------------------------------------------------


def test_a_representative_signs_in_with_password_and_one_time_code(db):
    user, device = person("tanaka")
    client = Client()
    response = client.post("/login/", {"username": "tanaka", "password": PASSWORD, "token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/app/"
    assert client.get("/app/").status_code == 200
    assert OperationLog.objects.filter(user=user, action="login").exists()


def test_a_wrong_one_time_code_does_not_sign_in(db):
    person("tanaka")
    client = Client()
    response = client.post("/login/", {"username": "tanaka", "password": PASSWORD, "token": "000000"})
    assert "Sign-in failed: the login ID, the password or the one-time code is wrong" in response.content.decode()
    assert client.get("/app/").status_code == 302


def test_a_new_representative_must_set_up_the_second_factor_first(world):
    user, _ = person("sato", device=False)
    grant_right(world.admin_mn, world.seller, user, "read_only")
    client = Client()
    response = client.post("/login/", {"username": "sato", "password": PASSWORD})
    assert response["Location"] == "/2fa/setup/"
    assert client.get("/app/accounts/").url == "/2fa/setup/"  # nothing else until it is set up
    client.get("/2fa/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/2fa/setup/", {"token": code_for(device)}).status_code == 302
    assert client.get("/app/accounts/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_repeated_failures_lock_the_login_id_from_that_address(db):
    _, device = person("suzuki")
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "suzuki", "password": "wrong"})
    response = client.post("/login/", {"username": "suzuki", "password": PASSWORD, "token": code_for(device)})
    assert response.status_code == 429
    assert "Too many failed sign-ins from your address. Try again in 15 minutes." in response.content.decode()
    assert client.get("/app/").status_code == 302  # not signed in


def test_a_session_without_its_second_factor_is_sent_back_to_sign_in(world):
    client = Client()
    TOTPDevice.objects.create(user=world.admin_mn, name="app", confirmed=True)
    client.force_login(world.admin_mn, backend="registry.access.backends.LoginIdBackend")
    assert client.get("/app/accounts/")["Location"].startswith("/login/")


# Who may see and do what ------------------------------------------------------------------------

CAN_SEE_SELLER = {"admin", "auditor", "initiator", "approver", "reader"}


@pytest.mark.parametrize("role", ["admin", "auditor", "initiator", "approver", "reader", "other_rep", "japan_admin", "nobody"])
def test_only_the_accounts_people_see_the_account(roles, role):
    response = client_for(roles.people[role]).get(f"/app/accounts/{roles.seller.number}/")
    assert response.status_code == (200 if role in CAN_SEE_SELLER else 404)
    if role not in CAN_SEE_SELLER:
        assert OperationLog.objects.filter(user=roles.people[role], action="view_account", outcome="denied").exists()


@pytest.mark.parametrize(
    ("role", "outcome"),
    [
        ("admin", "completed"),
        ("initiator", "awaiting_approval"),
        ("auditor", "refused 2002"),
        ("approver", "refused 2002"),
        ("reader", "refused 2002"),
        ("other_rep", 404),
        ("japan_admin", 404),
        ("nobody", 404),
    ],
)
def test_only_initiators_and_administrators_propose(roles, role, outcome):
    client = client_for(roles.people[role])
    form = {"kind": "internal_transfer", "to_account": roles.buyer.number, "quantity": 5}
    response = confirmed(client, f"/app/accounts/{roles.seller.number}/propose/", form)
    live = Transaction.objects.exclude(status=TransactionStatus.REJECTED).exclude(type="issuance")
    if outcome == 404:
        assert response.status_code == 404 and not live.exists()
    elif outcome.startswith("refused"):
        assert not live.exists()
        assert OperationLog.objects.filter(user=roles.people[role], action="propose", outcome=outcome).exists()
    else:
        assert live.get().status == outcome
    assert units_held(roles.seller) == (95 if outcome == "completed" else 100)


@pytest.mark.parametrize(
    ("role", "outcome"),
    [
        ("approver", "delayed"),
        ("admin", "delayed"),
        ("initiator", "refused 2003"),
        ("auditor", "refused 2006"),
        ("reader", "refused 2006"),
        ("other_rep", "refused 2006"),  # the buyer's representative sees the incoming transfer, approves nothing
        ("japan_admin", 404),
        ("nobody", 404),
    ],
)
def test_only_someone_else_with_the_right_to_approve_approves(roles, role, outcome):
    tx = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=5)
    response = confirmed(client_for(roles.people[role]), f"/app/transactions/{tx.pk}/approve/")
    tx.refresh_from_db()
    if outcome == 404:
        assert response.status_code == 404 and tx.status == "awaiting_approval"
    elif outcome.startswith("refused"):
        assert tx.status == "awaiting_approval"
        assert OperationLog.objects.filter(user=roles.people[role], action="approve", outcome=outcome).exists()
    else:
        assert tx.status == outcome  # the buyer is not on the seller's trusted list


@pytest.mark.parametrize("role", ["admin", "auditor", "initiator", "reader", "other_rep", "japan_admin", "nobody"])
def test_only_the_registrys_administrators_reach_its_administration(roles, role):
    response = client_for(roles.people[role]).get("/app/registries/MNG01/")
    assert response.status_code == (200 if role == "admin" else 404)


@pytest.mark.parametrize("role", ["initiator", "other_rep", "nobody"])
def test_the_transaction_list_shows_only_ones_own_accounts(roles, role):
    transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.government_mn, quantity=5)
    page = client_for(roles.people[role]).get("/app/transactions/").content.decode()
    assert (roles.seller.number in page) == (role == "initiator")


def test_the_receiving_side_does_not_see_a_proposal_refused_at_once(roles):
    with pytest.raises(CheckFailed):
        transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=1000)
    refused = Transaction.objects.get(status="rejected", check_code=4004)
    receiver = client_for(roles.people["other_rep"])
    assert f'/app/transactions/{refused.pk}/"' not in receiver.get("/app/transactions/").content.decode()
    assert receiver.get(f"/app/transactions/{refused.pk}/").status_code == 404
    assert client_for(roles.people["initiator"]).get(f"/app/transactions/{refused.pk}/").status_code == 200


def test_the_auditor_sees_everything_and_changes_nothing(roles):
    auditor = client_for(roles.people["auditor"])
    assert auditor.get(f"/app/accounts/{roles.buyer.number}/").status_code == 200
    auditor.post(f"/app/accounts/{roles.seller.number}/trusted/add/", {"trusted": roles.buyer.number})
    assert not is_trusted(roles.seller, roles.buyer, timezone.now() + timedelta(days=30))


# Four eyes, delays and notifications --------------------------------------------------------------


def test_four_eyes_on_the_web_with_notifications_for_both(roles):
    trust(roles, (roles.seller, roles.buyer))
    initiator, approver = client_for(roles.people["initiator"]), client_for(roles.people["approver"])
    confirmed(
        initiator,
        f"/app/accounts/{roles.seller.number}/propose/",
        {"kind": "internal_transfer", "to_account": roles.buyer.number, "ranges": "1-10"},
    )
    tx = Transaction.objects.get(type="internal_transfer")
    assert tx.status == "awaiting_approval"
    assert (
        f"Transaction {tx.pk} (10 units from account {roles.seller.number}) awaits your approval." in approver.get("/app/").content.decode()
    )
    confirmed(approver, f"/app/transactions/{tx.pk}/approve/")
    tx.refresh_from_db()
    assert tx.status == "completed"
    inbox = initiator.get("/app/").content.decode()
    assert f"Transaction {tx.pk} was approved by approver." in inbox
    assert f"Transaction {tx.pk} (10 units from account {roles.seller.number}) is completed." in inbox
    received = client_for(roles.people["other_rep"]).get("/app/").content.decode()
    assert f"Account {roles.buyer.number} received 10 units from account {roles.seller.number}" in received


def test_a_transfer_off_the_trusted_list_waits_and_can_be_cancelled_meanwhile(roles):
    start = timezone.now()
    tx = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=10)
    approve_transaction(actor=roles.people["approver"], transaction=tx, at=start)
    tx.refresh_from_db()
    assert tx.status == "delayed" and tx.execute_after == start + timedelta(hours=26)
    assert complete_due_transactions(at=start + timedelta(hours=25)) == []
    confirmed(client_for(roles.people["initiator"]), f"/app/transactions/{tx.pk}/cancel/")
    tx.refresh_from_db()
    assert tx.status == "cancelled"
    assert complete_due_transactions(at=start + timedelta(hours=27)) == []
    assert units_held(roles.seller) == 100


def test_a_delayed_transfer_completes_when_its_time_comes(roles):
    start = timezone.now()
    tx = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=10)
    approve_transaction(actor=roles.people["approver"], transaction=tx, at=start)
    assert [t.pk for t in complete_due_transactions(at=start + timedelta(hours=26))] == [tx.pk]
    assert units_held(roles.buyer) == 10


def test_a_trusted_account_counts_only_after_its_addition_delay_and_removal_is_immediate(roles):
    start = timezone.now()
    add_trusted_account(roles.people["initiator"], roles.seller, roles.buyer, at=start)
    assert not is_trusted(roles.seller, roles.buyer, start + timedelta(hours=95))
    assert is_trusted(roles.seller, roles.buyer, start + timedelta(hours=96))
    later = start + timedelta(hours=97)
    tx = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=10)
    approve_transaction(actor=roles.people["approver"], transaction=tx, at=later)
    tx.refresh_from_db()
    assert tx.status == "completed"  # trusted by then: no delay
    from registry.access.services import remove_trusted_account

    remove_trusted_account(roles.people["initiator"], roles.seller, roles.buyer, at=later)
    assert not is_trusted(roles.seller, roles.buyer, later + timedelta(days=10))


def test_the_maintenance_switch_stops_account_holders_and_shows_its_notice(roles):
    admin = client_for(roles.people["admin"])
    admin.post("/app/registries/MNG01/", {"action": "suspend", "suspended": "on", "notice": "Scheduled maintenance"})
    initiator = client_for(roles.people["initiator"])
    assert "Scheduled maintenance" in initiator.get("/app/").content.decode()
    initiator.post(f"/app/accounts/{roles.seller.number}/propose/", {"kind": "retirement", "quantity": 5})
    assert not Transaction.objects.exclude(status="rejected").exclude(type="issuance").exists()
    assert OperationLog.objects.filter(action="propose", outcome="refused 2005").exists()


def test_password_initialisation_and_login_id_reissue_tell_the_user_by_notification_and_email(roles, django_capture_on_commit_callbacks):
    user = roles.people["reader"]
    user.email = "reader@example.mn"
    user.save()
    with pytest.raises(CheckFailed) as refused:
        initialise_password(roles.people["initiator"], roles.mongolia, user)
    assert refused.value.code == 2001
    with django_capture_on_commit_callbacks(execute=True):
        temporary = initialise_password(roles.admin_mn, roles.mongolia, user)
        reissue_login_id(roles.admin_mn, roles.mongolia, user, "reader-2")
    user.refresh_from_db()
    assert user.check_password(temporary) and user.username == "reader-2"
    kinds = set(Notification.objects.filter(user=user).values_list("kind", flat=True))
    assert {"password_initialised", "login_id_reissued"} <= kinds
    bodies = [m.body for m in mail.outbox if m.to == ["reader@example.mn"]]
    assert any("reader-2" in body and "ログインID" in body for body in bodies)


# The page itself ----------------------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(roles):
    response = client_for(roles.people["initiator"]).get("/app/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_forms_refuse_a_post_without_csrf_token(roles):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, roles.people["initiator"])
    response = client.post(f"/app/accounts/{roles.seller.number}/propose/", {"kind": "retirement", "quantity": 5})
    assert response.status_code == 403
    assert units_held(roles.seller) == 100


def test_the_registry_speaks_japanese(roles):
    client = client_for(roles.people["initiator"])
    client.post("/i18n/setlang/", {"language": "ja", "next": "/app/"})
    page = client.get(f"/app/accounts/{roles.seller.number}/").content.decode()
    assert '<html lang="ja">' in page
    assert "保有ユニット" in page and "取引の起票" in page  # docs/glossary.md: propose is 起票
    assert "CA0001-MNG01-MNG-1-100-2023" in page


@pytest.mark.parametrize("role", ["other_rep", "japan_admin", "nobody"])
def test_strangers_reach_no_transaction_and_no_action_on_it(roles, role):
    tx = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.government_mn, quantity=5)
    client = client_for(roles.people[role])
    assert client.get(f"/app/transactions/{tx.pk}/").status_code == 404
    for decision in ("reject", "cancel"):
        assert client.post(f"/app/transactions/{tx.pk}/{decision}/", {"reason": "no"}).status_code == 404
    assert client.post(f"/app/accounts/{roles.seller.number}/trusted/add/", {"trusted": roles.buyer.number}).status_code == 404
    tx.refresh_from_db()
    assert tx.status == "awaiting_approval"
    assert OperationLog.objects.filter(user=roles.people[role], outcome="denied").count() >= 4


def test_the_proposer_cancels_and_the_approver_rejects_on_the_web(roles):
    first = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=5)
    second = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=5)
    confirmed(client_for(roles.people["initiator"]), f"/app/transactions/{first.pk}/cancel/")
    confirmed(client_for(roles.people["approver"]), f"/app/transactions/{second.pk}/reject/", {"reason": "wrong buyer"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.reason) == ("cancelled", "rejected", "wrong buyer")
    assert units_held(roles.seller) == 100
    assert Notification.objects.filter(user=roles.people["initiator"], kind="transaction_rejected").exists()


def test_representatives_see_only_their_own_log_and_overseers_the_registrys(roles):
    client_for(roles.people["nobody"]).get(f"/app/accounts/{roles.seller.number}/")  # a denied attempt
    assert "View an account" not in client_for(roles.people["reader"]).get("/app/log/").content.decode()
    overseen = client_for(roles.people["auditor"]).get("/app/log/").content.decode()
    assert "View an account" in overseen and "nobody" in overseen


def test_sessions_end_after_half_an_hour_without_activity(roles):
    client = client_for(roles.people["reader"])
    client.get("/app/")
    assert client.session.get_expiry_age() <= 1800
    assert client.session.get_expire_at_browser_close()


def test_times_are_shown_in_the_registrys_time_zone(roles):
    from registry.parties.models import Registry

    Registry.objects.filter(pk=roles.mongolia.pk).update(time_zone="Asia/Ulaanbaatar")
    tx = transfer_units(actor=roles.people["initiator"], from_account=roles.seller, to_account=roles.buyer, quantity=5)
    approve_transaction(actor=roles.people["approver"], transaction=tx)
    page = client_for(roles.people["initiator"]).get(f"/app/transactions/{tx.pk}/").content.decode()
    assert "+08" in page or "ULAT" in page  # Ulaanbaatar time, not JST


def test_a_user_chooses_a_new_password_after_it_was_initialised(roles):
    user = roles.people["reader"]
    temporary = initialise_password(roles.admin_mn, roles.mongolia, user)
    client = client_for(user)
    response = client.post(
        "/app/password/",
        {"old_password": temporary, "new_password1": "a brand new pass phrase", "new_password2": "a brand new pass phrase"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new pass phrase")
