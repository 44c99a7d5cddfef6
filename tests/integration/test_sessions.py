"""Sessions and what the server promises about them (issue 16, finding 5 and the shared limits):
CSRF tokens bound to the session, REGISTRY_SECURE, no-store on pages with secrets, and rate limits
counted once for every server process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from registry.access.services import grant_right
from registry.applications.models import Application
from registry.transactions.models import Transaction
from tests.factories import make_user, one_time_code, sign_in

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PORT = int(os.environ.get("REGISTRY_TEST_GUNICORN_PORT", "8431"))


def form_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


# Finding 5: CSRF tokens bound to the session ---------------------------------------------------


def test_a_csrf_token_from_another_session_is_refused(world):
    world.issue(50)
    user = make_user("proposer")
    grant_right(world.admin_mn, world.seller, user, "initiate")
    victim = Client(enforce_csrf_checks=True)
    sign_in(victim, user)
    proposal = {"kind": "internal_transfer", "to_account": world.buyer.number, "quantity": 5}
    # The attacker's own (anonymous) session: its form token and, if there is one, its CSRF cookie.
    attacker = Client(enforce_csrf_checks=True)
    stolen = form_token(attacker.get("/login/").content.decode())
    if "csrftoken" in attacker.cookies:
        victim.cookies["csrftoken"] = attacker.cookies["csrftoken"].value
    refused = victim.post(f"/app/accounts/{world.seller.number}/propose/", {**proposal, "csrfmiddlewaretoken": stolen})
    assert refused.status_code == 403
    assert not Transaction.objects.filter(proposed_by=user).exists()
    # The session's own token is accepted (the refusal above was the token's, nothing else).
    victim = Client(enforce_csrf_checks=True)
    sign_in(victim, user)
    own = form_token(victim.get(f"/app/accounts/{world.seller.number}/").content.decode())
    victim.post(f"/app/accounts/{world.seller.number}/propose/", {**proposal, "csrfmiddlewaretoken": own, "token": one_time_code(user)})
    assert Transaction.objects.filter(proposed_by=user).count() == 1


# REGISTRY_SECURE --------------------------------------------------------------------------------


def settings_in(environment: dict[str, str], *names: str) -> list[str]:
    """The values of settings ``names`` when the settings module reads ``environment``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_") or k == "REGISTRY_HOME"} | environment
    script = "import registry.settings as s; print('|'.join(repr(getattr(s, n, None)) for n in " + repr(names) + "))"
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout.strip().split("|")


def test_registry_secure_is_on_unless_debugging():
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER")
    assert settings_in({}, *names) == ["True", "True", "True", "31536000", "None"]
    assert settings_in({"REGISTRY_DEBUG": "1"}, *names) == ["False", "False", "False", "0", "None"]
    assert settings_in({"REGISTRY_SECURE": "0"}, *names)[:4] == ["False", "False", "False", "0"]
    behind_proxy = settings_in({"REGISTRY_TRUSTED_PROXIES": "1"}, *names)
    assert behind_proxy[-1] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_secure_mode_redirects_to_https_sends_hsts_and_marks_cookies_secure(world, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = Client().get("/public/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    proxied = Client().get("/public/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200 and proxied["Strict-Transport-Security"] == "max-age=31536000"
    client = Client()
    sign_in(client, make_user("secure-cookie"))
    response = client.get("/app/", secure=True)
    assert response.cookies["sessionid"]["secure"] is True


# Pages that show a secret are never stored ------------------------------------------------------


def test_pages_that_show_secrets_are_not_stored(world):
    client = Client()
    sign_in(client, world.admin_mn)
    now = timezone.now()
    application = Application.objects.create(
        registry=world.mongolia, reference="A1", form="form1", data={}, access_token="t", created_at=now, updated_at=now
    )
    pages = ["/app/tokens/", f"/app/registries/{world.mongolia.registry_id}/", f"/app/applications/{application.pk}/", "/apply/A1/t/"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert "no-store" in response["Cache-Control"], page
    newcomer = Client()
    user = make_user("newcomer")
    newcomer.force_login(user, backend="registry.access.backends.LoginIdBackend")
    assert "no-store" in newcomer.get("/2fa/setup/")["Cache-Control"]


# Limits shared by every server process ----------------------------------------------------------


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def answer(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.usefixtures("committed_db")
def test_two_server_processes_count_one_rate_limit():
    from tests.factories import make_world

    make_world()
    connection.close()
    env = {**os.environ, "DATABASE_URL": database_url(), "REGISTRY_API_ANONYMOUS_RATE": "12/60"}
    server = subprocess.Popen(
        [GUNICORN, "registry.wsgi", "--workers", "2", "--threads", "2", "--bind", f"127.0.0.1:{PORT}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while answer_or_none(f"http://127.0.0.1:{PORT}/health") is None:
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(answer, [f"http://127.0.0.1:{PORT}/api/v1/registries"] * 30))
    finally:
        server.terminate()
        server.wait(timeout=30)
    # One limit for both workers: at most 12 answers in the minute (a process's own count would allow 24).
    assert statuses.count(200) <= 12 and statuses.count(200) >= 6, statuses
    assert statuses.count(429) == 30 - statuses.count(200)


def answer_or_none(url: str) -> int | None:
    try:
        return answer(url)
    except OSError:
        return None


def test_a_counter_increment_leaves_the_ledgers_full_sync_alone(committed_db):
    from django.core.cache import cache

    cache.add("sync-probe", 0)
    assert cache.incr("sync-probe") == 1 and cache.incr("sync-probe", 2) == 3
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL, as settings set it
