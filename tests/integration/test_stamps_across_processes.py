"""Stamps in the shared cache (``registry.stamps``) across processes: a gunicorn
server keeps what it found (an API token, a public page); this test process changes it through the
services, as another server process would; the server's next answer shows the change. With the
database cache and, when redis-server is installed, with Redis."""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from registry.api.tokens import create_token, revoke_token
from registry.parties.models import Notice
from tests.integration.test_shared_cache_redis import (  # redis_url: the fixture, for the Redis case
    GUNICORN,
    REDIS_SERVER,
    database_url,
    free_port,
    redis_url,  # noqa: F401
    wait_until_answering,
)


@pytest.fixture(params=["database", "redis"])
def server(request: pytest.FixtureRequest, committed_db: None, tmp_path: Path, settings) -> Iterator[str]:
    """A gunicorn server (one worker) on the test database, sharing this process's cache."""
    from tests.factories import make_world

    env = {**os.environ, "DATABASE_URL": database_url()}
    if request.param == "redis":
        if REDIS_SERVER is None and os.environ.get("REGISTRY_REQUIRE_REDIS") != "1":
            pytest.skip("redis-server is not installed")
        redis_url = request.getfixturevalue("redis_url")
        env["REGISTRY_CACHE_URL"] = redis_url
        settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    request.node.world = make_world()
    connection.close()
    base = int(os.environ.get("REGISTRY_TEST_GUNICORN_PORT") or 0)
    port = base + 5 if base else free_port()
    process = subprocess.Popen(
        [GUNICORN, "registry.wsgi", "--workers", "1", "--threads", "2", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("wb"),
    )
    try:
        wait_until_answering(port, process, "gunicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def answer(url: str, **headers: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_token_revoked_here_is_refused_by_the_other_process_at_its_next_request(server, request):
    world = request.node.world
    token, secret = create_token(world.admin_mn, "ops", "read")
    for _ in range(2):  # found, then kept
        assert answer(f"{server}/api/v1/accounts", Authorization=f"Bearer {secret}")[0] == 200
    revoke_token(world.admin_mn, token)
    assert answer(f"{server}/api/v1/accounts", Authorization=f"Bearer {secret}")[0] == 401


def test_a_notice_published_here_shows_at_once_on_the_other_process_kept_page(server):
    for _ in range(2):  # made, then kept
        status, page = answer(f"{server}/public/", **{"Accept-Language": "en"})
        assert status == 200 and "Change of fees" not in page
    Notice.objects.create(title_en="Change of fees", title_ja="手数料の変更", published_at=timezone.now())
    assert "Change of fees" in answer(f"{server}/public/", **{"Accept-Language": "en"})[1]
