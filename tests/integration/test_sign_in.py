"""Sign-in hardening (issue 16, findings 2-4): login IDs that cannot pass for another, a lockout
an outsider cannot aim at someone else, one message for every failed sign-in, and what the user
is told and shown."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.access.login_ids import check_new_login_id, find_user, skeleton
from registry.access.services import grant_right, reissue_login_id
from registry.applications import services as applications
from registry.applications.models import Form
from registry.core.checks import Check, CheckFailed
from registry.notifications.models import Notification
from registry.transactions.services import transfer_units
from tests.factories import sign_in

PASSWORD = "a long pass phrase for tests"
ONE_MESSAGE = "Sign-in failed: the login ID, the password or the one-time code is wrong"


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def person(username: str, email: str = "") -> tuple[User, TOTPDevice]:
    user = User.objects.create_user(username, email=email, password=PASSWORD)
    return user, TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


# Finding 2: look-alike login IDs --------------------------------------------------------------


@pytest.mark.parametrize(
    "lookalike",
    [
        "Madmin",  # case
        "MADMIN",
        "madm1n",  # digit one for i
        "rnadmin",  # rn for m
        fullwidth("madmin"),  # normalised to madmin
    ],
)
def test_a_login_id_that_looks_like_an_existing_one_is_refused_with_2021(db, lookalike):
    User.objects.create_user("madmin")
    with pytest.raises(CheckFailed) as refused:
        check_new_login_id(lookalike)
    assert refused.value.check is Check.LOGIN_ID_TAKEN


@pytest.mark.parametrize(
    "outside",
    [
        "r\u0410",  # Cyrillic A beside Latin r
        "rA\u200b",  # zero-width space
        'x1"><svg onload=alert(1)>',
        "ab",  # too short
        "-admin",  # starts with a separator
        "tanaka@example.com",
        "a" * 65,
    ],
)
def test_a_login_id_outside_the_character_set_is_refused_with_2020(db, outside):
    with pytest.raises(CheckFailed) as refused:
        check_new_login_id(outside)
    assert refused.value.check is Check.LOGIN_ID_NOT_ALLOWED


def test_a_new_login_id_is_stored_in_normal_form(db):
    assert check_new_login_id("  Tanaka.Taro ") == "tanaka.taro"
    assert skeleton("Tanaka_Taro") == skeleton("tanaka-taro") == skeleton("tanaka.tar0")


OPENING = {
    "name": "Look-alike Ltd",
    "country": "SG",
    "identification_number": "X1",
    "head_office": "1 Street",
    "manager_name": "Mallory",
    "email": "m@example.sg",
}


def test_form_1_refuses_a_login_id_that_looks_like_the_administrators(world):
    User.objects.filter(pk=world.admin_mn.pk).update(username="madmin")
    for lookalike, code in (("Madmin", 2021), ("r\u0410", 2020), ("rA\u200b", 2020), ('x1"><svg onload=alert(1)>', 2020)):
        with pytest.raises(applications.ApplicationInvalid) as refused:
            applications.submit_opening(world.mongolia, {**OPENING, "login_id": lookalike}, {})
        assert refused.value.problems["login_id"].code == code, lookalike


def test_form_5_and_the_administrator_cannot_reissue_a_look_alike_login_id(world):
    User.objects.filter(pk=world.admin_mn.pk).update(username="madmin")
    holder = User.objects.create_user("holder1")
    grant_right(world.admin_mn, world.seller, holder, "initiate_and_approve")
    with pytest.raises(CheckFailed) as refused:
        applications.submit_request(holder, world.seller, Form.CREDENTIALS, {"action": "reissue_login_id", "new_login_id": "MADMIN"})
    assert refused.value.code == 2021
    with pytest.raises(CheckFailed) as refused:
        reissue_login_id(world.admin_mn, world.mongolia, holder, "madm1n")
    assert refused.value.code == 2021
    assert reissue_login_id(world.admin_mn, world.mongolia, holder, "Holder.Two").username == "holder.two"


def test_the_commands_refuse_look_alike_login_ids(db, monkeypatch):
    User.objects.create_user("madmin")
    monkeypatch.setenv("REGISTRY_USER_PASSWORD", PASSWORD)
    monkeypatch.setenv("REGISTRY_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="2021"):
        call_command("create_user", "--username", "Madmin")
    with pytest.raises(CommandError, match="2020"):
        call_command("create_user", "--username", "r\u0410x")
    with pytest.raises(CommandError, match="2021"):
        call_command("create_admin", "--username", "madm1n", "--superuser")
    call_command("create_user", "--username", "Sato")
    assert User.objects.filter(username="sato").exists()


def test_sign_in_ignores_case_and_existing_users_keep_working(db):
    legacy, device = person("Tanaka")  # made before the rule, with a capital
    assert find_user("tanaka") == legacy
    client = Client()
    response = client.post("/login/", {"username": "TANAKA", "password": PASSWORD, "token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/app/"


# Finding 3: a lockout an outsider cannot aim --------------------------------------------------


def test_failures_from_one_address_do_not_lock_the_holder_out_from_theirs(db):
    _, device = person("suzuki")
    attacker = from_address("203.0.113.9")
    for _ in range(5):
        attacker.post("/login/", {"username": "suzuki", "password": "wrong"})
    assert attacker.post("/login/", {"username": "suzuki", "password": PASSWORD, "token": code_for(device)}).status_code == 429
    device.refresh_from_db()
    holder = from_address("198.51.100.7")
    response = holder.post("/login/", {"username": "suzuki", "password": PASSWORD, "token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/app/"


def test_failures_count_by_login_id_in_normal_form(db):
    person("suzuki")
    attacker = from_address("203.0.113.9")
    for typed in ("suzuki", "SUZUKI", "Suzuki", "suzuKI", fullwidth("suzuki")):
        attacker.post("/login/", {"username": typed, "password": "wrong"})
    assert attacker.post("/login/", {"username": "suzuki", "password": "wrong"}).status_code == 429


def test_users_behind_one_address_do_not_lock_each_other_out(db, settings):
    settings.REGISTRY_LOCKOUT_ADDRESS_FAILURES = 12
    _, device = person("colleague")
    office = from_address("192.0.2.1")
    for n in range(10):  # two people mistyping, a few times each, behind one NAT
        office.post("/login/", {"username": f"typo{n % 2}", "password": "wrong"})
    response = office.post("/login/", {"username": "colleague", "password": PASSWORD, "token": code_for(device)})
    assert response.status_code == 302
    office = from_address("192.0.2.1")
    for n in range(2):
        office.post("/login/", {"username": f"other{n}", "password": "wrong"})
    assert office.post("/login/", {"username": "anyone", "password": "wrong"}).status_code == 429  # the address's own limit


def test_each_lock_of_the_same_pair_lasts_twice_as_long(db, settings):
    person("suzuki")
    attacker = from_address("203.0.113.9")
    lasting = []
    for _lock in range(3):
        for _ in range(5):
            attacker.post("/login/", {"username": "suzuki", "password": "wrong"})
        response = attacker.post("/login/", {"username": "suzuki", "password": "wrong"})
        assert response.status_code == 429
        lasting.append(response.context["minutes"])
        # the lock runs out
        AccessAttempt.objects.all().delete()
    assert lasting == [15, 30, 60]


def test_the_holder_is_told_of_repeated_failures_and_of_a_lock(db, django_capture_on_commit_callbacks):
    person("suzuki", email="suzuki@example.jp")
    attacker = from_address("203.0.113.9")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            attacker.post("/login/", {"username": "suzuki", "password": "wrong"})
    told = Notification.objects.filter(user__username="suzuki")
    assert list(told.values_list("kind", flat=True)) == ["sign_in_failures"]
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):  # the fifth failure locks; the next two are refused by the lock
            attacker.post("/login/", {"username": "suzuki", "password": "wrong"})
    assert sorted(told.values_list("kind", flat=True)) == ["sign_in_failures", "sign_in_locked"]
    assert told.get(kind="sign_in_locked").params == {"address": "203.0.113.9", "minutes": 15}
    assert len(mail.outbox) == 2 and "203.0.113.9" in mail.outbox[1].body


def test_the_home_page_shows_the_previous_sign_in_and_the_failures_since(world):
    user, device = person("suzuki")
    grant_right(world.admin_mn, world.seller, user, "read_only")
    earlier = from_address("198.51.100.7")
    earlier.post("/login/", {"username": "suzuki", "password": PASSWORD, "token": code_for(device)})
    AccessLog.objects.filter(username="suzuki").update(attempt_time=timezone.now() - timedelta(days=1))
    for _ in range(2):
        from_address("203.0.113.9").post("/login/", {"username": "suzuki", "password": "wrong"})
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    now = from_address("198.51.100.8")
    now.post("/login/", {"username": "suzuki", "password": PASSWORD, "token": code_for(device)})
    page = now.get("/app/").content.decode()
    # shown in the zone of the registry the user acts in (MNG01: +08), which is not always the server's date
    shown = (timezone.now() - timedelta(days=1)).astimezone(ZoneInfo(world.seller.registry.time_zone))
    assert f"Previous sign-in: {shown:%Y-%m-%d} " in page and "from address 198.51.100.7" in page
    assert "2 failed sign-ins with your login ID since then." in page
    now.post("/i18n/setlang/", {"language": "ja", "next": "/app/"})
    assert "前回のログイン" in now.get("/app/").content.decode()


def test_counterparties_see_the_holders_name_not_login_ids(world):
    proposer, _ = person("sender-login")
    proposer.first_name, proposer.last_name = "Bat", "Erdene"
    proposer.save()
    grant_right(world.admin_mn, world.seller, proposer, "initiate_and_approve")
    receiver, _ = person("receiver-login")
    grant_right(world.admin_mn, world.buyer, receiver, "read_only")
    world.issue(10)
    tx = transfer_units(actor=proposer, from_account=world.seller, to_account=world.buyer, quantity=5)
    client = Client()
    sign_in(client, receiver)
    page = client.get(f"/app/transactions/{tx.pk}/").content.decode()
    assert "sender-login" not in page
    assert world.seller.entity.name in page


# Finding 4: one message for every failed sign-in ------------------------------------------------


def test_a_wrong_password_and_a_wrong_code_get_the_same_answer(db):
    _, device = person("tanaka")
    wrong_password = Client().post("/login/", {"username": "tanaka", "password": "not it", "token": code_for(device)})
    wrong_code = Client().post("/login/", {"username": "tanaka", "password": PASSWORD, "token": "000000"})
    no_code = Client().post("/login/", {"username": "tanaka", "password": PASSWORD})
    nobody = Client().post("/login/", {"username": "nobody", "password": "not it"})
    answers = {(r.status_code, r.context["form"].errors.as_json()) for r in (wrong_password, wrong_code, no_code, nobody)}
    assert len(answers) == 1
    assert ONE_MESSAGE in wrong_code.content.decode()
    assert AccessFailureLog.objects.filter(username="tanaka").count() == 3  # the wrong code counts as a failure too


def test_the_admin_site_refuses_look_alike_login_ids(db):
    User.objects.create_user("madmin")
    superuser = User.objects.create_user("root1", is_staff=True, is_superuser=True)
    client = Client()
    sign_in(client, superuser)
    form = {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    refused = client.post("/admin/auth/user/add/", {"username": "Madmin", **form})
    assert refused.status_code == 200 and "[2021]" in refused.content.decode()
    client.post("/admin/auth/user/add/", {"username": "Yamada", **form})
    assert User.objects.filter(username="yamada").exists()
