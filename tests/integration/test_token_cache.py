"""A found API token is kept in its process (``registry.api.tokens``), under the tokens' stamp in the
shared cache: a request then costs one read of the stamp instead of the token's query, and any
change of a token, of its accounts or of its user counts at the next request."""

from __future__ import annotations

from django.contrib.auth.models import User

from registry.access.services import initialise_password
from registry.api.tokens import create_token, find_token, revoke_token


def test_a_kept_token_costs_one_read_of_the_stamp_and_its_revocation_counts_at_the_next_request(world, django_assert_num_queries):
    token, secret = create_token(world.admin_mn, "ops", "write")
    assert find_token(secret).pk == token.pk
    with django_assert_num_queries(1):  # the stamp; no token query, no write
        found = find_token(secret)
    assert found.pk == token.pk and found.user.pk == world.admin_mn.pk and found.limited_to_accounts is False
    assert found is not find_token(secret) and found.user is not find_token(secret).user  # fresh per request
    revoke_token(world.admin_mn, token)
    assert find_token(secret) is None


def test_a_kept_token_of_a_user_made_inactive_or_whose_password_was_initialised_is_refused(world):
    _token, secret = create_token(world.admin_mn, "ops", "write")
    assert find_token(secret) is not None
    User.objects.get(pk=world.admin_mn.pk).save(update_fields=["last_login"])  # a sign-in changes nothing
    assert find_token(secret) is not None
    world.admin_mn.is_active = False
    world.admin_mn.save()
    assert find_token(secret) is None
    world.admin_mn.is_active = True
    world.admin_mn.save()
    assert find_token(secret) is not None
    initialise_password(world.admin_mn, world.mongolia, world.admin_mn)  # revokes by an update: no signal
    assert find_token(secret) is None


def test_accounts_given_to_a_kept_token_limit_it_at_the_next_request(world):
    token, secret = create_token(world.admin_mn, "ops", "write")
    assert find_token(secret).limited_to_accounts is False
    token.accounts.add(world.seller)
    assert find_token(secret).limited_to_accounts is True


def test_a_wrong_secret_with_a_kept_tokens_prefix_is_refused(world):
    _token, secret = create_token(world.admin_mn, "ops", "write")
    assert find_token(secret) is not None
    assert find_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
