"""This installation's Ed25519 signing key pair.

The private key is a PKCS#8 PEM file ``peer_signing_key.pem`` under ``REGISTRY_HOME``, created
with mode 0600, rather than a database row: database backups, exports and a read replica then never
carry it, and an operator can move it to a secret store by mounting the file. Every server process
of the installation reads the same file, so all of them sign with one key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from registry.core.peer_messages import public_key_text

KEY_FILE_NAME = "peer_signing_key.pem"


class SigningKeyMissing(RuntimeError):
    """There is no key file yet: ``registry init`` creates it."""


def key_file() -> Path:
    return Path(settings.REGISTRY_HOME) / KEY_FILE_NAME


def ensure_signing_key() -> bool:
    """Create the key pair unless it exists; ``True`` when this call created it (idempotent)."""
    path = key_file()
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        # O_EXCL: two processes initialising at once cannot both write, and an existing key is never replaced.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return True


def signing_key() -> Ed25519PrivateKey:
    path = key_file()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyMissing(f"no signing key at {path}: run 'registry init'") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(f"{path} holds no Ed25519 private key")
    return key


def public_key() -> str:
    """The installation's public key as peers register it (43 characters, base64url)."""
    return public_key_text(signing_key().public_key())
