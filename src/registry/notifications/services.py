"""Telling people: a notification in their inbox and the same by email (English and Japanese)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from registry import rows
from registry.journal.services import importing
from registry.notifications.messages import render
from registry.notifications.models import Notification


def notify(users: Iterable[User], kind: str, **params: Any) -> list[Notification]:
    """Record ``kind`` for each user; the email goes when the surrounding transaction commits.

    Nobody is told of imported history: it took effect long ago, and was told then.
    """
    if importing():
        return []
    now = timezone.now()
    created = [Notification(user=user, kind=kind, params=params, created_at=now) for user in {u.pk: u for u in users}.values()]
    rows.insert_many(created)  # one statement (a movement tells several people at once)
    for notification in created:
        if notification.user.email:
            transaction.on_commit(partial(_send, notification))
    return created


def _send(notification: Notification) -> None:
    _send_to(notification.user.email, notification.kind, notification.params)


def _send_to(address: str, kind: str, params: dict[str, Any]) -> None:
    texts = []
    for language in ("en", "ja"):
        with translation.override(language):
            texts.append(render(kind, params))
    send_mail(
        subject=f"[Registry] {texts[0].splitlines()[0][:60]}",
        message="\n\n".join(texts),
        from_email=None,
        recipient_list=[address],
        fail_silently=True,
    )


def email(address: str, kind: str, **params: Any) -> None:
    """Send message ``kind`` to someone without a login (an applicant for an account), in English
    and Japanese, when the surrounding transaction commits; nothing is kept in an inbox."""
    if address:
        transaction.on_commit(partial(_send_to, address, kind, params))


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
