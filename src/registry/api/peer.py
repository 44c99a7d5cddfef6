"""``POST /api/v1/peer/``: where other installations' registries send their signed messages.

No token and no session: the message's Ed25519 signature, checked against the registered peer's
key, is the only authentication (``registry.peers.protocol.receive``), so the endpoint needs no
CSRF token either (no cookie is ever read). Each client address has its own rate
(``REGISTRY_PEER_RATE``), counted like the rest of the API's.
"""

from __future__ import annotations

import json
import threading

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.throttling import BaseThrottle

from registry.access.audit import client_address
from registry.api.problems import PUBLIC_ERRORS, problem, respond
from registry.api.security import _spend
from registry.core.checks import Check
from registry.peers.protocol import receive


class PeerThrottle(BaseThrottle):
    """Per client address, at the peers' own rate (a busy peer sends more than a public client);
    what one request learnt is kept per thread, as ``RateThrottle`` does."""

    def __init__(self) -> None:
        self._waits = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self._waits.seconds = _spend(f"peer-rate-{self.get_ident(request)}", settings.REGISTRY_PEER_RATE)
        return self._waits.seconds is None

    def wait(self) -> float | None:
        return getattr(self._waits, "seconds", None)


router = Router(tags=["peers"])


@router.post("/peer/", auth=None, throttle=[PeerThrottle()], response={200: dict, **PUBLIC_ERRORS}, operation_id="peerMessage")
def peer_message(request: HttpRequest) -> HttpResponse:
    """A signed message of a peer registry (docs/interoperability.md); the answer is a signed ``ack``,
    or a problem with the check code when the envelope itself is refused."""
    try:
        message = json.loads(request.body)
    except ValueError:
        message = None
    status, body = receive(message, ip=client_address(request))
    if status == 200:
        return respond(200, body)
    title = "Peer message refused"
    return respond(status, problem(status, title, str(body.get("detail", "")), int(body.get("code") or Check.PEER_MESSAGE_MALFORMED.code)))
