"""Peers: the installation's key pair, registering and removing another installation's registry on
the CLI's service and on the web (review, then confirm), with the refusals and the operation log."""

from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth import get_user_model
from django.test import Client

from registry.access.models import OperationLog
from registry.core.checks import CheckFailed
from registry.core.peer_messages import public_key_text
from registry.peers import keys
from registry.peers.models import Peer
from registry.peers.services import add_peer, registered_peers, remove_peer
from tests.factories import sign_in

THAI_KEY = public_key_text(Ed25519PrivateKey.generate().public_key())
URL = "https://registry.example.th"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", password=None)


@pytest.fixture
def key_home(tmp_path, settings):
    settings.REGISTRY_HOME = tmp_path
    return tmp_path


def code_of(action) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(CheckFailed) as failure:
        action()
    return failure.value.code


def test_the_signing_key_is_created_once_private_to_its_owner(key_home):
    assert keys.ensure_signing_key() is True
    first = keys.public_key()
    assert keys.ensure_signing_key() is False
    assert keys.public_key() == first and len(first) == 43
    assert stat.S_IMODE((key_home / keys.KEY_FILE_NAME).stat().st_mode) == 0o600


def test_without_a_key_file_the_public_key_asks_for_init(key_home):
    with pytest.raises(keys.SigningKeyMissing, match="registry init"):
        keys.public_key()


def test_an_installation_administrator_adds_lists_and_removes_a_peer(superuser):
    peer = add_peer(superuser, " tha01 ", URL + "/", THAI_KEY)
    assert (peer.registry_id, peer.url, peer.public_key) == ("THA01", URL, THAI_KEY)
    assert list(registered_peers()) == [peer]
    remove_peer(superuser, "THA01")
    assert not registered_peers().exists()
    assert Peer.objects.get().removed_by == superuser  # the history stays
    actions = list(OperationLog.objects.order_by("at", "pk").values_list("action", "outcome"))
    assert actions == [("peer_added", "completed"), ("peer_removed", "completed")]


def test_a_removed_peer_can_be_registered_again(superuser):
    add_peer(superuser, "THA01", URL, THAI_KEY)
    remove_peer(superuser, "THA01")
    add_peer(superuser, "THA01", URL, THAI_KEY)
    assert registered_peers().count() == 1 and Peer.objects.count() == 2


def test_a_bad_key_is_refused_with_7501_and_logged(superuser):
    assert code_of(lambda: add_peer(superuser, "THA01", URL, "not a key")) == 7501
    assert not Peer.objects.exists()
    assert OperationLog.objects.get().outcome == "refused 7501"


def test_a_peer_registered_twice_is_refused_with_7502(superuser):
    add_peer(superuser, "THA01", URL, THAI_KEY)
    assert code_of(lambda: add_peer(superuser, "THA01", "https://other.example", THAI_KEY)) == 7502
    assert Peer.objects.get().url == URL


def test_a_registry_of_this_installation_cannot_be_a_peer_7503(world, superuser):
    assert code_of(lambda: add_peer(superuser, "JPN01", URL, THAI_KEY)) == 7503


def test_removing_an_unknown_peer_is_refused_with_7504(superuser):
    assert code_of(lambda: remove_peer(superuser, "THA01")) == 7504
    assert OperationLog.objects.get().outcome == "refused 7504"


def test_a_registry_administrator_who_is_no_superuser_is_refused_with_7505(world):
    assert code_of(lambda: add_peer(world.admin_jp, "THA01", URL, THAI_KEY)) == 7505
    assert not Peer.objects.exists()


@pytest.mark.parametrize(("registry_id", "url"), [("THAI1", URL), ("THA01", "ftp://registry.example.th"), ("THA01", "registry")])
def test_a_malformed_registry_id_or_url_is_refused_with_1013(superuser, registry_id, url):
    assert code_of(lambda: add_peer(superuser, registry_id, url, THAI_KEY)) == 1013


def signed_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    sign_in(client, user)
    return client


def test_on_the_web_a_peer_is_reviewed_then_confirmed_then_removed_after_confirmation(superuser, key_home):
    keys.ensure_signing_key()
    client = signed_in(superuser)
    assert 'href="/app/peers/"' in client.get("/app/").content.decode()
    page = client.get("/app/peers/").content.decode()
    assert keys.public_key() in page
    form = {"action": "add", "registry_id": "THA01", "url": URL, "key": THAI_KEY}
    review = client.post("/app/peers/", form).content.decode()
    assert "Registry THA01 will be registered as a peer" in review and not Peer.objects.exists()
    done = client.post("/app/peers/", {**form, "confirmed": "yes"}, follow=True).content.decode()
    assert "Peer THA01 is registered." in done and registered_peers().count() == 1
    review = client.post("/app/peers/", {"action": "remove", "registry_id": "THA01"}).content.decode()
    assert "Peer THA01 (https://registry.example.th) will be removed" in review and registered_peers().count() == 1
    done = client.post("/app/peers/", {"action": "remove", "registry_id": "THA01", "confirmed": "yes"}, follow=True).content.decode()
    assert "Peer THA01 is removed." in done and not registered_peers().exists()


def test_on_the_web_in_japanese_a_bad_key_is_refused_in_japanese_with_its_code(superuser, key_home):
    client = signed_in(superuser, "ja")
    assert "ピア登録簿" in client.get("/app/").content.decode()
    page = client.post("/app/peers/", {"action": "add", "registry_id": "THA01", "url": URL, "key": "bad"}).content.decode()
    assert "[7501]" in page and "Ed25519 公開鍵ではありません" in page
    assert not Peer.objects.exists()


def test_the_peers_page_is_not_found_for_a_registry_administrator(world):
    assert signed_in(world.admin_jp).get("/app/peers/").status_code == 404
    assert 'href="/app/peers/"' not in signed_in(world.admin_jp).get("/app/").content.decode()
