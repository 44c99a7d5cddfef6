"""Onboarding on the web: administrators create users, grant and revoke rights, see every account's
representatives; temporary passwords are changed before anything else; what waits for administrators;
API tokens made from the command line."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from registry.access.models import OperationLog, Representative, TemporaryPassword
from registry.access.services import create_user, grant_right, initialise_password
from registry.api.models import ApiToken
from registry.api.tokens import find_token
from registry.applications.models import Application
from registry.core.checks import CheckFailed
from registry.notifications.models import Notification
from registry.transactions.services import transfer_units
from tests.factories import make_user, sign_in

NEW_PASSWORD = "a pass phrase of my own choosing"


def admin_client(world) -> Client:
    client = Client()
    sign_in(client, world.admin_jp)
    return client


def test_an_administrator_creates_a_user_on_the_web_and_sees_the_temporary_password_once(world):
    admin = admin_client(world)
    page = admin.post(
        "/app/registries/JPN01/people/",
        {"action": "create_user", "new-login_id": "sato", "new-name": "Sato Hana", "new-email": "hana@example.jp"},
    ).content.decode()
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    user = User.objects.get(username="sato")
    assert user.check_password(temporary) and user.email == "hana@example.jp"
    assert TemporaryPassword.objects.filter(user=user).exists()
    assert OperationLog.objects.filter(action="user_created", target="sato", user=world.admin_jp).exists()
    assert temporary not in admin.get("/app/registries/JPN01/people/").content.decode()  # shown once


def test_a_login_id_already_taken_in_another_case_is_refused_with_the_one_login_id_rule(world):
    with pytest.raises(CheckFailed) as refused:
        create_user(world.admin_jp, world.japan, "ADMIN-MN")
    assert refused.value.code == 2021
    assert create_user(world.admin_jp, world.japan, "  Sato.Hana ")[0].username == "sato.hana"  # normalised


def test_a_user_with_a_temporary_password_can_do_nothing_before_changing_it(world):
    user, temporary = create_user(world.admin_jp, world.japan, "sato")
    grant_right(world.admin_jp, world.japanese, user, "approve")
    client = Client()
    sign_in(client, user)
    for page in ("/app/", "/app/accounts/", f"/app/accounts/{world.japanese.number}/", "/app/tokens/"):
        assert client.get(page)["Location"] == "/app/password/"
    assert "Your password was set by someone else" in client.get("/app/password/").content.decode()
    kept = client.post("/app/password/", {"old_password": temporary, "new_password1": temporary, "new_password2": temporary})
    assert "Choose a password different from the current one." in kept.content.decode()
    client.post("/app/password/", {"old_password": temporary, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not TemporaryPassword.objects.filter(user=user).exists()
    assert client.get("/app/accounts/").status_code == 200


def test_a_password_initialisation_forces_the_change_at_the_next_sign_in(world):
    user = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, user, "initiate")
    initialise_password(world.admin_jp, world.japan, user)
    client = Client()
    sign_in(client, user)
    assert client.get("/app/transactions/")["Location"] == "/app/password/"


def test_a_new_representative_sets_up_the_second_factor_then_changes_the_password(world):
    user, temporary = create_user(world.admin_jp, world.japan, "sato")
    grant_right(world.admin_jp, world.japanese, user, "approve")
    client = Client()
    assert client.post("/login/", {"username": "sato", "password": temporary})["Location"] == "/2fa/setup/"
    assert client.get("/app/password/")["Location"] == "/2fa/setup/"  # the second factor comes first, as part of signing in


def test_administrators_grant_and_revoke_rights_and_see_every_accounts_representatives(world):
    admin = admin_client(world)
    user, _ = create_user(world.admin_jp, world.japan, "sato", name="Sato Hana")
    admin.post(
        "/app/registries/JPN01/people/",
        {"action": "grant", "grant-username": "sato", "grant-account": world.japanese.number, "grant-right": "approve"},
    )
    assert Representative.objects.get(user=user, account=world.japanese).right == "approve"
    admin.cookies["django_language"] = "ja"
    page = admin.get("/app/registries/JPN01/people/").content.decode()
    table = page[page.index('id="representatives"') :]
    assert world.japanese.number in table and "sato (Sato Hana)" in table and "承認" in table
    admin.post("/app/registries/JPN01/people/", {"action": "revoke", "username": "sato", "account": world.japanese.number})
    assert not Representative.objects.filter(user=user, account=world.japanese).exists()
    assert Notification.objects.filter(user=user, kind="account_access_revoked").exists()


def test_another_registrys_account_cannot_be_granted_from_this_registrys_page(world):
    admin = admin_client(world)
    user = make_user("sato")
    response = admin.post(
        "/app/registries/JPN01/people/",
        {"action": "grant", "grant-username": "sato", "grant-account": world.seller.number, "grant-right": "approve"},
    )
    assert response.status_code == 404 and not Representative.objects.filter(user=user).exists()


def test_the_administration_is_reached_from_the_menu_by_administrators_only(world):
    admin = admin_client(world)
    home = admin.get("/app/").content.decode()
    assert 'href="/app/registries/"' in home
    listing = admin.get("/app/registries/").content.decode()
    assert 'href="/app/registries/JPN01/people/"' in listing and "MNG01" not in listing
    other = Client()
    sign_in(other, make_user("nobody"))
    assert 'href="/app/registries/"' not in other.get("/app/").content.decode()
    assert other.get("/app/registries/").status_code == 404
    assert other.get("/app/registries/JPN01/people/").status_code == 404
    assert admin.get("/app/registries/MNG01/people/").status_code == 404  # Japan's administrator, Mongolia's registry


def test_the_administrators_home_lists_what_waits_for_them(world, client):
    world.issue(50)
    seller_rep = make_user("seller-rep")
    grant_right(world.admin_mn, world.seller, seller_rep, "initiate")
    transfer_units(actor=seller_rep, from_account=world.seller, to_account=world.buyer, quantity=5)
    from tests.integration.test_applications import opening_form

    client.post("/apply/account/", opening_form(registry="MNG01"))
    admin = Client()
    sign_in(admin, world.admin_mn)
    page = admin.get("/app/").content.decode()
    work = page[page.index('id="worklist"') :]
    assert Application.objects.get().reference in work
    assert "Transactions awaiting approval" in work and "/app/transactions/" in work
    assert "No notifications." not in page  # the administrator was told of the new application
    assert Notification.objects.filter(user=world.admin_mn, kind="application_to_review").exists()
    japan_admin = admin_client(world)
    assert 'id="worklist"' not in japan_admin.get("/app/").content.decode()  # nothing waits in Japan


def test_create_token_makes_a_token_shown_once_and_logged(world):
    machine = make_user("jpn-ledger-bridge")
    grant_right(world.admin_jp, world.japanese, machine, "read_only")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_token",
        "--user",
        machine.username,
        "--scope",
        "read",
        "--account",
        world.japanese.number,
        "--days",
        "30",
        "--as",
        "admin-jp",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip().splitlines()[-1]
    token = find_token(secret)
    assert token is not None and token.user == machine and token.scope == "read"
    assert list(token.accounts.all()) == [world.japanese]
    assert (token.expires_at - token.created_at).days == 30
    assert secret not in str(ApiToken.objects.values_list("digest", flat=True))
    assert OperationLog.objects.filter(user=world.admin_jp, action="api_token_created_for", target__startswith=machine.username).exists()
    assert "shown once" in err.getvalue()


def test_create_token_is_refused_to_an_operator_who_does_not_administer_the_account(world):
    machine = make_user("bridge")
    grant_right(world.admin_jp, world.japanese, machine, "read_only")
    with pytest.raises(CommandError, match="does not administer registry JPN01"):
        call_command("create_token", "--user", "bridge", "--scope", "write", "--days", "30", "--as", "admin-mn", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_passwords_are_initialised_and_login_ids_reissued_from_the_people_page(world):
    user = make_user("kenji")
    grant_right(world.admin_jp, world.japanese, user, "initiate")
    admin = admin_client(world)
    page = admin.post("/app/registries/JPN01/people/", {"action": "initialise_password", "credentials-username": "kenji"}).content.decode()
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    user.refresh_from_db()
    assert user.check_password(temporary) and TemporaryPassword.objects.filter(user=user).exists()
    admin.post(
        "/app/registries/JPN01/people/", {"action": "reissue_login_id", "credentials-username": "kenji", "credentials-new_login": "kenji-2"}
    )
    user.refresh_from_db()
    assert user.username == "kenji-2"
    refused = admin.post(
        "/app/registries/JPN01/people/",
        {"action": "reissue_login_id", "credentials-username": "kenji-2", "credentials-new_login": "Admin-JP"},
        follow=True,
    )
    assert "[2021]" in refused.content.decode()
    user.refresh_from_db()
    assert user.username == "kenji-2"
