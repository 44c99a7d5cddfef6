"""Login IDs: one character set, one normal form, and no ID that could pass for another.

A login ID is 3 to 64 ASCII letters, digits and the separators ``.``, ``_`` and ``-``, beginning
and ending with a letter or digit. What a person types is normalised first (Unicode NFKC, so a
login ID typed in fullwidth letters is the same ID in ASCII; surrounding spaces dropped; lower case), and IDs are compared
in that form, so ``Madmin`` *is* ``madmin``. Cyrillic or Greek look-alikes, zero-width characters
and markup are outside the set and refused.

Within ASCII some IDs still read alike (``rn``/``m``, ``0``/``o``, ``1``/``l``/``i``, ``vv``/``w``,
and the separators): a new ID is refused when its *skeleton* equals an existing user's, in the
manner of the confusables skeleton of Unicode TS #39 restricted to our character set.

Every way a user is created or renamed (Form 1 and Form 5 in ``registry.applications``, the
``create-user`` and ``create-admin`` commands, the web) calls :func:`check_new_login_id`; signing
in and every look-up by login ID call :func:`find_user`. Users created before this rule keep their
ID: they are found case-insensitively too.
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.auth.models import User
from django.db.models.functions import Lower

from registry.core.checks import Check, CheckFailed

LOGIN_ID = re.compile(r"[a-z0-9](?:[a-z0-9._-]{1,62})[a-z0-9]")
ALLOWED = "3 to 64 letters a-z, digits and . _ -, starting and ending with a letter or digit"

# Pairs that read alike in common fonts, each mapped to one representative (longest first).
_LOOK_ALIKE = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"), ("_", "."), ("-", "."))


def normalise_login_id(typed: str) -> str:
    """The normal form of what someone typed as a login ID (it may still be outside the set)."""
    return unicodedata.normalize("NFKC", typed).strip().lower()


def skeleton(login_id: str) -> str:
    """What ``login_id`` looks like: two IDs with one skeleton could be taken for each other."""
    shape = normalise_login_id(login_id)
    for seen, meant in _LOOK_ALIKE:
        shape = shape.replace(seen, meant)
    return shape


def check_new_login_id(typed: str, *, field: str = "login_id", for_user: User | None = None) -> str:
    """The normalised login ID for a new (or renamed) user, or CheckFailed: 2020 when it is outside
    the character set, 2021 when it is taken or looks like an existing user's (``for_user``, when
    renaming, does not count against itself)."""
    login_id = normalise_login_id(typed)
    if not LOGIN_ID.fullmatch(login_id):
        raise CheckFailed(Check.LOGIN_ID_NOT_ALLOWED, field=field, allowed=ALLOWED)
    shape = skeleton(login_id)
    others = User.objects.exclude(pk=for_user.pk) if for_user is not None else User.objects.all()
    # Few users (hundreds), and every creation is rare: comparing skeletons in Python is enough.
    if any(skeleton(existing) == shape for existing in others.values_list("username", flat=True).iterator()):
        raise CheckFailed(Check.LOGIN_ID_TAKEN, login=login_id)
    return login_id


def find_user(typed: str) -> User | None:
    """The user whose login ID is ``typed`` in normal form (an exact match first, for IDs made
    before the rule that differ only in case)."""
    login_id = normalise_login_id(typed)
    if not login_id:
        return None
    exact = User.objects.filter(username=typed.strip()).first()
    if exact is not None:
        return exact
    return User.objects.annotate(normal=Lower("username")).filter(normal=login_id).order_by("pk").first()
