"""Strict JSON for request bodies: a body means one thing or it is refused.

Python's :mod:`json` keeps the last of two equal keys, so ``{"quantity": 1, "quantity": 1000}``
reads as 1000 here and perhaps as 1 in a proxy or audit tool that logged it: duplicate keys are
refused. ``NaN`` and ``Infinity`` are not JSON and are refused too. (That quantities are integers,
not ``"10"`` or ``true``, and that texts carry no control or bidirectional characters, is the
schemas' business: ``registry.api.schemas``.)
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser


class AmbiguousJson(ValueError):
    """The body is JSON that could be read two ways."""


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise AmbiguousJson(f"the key {key!r} appears twice in one object")
        found[key] = value
    return found


def _not_a_number(text: str) -> Any:
    raise AmbiguousJson(f"{text} is not a JSON number")


def loads(body: bytes | str) -> Any:
    return json.loads(body, object_pairs_hook=_one_value_per_key, parse_constant=_not_a_number)


class StrictParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        return loads(request.body)
