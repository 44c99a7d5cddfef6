"""Redis as the cache every server process shares (``REGISTRY_CACHE_URL``): a real redis-server on
loopback and two gunicorn servers that count against it, as two machines behind one load balancer
would. Requests alternate between the two servers, so a count kept by either one alone would show.

Skipped when redis-server is not installed, unless ``REGISTRY_REQUIRE_REDIS=1`` (as ``.ci/run`` sets),
which turns the skip into a failure.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from registry.notifications.models import Notification

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def wait_until_answering(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.1)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on loopback, without persistence: its URL."""
    if REDIS_SERVER is None:
        if os.environ.get("REGISTRY_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is required (REGISTRY_REQUIRE_REDIS=1) but not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = int(os.environ.get("REGISTRY_TEST_REDIS_PORT") or free_port())
    server = subprocess.Popen(
        [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(port, server, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def two_servers(committed_db: None, redis_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two gunicorn servers (one worker each) on one database, both caching in ``redis_url``."""
    from tests.factories import make_world

    make_world()
    connection.close()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REGISTRY_CACHE_URL": redis_url,
        "REGISTRY_API_ANONYMOUS_RATE": "12/60",
        "REGISTRY_LOCKOUT_FAILURES": "3",
    }
    base = int(os.environ.get("REGISTRY_TEST_GUNICORN_PORT") or 0)
    ports = [base + 2, base + 3] if base else [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [GUNICORN, "registry.wsgi", "--workers", "1", "--threads", "2", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"gunicorn-{port}.log").open("wb"),
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_until_answering(port, server, "gunicorn")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def status_of(opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def redis_keys(redis_url: str, pattern: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return [key.decode() for key in client.keys(pattern)]
    finally:
        client.close()


def test_two_servers_count_one_rate_limit_in_redis(two_servers, redis_url):
    opener = urllib.request.build_opener()
    statuses = {server: [] for server in two_servers}
    for n in range(30):
        server = two_servers[n % 2]
        statuses[server].append(status_of(opener, f"{server}/api/v1/registries")[0])
    answered = sum(s.count(200) for s in statuses.values())
    # One limit for both: 12 answers in the minute (each server counting alone would answer 24).
    assert 6 <= answered <= 12, statuses
    for server, seen in statuses.items():
        assert 200 in seen and 429 in seen, (server, seen)
        assert set(seen) == {200, 429}, (server, seen)
    # Counted in Redis, not in the database cache.
    assert redis_keys(redis_url, "*api-rate-address-127.0.0.1-*")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_cache WHERE cache_key LIKE %s", ["%api-rate-address%"])
        assert cursor.fetchone()[0] == 0


def sign_in_attempt(server: str, username: str, password: str) -> int:
    """One sign-in through the login page of ``server`` (its own session and CSRF token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
    status, page = status_of(opener, f"{server}/login/")
    assert status == 200, page[:200]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": username, "password": password, "token": ""}
    return status_of(opener, f"{server}/login/", form)[0]


def test_two_servers_share_the_sign_in_lock_and_tell_the_holder_once(two_servers, redis_url):
    from tests.factories import make_user

    holder = make_user("holder")
    holder.set_password("right-password-123")
    holder.save()
    first, second = two_servers
    # Three failures, spread over both servers, lock the (login ID, address) pair on both.
    assert [sign_in_attempt(server, "holder", "wrong") for server in (first, second, first)] == [200, 200, 429]
    assert sign_in_attempt(second, "holder", "right-password-123") == 429
    assert sign_in_attempt(first, "holder", "right-password-123") == 429
    # Refused attempts during the lock, on either server: the holder hears of the lock once.
    for server in (second, first, second):
        assert sign_in_attempt(server, "holder", "wrong") == 429
    assert Notification.objects.filter(user=holder, kind="sign_in_locked").count() == 1
    assert redis_keys(redis_url, f"*signin-lock-told-{holder.pk}-*")
