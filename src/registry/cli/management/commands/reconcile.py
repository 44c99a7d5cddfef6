"""``registry reconcile --peer THA01``: compare our books with a peer registry's, block by block."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from registry.core.checks import Check, CheckFailed
from registry.core.reconciliation import InFlight, describe
from registry.parties.models import Registry
from registry.parties.services import get_registry
from registry.peers.reconcile import reconcile
from registry.peers.services import get_peer
from registry.refusals import refusal_message


def default_language() -> str:
    """Japanese when the operator's locale is (``LANG=ja_JP.UTF-8``), English otherwise."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := os.environ.get(name):
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


class Command(BaseCommand):
    help = (
        "Compare, block by block, what this registry's journal says was sent to and received from a peer registry with what the "
        "peer's says; list every discrepancy (the administrators are notified). Exits 1 on a discrepancy."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--peer", required=True, help="the peer's registry id, e.g. THA01")
        parser.add_argument("--registry", help="our registry id, e.g. JPN01 (default: every registry of this installation)")
        parser.add_argument("--language", choices=["en", "ja"], default=None, help="language of the report (default: from LANG)")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or default_language()):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        try:
            peer = get_peer(options["peer"])
            registries = [get_registry(options["registry"])] if options["registry"] else list(Registry.objects.order_by("registry_id"))
        except CheckFailed as failure:
            raise CommandError(_("refused %(refusal)s") % {"refusal": refusal_message(failure)}) from failure
        found = 0
        for registry in registries:
            try:
                outcome = reconcile(registry, peer)
            except CheckFailed as failure:
                raise CommandError(_("refused %(refusal)s") % {"refusal": refusal_message(failure)}) from failure
            for moving in outcome.comparison.in_flight:
                self.stdout.write(in_flight_line(moving))
            for discrepancy in outcome.comparison.discrepancies:
                self.stdout.write(_("DISCREPANCY %(refusal)s") % {"refusal": refusal_message(discrepancy)})
            if outcome.comparison.agreed:
                self.stdout.write(
                    _("reconcile: %(registry)s and %(peer)s agree (%(count)s transfers in flight)")
                    % {"registry": registry.registry_id, "peer": peer.registry_id, "count": len(outcome.comparison.in_flight)}
                )
            else:
                found += len(outcome.comparison.discrepancies)
                summary = CheckFailed(
                    Check.RECONCILIATION_DISCREPANCIES,
                    registry=registry.registry_id,
                    peer=peer.registry_id,
                    count=len(outcome.comparison.discrepancies),
                )
                self.stdout.write(refusal_message(summary))
        if found:
            raise SystemExit(1)


def in_flight_line(moving: InFlight) -> str:
    params = {"transaction": moving.transaction, "registry": moving.sender, "ranges": describe(moving.spans)}
    if moving.accepted:
        return (
            _(
                "in flight: transaction %(transaction)s of %(registry)s (serials %(ranges)s) is accepted by the receiver, not yet completed by its sender"
            )
            % params
        )
    return (
        _("in flight: transaction %(transaction)s of %(registry)s (serials %(ranges)s) is pending on its sender, not yet accepted") % params
    )
