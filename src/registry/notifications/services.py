"""Telling people: a notification in their inbox and the same by email (English and Japanese)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import DEFAULT_DB_ALIAS, connections, transaction
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


@dataclass(frozen=True)
class Audience:
    """Whom a message goes to: a SELECT of their user ids (its one column named ``user_id``) and its
    parameters, read in the statement that records the message (``tell``): telling the people a
    movement concerns is one round trip, whoever they are."""

    select: str
    params: tuple[Any, ...] = ()

    def __or__(self, other: Audience) -> Audience:
        """Both audiences, each person once."""
        return Audience(f"{self.select} UNION {other.select}", self.params + other.params)

    def besides(self, user: int | None) -> Audience:
        """This audience but ``user`` (who acted, and need not be told)."""
        if user is None:
            return self
        return Audience(f"SELECT told.user_id FROM ({self.select}) told WHERE told.user_id <> %s", (*self.params, user))


def people(users: Iterable[User | int | None]) -> Audience | None:
    """The users named (by user or id); None if none is."""
    ids = sorted({u if isinstance(u, int) else u.pk for u in users if u is not None})
    if not ids:
        return None
    return Audience(_users(len(ids)), tuple(ids))


@rows.statement
def _users(count: int) -> str:
    return f"SELECT {rows.column(User, 'id')} AS user_id FROM {rows.table(User)} WHERE {rows.column(User, 'id')} IN ({rows.placeholders(count)})"


@dataclass(frozen=True)
class Message:
    """Message ``kind`` with ``params``, for ``audience`` (nobody if None)."""

    audience: Audience | None
    kind: str
    params: dict[str, Any]


def tell(*messages: Message) -> int:
    """Record each message for each person of its audience, in one statement, and send each the
    same by email when the surrounding transaction commits (as ``notify``); how many were recorded.

    The audiences are read by the statement that records the notifications, with each person's
    address (nothing of theirs is read before). Nobody is told of imported history.
    """
    told = [m for m in messages if m.audience is not None]
    if importing() or not told:
        return 0
    kinds = [m.kind for m in told]
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"one message of each kind at a time: {kinds}")
    db = connections[DEFAULT_DB_ALIAS]
    if not db.features.can_return_columns_from_insert:
        raise RuntimeError("telling people needs INSERT ... RETURNING: PostgreSQL, or SQLite 3.35 or later")
    now = timezone.now()
    params_field, created_field = Notification._meta.get_field("params"), Notification._meta.get_field("created_at")
    values: list[Any] = []
    for message in told:
        assert message.audience is not None
        values += [message.kind, params_field.get_db_prep_save(message.params, db), created_field.get_db_prep_save(now, db)]
        values += message.audience.params
    found = rows.fetch(_recording(tuple(m.audience.select for m in told if m.audience is not None)), values)
    by_kind = {m.kind: m.params for m in told}
    for _user, kind, address in found:
        if address:
            transaction.on_commit(partial(_send_to, address, kind, by_kind[kind]))
    return len(found)


@rows.statement
def _recording(audiences: tuple[str, ...]) -> str:
    table = rows.table(Notification)
    columns = ", ".join(rows.assigned(Notification, name) for name in ("user_id", "kind", "params", "created_at"))
    chosen = " UNION ALL ".join(f"SELECT told.user_id, %s, %s, %s FROM ({select}) told" for select in audiences)
    user, kind = rows.assigned(Notification, "user_id"), rows.assigned(Notification, "kind")
    # Each person's address comes back with their notification (RETURNING may read other tables).
    address = f"(SELECT {rows.column(User, 'email')} FROM {rows.table(User)} WHERE {rows.column(User, 'id')} = {table}.{user})"
    return f"INSERT INTO {table} ({columns}) {chosen} RETURNING {user}, {kind}, {address}"


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
