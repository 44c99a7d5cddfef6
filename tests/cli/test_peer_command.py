"""``registry peer`` end to end: ``init`` makes the key pair once, ``peer key`` prints it, and an
installation administrator adds, lists and removes a peer, each refusal with its check code."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.core.peer_messages import public_key_text

REGISTRY = shutil.which("registry") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "registry")


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REGISTRY_OPERATOR")}
    environment.update({"REGISTRY_HOME": str(home), **(env or {})})
    return subprocess.run([REGISTRY, *args], env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_peer_key_add_list_remove_as_an_installation_administrator(tmp_path):
    assert "signing key pair created" in run(tmp_path, "init").stdout
    key_file = tmp_path / "peer_signing_key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    own = run(tmp_path, "peer", "key").stdout.strip()
    assert len(own) == 43
    again = run(tmp_path, "init")
    assert again.returncode == 0 and "signing key pair created" not in again.stdout
    assert run(tmp_path, "peer", "key").stdout.strip() == own  # init never replaces the key

    password = {"REGISTRY_ADMIN_PASSWORD": "a long pass phrase for root"}
    assert run(tmp_path, "create-admin", "--username", "root", "--superuser", env=password).returncode == 0
    assert run(tmp_path, "create-admin", "--username", "ops", "--registry", "JPN01", env=password).returncode == 0
    thai = public_key_text(Ed25519PrivateKey.generate().public_key())
    add = ("peer", "add", "--registry-id", "THA01", "--url", "https://registry.example.th", "--key")

    unnamed = run(tmp_path, *add, thai)
    assert unnamed.returncode != 0 and "--as" in unnamed.stderr
    assert "refused [7505]" in run(tmp_path, *add, thai, "--as", "ops").stderr
    assert "refused [7501]" in run(tmp_path, *add, "AAAA", "--as", "root").stderr
    assert "peer THA01 registered" in run(tmp_path, *add, thai, "--as", "root").stdout
    assert "refused [7502]" in run(tmp_path, *add, thai, "--as", "root").stderr
    listed = run(tmp_path, "peer", "list").stdout
    assert listed.startswith(f"THA01\thttps://registry.example.th\t{thai}\t")
    assert "peer THA01 removed" in run(tmp_path, "peer", "remove", "--registry-id", "THA01", "--as", "root").stdout
    assert "refused [7504]" in run(tmp_path, "peer", "remove", "--registry-id", "THA01", "--as", "root").stderr
    assert run(tmp_path, "peer", "list").stdout == ""
