"""Installations of their own for tests of the peer protocol: each with its ``REGISTRY_HOME`` (and
so its signing key), its database (an SQLite file, or a PostgreSQL database of its own) and, when
started, its own gunicorn server on loopback. Everything is done through the ``registry`` command,
as an operator would, never through this process's Django.

    template = Installation.initialised(tmp_path / "template")     # one `registry init`, copied
    a = Installation.create(tmp_path / "a", port=8612, registry=("KR", "KOR", "Korea", "KOR01"), template=template)
    b = Installation.create(tmp_path / "b", port=8613, registry=("TH", "THA", "Thailand", "THA01"),
                            database_url=postgres_database(base_url, "peer_b"))
    connect(a, b)                    # each registers the other's registry as a peer
    with a.serving(), b.serving():   # gunicorn on 127.0.0.1:port, stopped (SIGKILL with kill()) after
        a.registry("transfer-external", "--registry", "KOR01", ...)
        a.registry("peer", "run", "--once")

Every installation hosts JPN01 and MNG01 (``registry init``) besides its own registry; transfers
between installations go between their own registries (KOR01, THA01), whose serials never clash.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.benchmarks.run import wait_until_listening

BIN = Path(sys.executable).parent
REGISTRY = str(BIN / "registry")
GUNICORN = str(BIN / "gunicorn")
OPERATOR = "admin"
PASSWORD = "peer-test-Passw0rd!"


def postgres_database(base_url: str, name: str, template: str | None = None) -> str:
    """A fresh PostgreSQL database ``name`` on the server of ``base_url`` (dropped first if it
    exists): empty, or a copy of the database of the URL ``template`` (on the same server)."""
    import psycopg

    server = base_url.rsplit("/", 1)[0]
    copied = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"{copied}')
    return f"{server}/{name}"


@dataclass
class Installation:
    home: Path
    port: int
    registry_id: str
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None
    key: str = ""  # the installation's public key (``registry peer key``)
    peer_url: str = ""  # where its peers reach it, if not at ``url`` (a proxy in front of it)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "DATABASE_URL", "DJANGO_"))},
            "REGISTRY_HOME": str(self.home),
            "DATABASE_URL": self.database_url,
            "REGISTRY_SECURE": "0",
            "REGISTRY_OPERATOR": OPERATOR,
            "REGISTRY_ADMIN_PASSWORD": PASSWORD,
            "REGISTRY_API_RATE": "100000/60",
            "REGISTRY_API_ANONYMOUS_RATE": "100000/60",
            "REGISTRY_PEER_RATE": "100000/60",
            **self.extra_env,
        }

    def registry(self, *args: str, ok: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``registry ARGS`` against this installation; by default it must succeed."""
        done = subprocess.run([REGISTRY, *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False)
        if ok and done.returncode != 0:
            raise AssertionError(f"registry {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def python(self, code: str) -> Any:
        """Run ``code`` inside this installation (``registry shell``); what it passes to ``result(...)``."""
        script = "import json\ndef result(value):\n    print('RESULT:' + json.dumps(value))\n" + textwrap.dedent(code)
        out = self.registry("shell", "-c", script).stdout
        lines = [line for line in out.splitlines() if line.startswith("RESULT:")]
        return json.loads(lines[-1][len("RESULT:") :]) if lines else None

    @classmethod
    def create(
        cls,
        home: Path,
        *,
        port: int,
        registry: tuple[str, str, str, str],
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        template: Installation | None = None,
    ) -> Installation:
        """``registry init``, a superuser ``admin``, and the installation's own registry
        (``registry`` = alpha-2, alpha-3, Party name, registry id). With ``template`` (an
        installation just initialised, not yet given its registry, on the same engine), its
        database is copied instead of initialising again (faster); the signing key is this
        installation's own."""
        home.mkdir(parents=True, exist_ok=True)
        alpha2, alpha3, name, registry_id = registry
        found = cls(home, port, registry_id, database_url or f"sqlite:///{home / 'registry.sqlite3'}", dict(extra_env or {}))
        if template is not None and found.database_url.startswith("sqlite") and template.database_url.startswith("sqlite"):
            source = Path(template.database_url.removeprefix("sqlite:///"))
            target = Path(found.database_url.removeprefix("sqlite:///"))
            for part in source.parent.glob(source.name + "*"):  # the file and any -wal / -shm beside it
                shutil.copyfile(part, target.with_name(target.name + part.name[len(source.name) :]))
        elif template is not None and found.database_url.startswith("postgres") and template.database_url.startswith("postgres"):
            postgres_database(found.database_url, found.database_url.rsplit("/", 1)[1], template=template.database_url)
        else:
            found.registry("init")
        found.key = found.python(
            f"""
            from django.contrib.auth.models import User
            from registry.parties.services import create_party, create_registry
            from registry.peers.keys import ensure_signing_key, public_key
            ensure_signing_key()
            if not User.objects.filter(username={OPERATOR!r}).exists():
                User.objects.create_superuser({OPERATOR!r}, password={PASSWORD!r})
            create_registry(create_party({alpha2!r}, {alpha3!r}, {name!r}), {registry_id!r}, {name + " Registry"!r})
            result(public_key())
            """
        )
        return found

    @classmethod
    def initialised(cls, home: Path, database_url: str | None = None) -> Installation:
        """Just ``registry init`` (on SQLite, or on the PostgreSQL database ``database_url``): a
        template whose database later installations on the same engine copy."""
        home.mkdir(parents=True, exist_ok=True)
        found = cls(home, 0, "", database_url or f"sqlite:///{home / 'registry.sqlite3'}")
        found.registry("init")
        return found

    def public_key(self) -> str:
        self.key = self.key or self.registry("peer", "key").stdout.strip()
        return self.key

    def open_account(self, name: str, country: str) -> str:
        """A new entity holding account of the installation's own registry; its number."""
        out = self.registry(
            "open-account",
            "--registry",
            self.registry_id,
            "--type",
            "entity_holding",
            "--name",
            name,
            "--entity",
            name,
            "--entity-country",
            country,
        ).stdout
        found = re.search(rf"account ({self.registry_id}-\d+)", out)
        assert found, out
        return found.group(1)

    def start(self) -> None:
        """Serve with gunicorn on 127.0.0.1:port (one worker, four threads), until ``stop``."""
        assert self.server is None, "already serving"
        self.server = subprocess.Popen(
            [GUNICORN, "registry.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4", "--timeout", "60"],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until_listening(self.port, self.server)
        except RuntimeError:
            self.kill()
            raise

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.server = None

    def kill(self) -> None:
        """SIGKILL the server and its workers (its own process group), as a crash would."""
        if self.server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait(timeout=20)
            self.server = None

    @contextlib.contextmanager
    def serving(self) -> Iterator[Installation]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


def connect(a: Installation, b: Installation) -> None:
    """Each installation registers the other's own registry as a peer (keys exchanged out of band),
    as ``registry peer add`` does, in one process each (faster than the command)."""
    for one, other in ((a, b), (b, a)):
        one.python(
            f"""
            from django.contrib.auth.models import User
            from registry.peers.services import add_peer
            add_peer(User.objects.get(username={OPERATOR!r}), {other.registry_id!r}, {other.peer_url or other.url!r}, {other.public_key()!r})
            """
        )


def verified_holdings(installation: Installation) -> dict[str, list[list[object]]]:
    """``registry verify``'s verdict (it must pass) and every block of the installation's own
    registry by account: ``{account: [[originating registry, start, end, reserved], ...]}``."""
    return installation.python(
        f"""
        from registry.units.models import UnitBlock
        from registry.verification.ledger import verify
        report = verify()
        assert report.ok, report.problems
        held = {{}}
        for b in UnitBlock.objects.filter(account__registry__registry_id={installation.registry_id!r}).order_by("originating_registry", "start"):
            held.setdefault(b.account.number, []).append([b.originating_registry, b.start, b.end, b.reserved_by_id is not None])
        result(held)
        """
    )


def holdings(installation: Installation, account: str) -> str:
    return installation.registry("holdings", "--registry", installation.registry_id, "--account", account).stdout


def pair(
    tmp_path: Path, ports: tuple[int, int] = (8612, 8613), second_database_url: str | None = None, extra_env: dict[str, str] | None = None
) -> tuple[Installation, Installation]:
    """Korea's installation (KOR01, SQLite) and Thailand's (THA01, SQLite or ``second_database_url``),
    each the other's peer, neither serving yet; one ``registry init`` between them."""
    template = Installation.initialised(tmp_path / "template")
    a = Installation.create(tmp_path / "a", port=ports[0], registry=("KR", "KOR", "Korea", "KOR01"), template=template, extra_env=extra_env)
    b = Installation.create(
        tmp_path / "b",
        port=ports[1],
        registry=("TH", "THA", "Thailand", "THA01"),
        database_url=second_database_url,
        template=template,
        extra_env=extra_env,
    )
    connect(a, b)
    return a, b
