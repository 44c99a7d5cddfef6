"""The token user's notifications (what the web inbox shows), in the language the client asks for
with ``Accept-Language`` (Japanese or English)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from registry.access.models import Operation
from registry.api import cursors
from registry.api.idempotency import apply_once
from registry.api.problems import ERRORS
from registry.api.schemas import NotificationPage
from registry.api.security import names_accounts, token_of, user_of
from registry.core.checks import Check, CheckFailed
from registry.notifications.messages import render
from registry.notifications.models import Notification
from registry.notifications.services import mark_read

router = Router(tags=["notifications"])


def _whole_user(request: HttpRequest) -> None:
    """Notifications may concern any of the user's accounts: a token limited to some cannot read them."""
    token = token_of(request)
    if names_accounts(token):
        raise CheckFailed(Check.NOT_ALLOWED_ON_ACCOUNT, actor=f"token {token.prefix} (limited to some accounts)", account="notifications")


@router.get("/notifications", response={200: NotificationPage, **ERRORS}, operation_id="listNotifications")
def list_notifications(
    request: HttpRequest,
    unread: Annotated[bool, Query(False)] = False,
    cursor: Annotated[str | None, Query(None, max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    limit: Annotated[int, Query(50, ge=1, le=500)] = 50,
) -> Any:
    """Newest first; ``unread`` keeps those not yet marked read."""
    _whole_user(request)
    found = Notification.objects.filter(user=user_of(request))
    if unread:
        found = found.filter(read_at__isnull=True)
    after = cursors.decode(cursor, (int,))
    if after is not None:
        found = found.filter(pk__lt=after[0])
    page = list(found.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    items = [
        {"id": n.pk, "kind": n.kind, "message": render(n.kind, n.params), "created_at": n.created_at, "read": n.read_at is not None}
        for n in page
    ]
    return {"items": items, "next_cursor": cursors.encode((page[-1].pk,)) if more else None}


@router.post("/notifications/read", response={204: None, **ERRORS}, operation_id="markNotificationsRead")
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark every notification read, as the web inbox's button does."""

    def write() -> tuple[int, dict[str, Any]]:
        _whole_user(request)
        mark_read(user_of(request))
        return 204, {}

    return apply_once(request, Operation.NOTIFICATIONS_READ, write)
