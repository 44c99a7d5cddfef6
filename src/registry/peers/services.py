"""Use cases for peers: register, list and remove another installation's registry.

Only installation administrators (superusers) manage peers: a peer is trusted by the whole
installation, for every registry it hosts. Every change and every refusal is in the operation log.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.accounts.models import Account, AccountType
from registry.core.checks import Check, CheckFailed
from registry.core.peer_messages import ACCOUNT_NUMBER, REGISTRY_ID, parse_public_key, public_key_text
from registry.parties.models import Registry
from registry.parties.services import Actor
from registry.peers.models import Peer


def ensure_installation_administrator(actor: Actor) -> None:
    if not (actor.is_authenticated and getattr(actor, "is_superuser", False)):
        raise CheckFailed(Check.PEER_ADMINISTRATOR_REQUIRED, actor=actor)


def administrators_of(registry: Registry) -> list[User]:
    """Who hears of a peer failure about ``registry``: its administrators (the installation's when it has none)."""
    return list(registry.administrators.filter(is_active=True)) or list(User.objects.filter(is_superuser=True, is_active=True))


def registered_peers() -> QuerySet[Peer]:
    return Peer.objects.registered()


def get_peer(registry_id: str) -> Peer:
    """The registered peer ``registry_id``, or 7504."""
    peer = Peer.objects.registered().filter(registry_id=registry_id.strip().upper()).first()
    if peer is None:
        raise CheckFailed(Check.PEER_UNKNOWN, registry=registry_id)
    return peer


def check_new_peer(registry_id: str, url: str, key: str) -> tuple[str, str, str]:
    """The normalised registry id, URL and key of a peer to add, or the check it fails (nothing changes)."""
    registry_id = registry_id.strip().upper()
    if not REGISTRY_ID.match(registry_id):
        raise CheckFailed(Check.VALUE_INVALID, field="registry id", detail=f"{registry_id!r} is not of the form ABC01")
    url = url.strip().rstrip("/")
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise CheckFailed(
            Check.VALUE_INVALID, field="URL", detail=f"{url!r} is not an http(s) address such as https://registry.example"
        ) from None
    normalised_key = public_key_text(parse_public_key(key))
    if Registry.objects.filter(registry_id=registry_id).exists():
        raise CheckFailed(Check.PEER_IS_LOCAL, registry=registry_id)
    if Peer.objects.registered().filter(registry_id=registry_id).exists():
        raise CheckFailed(Check.PEER_EXISTS, registry=registry_id)
    return registry_id, url, normalised_key


def add_peer(actor: Actor, registry_id: str, url: str, key: str, ip: str | None = None) -> Peer:
    """Register ``registry_id`` of another installation, reached at ``url`` and signing with ``key``."""
    try:
        ensure_installation_administrator(actor)
        registry_id, url, key = check_new_peer(registry_id, url, key)
        try:
            with transaction.atomic():  # the constraint decides between two concurrent additions
                assert isinstance(actor, User)
                peer = Peer.objects.create(registry_id=registry_id, url=url, public_key=key, added_at=timezone.now(), added_by=actor)
        except IntegrityError:
            raise CheckFailed(Check.PEER_EXISTS, registry=registry_id) from None
    except CheckFailed as failure:
        log_operation(actor, Operation.PEER_ADDED, target=_target(registry_id), outcome=f"refused {failure.code}", ip=ip)
        raise
    log_operation(actor, Operation.PEER_ADDED, target=f"{peer.registry_id} {peer.url} {peer.public_key}", outcome="completed", ip=ip)
    return peer


def remove_peer(actor: Actor, registry_id: str, ip: str | None = None) -> Peer:
    """Remove a registered peer: its messages are refused from now on (7504); its history is kept."""
    try:
        ensure_installation_administrator(actor)
        with transaction.atomic():
            peer = get_peer(registry_id)
            peer = Peer.objects.select_for_update().get(pk=peer.pk)
            if peer.removed_at is not None:  # removed by a concurrent call while we waited for the lock
                raise CheckFailed(Check.PEER_UNKNOWN, registry=registry_id)
            assert isinstance(actor, User)
            peer.removed_at, peer.removed_by = timezone.now(), actor
            peer.save(update_fields=["removed_at", "removed_by"])
    except CheckFailed as failure:
        log_operation(actor, Operation.PEER_REMOVED, target=_target(registry_id), outcome=f"refused {failure.code}", ip=ip)
        raise
    log_operation(actor, Operation.PEER_REMOVED, target=peer.registry_id, outcome="completed", ip=ip)
    return peer


def _target(text: str) -> str:
    return re.sub(r"\s+", " ", text)[:40]


# Accounts of peer registries as destinations ---------------------------------------------------------


def peer_account(registry: Registry, number: str) -> Account | None:
    """``registry``'s entry for account ``number`` of a registered peer, made on first use; ``None``
    if ``number`` does not name a registered peer's registry (it is then one of this installation, or
    nothing: the caller's own look-up says which). 7506 for a peer's number of the wrong form."""
    number = number.strip().upper()
    prefix = number.split("-", 1)[0]
    if not Peer.objects.registered().filter(registry_id=prefix).exists():
        return None
    if not ACCOUNT_NUMBER.match(number):
        raise CheckFailed(Check.PEER_ACCOUNT_NUMBER_INVALID, account=number, registry=prefix)
    return mirror_account(registry, number, f"Account {number} of peer registry {prefix}")


def mirror_account(registry: Registry, number: str, name: str) -> Account:
    """The row standing for another installation's account in ``registry``'s books (it holds nothing)."""
    found = Account.objects.select_related("registry").filter(registry=registry, number=number, type=AccountType.PEER).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():  # two first uses at once: the constraint keeps one row
            return Account.objects.create(registry=registry, number=number, type=AccountType.PEER, name=name, opened_at=timezone.now())
    except IntegrityError:
        return Account.objects.select_related("registry").get(registry=registry, number=number, type=AccountType.PEER)
