"""Writing a registry's whole history in the interchange format, streamed from its journal."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Q

from registry.core.entries import PEER_TRANSFER_RELEASED, PEER_TRANSFER_RESERVED, parse_body
from registry.interchange.records import dated_record
from registry.interchange.schemas import FORMAT, VERSION
from registry.journal.models import JournalEntry
from registry.parties.models import CooperativeApproach, CreditingProgramme, Entity, Party, Project, Registry, UnitType, UsePurpose

#: Journal rows read from the database at a time (the export's memory does not grow with the journal).
CHUNK = 2000


def reference_records(registry: Registry) -> Iterator[dict[str, Any]]:
    """The header and the reference data every dated record may name, before any of them."""
    yield {
        "record": "header",
        "format": FORMAT,
        "version": VERSION,
        "registry": registry.registry_id,
        "party": registry.party.alpha3,
        "name": registry.name,
        "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    for party in Party.objects.order_by("alpha3"):
        yield {"record": "party", "alpha2": party.alpha2, "alpha3": party.alpha3, "name": party.name, "name_ja": party.name_ja}
    # Every registry: an external transfer or an acquisition names its counterpart.
    for other in Registry.objects.select_related("party").order_by("registry_id"):
        yield {"record": "registry", "registry_id": other.registry_id, "party": other.party.alpha3, "name": other.name}
    for programme in CreditingProgramme.objects.order_by("code"):
        yield {
            "record": "programme",
            "code": programme.code,
            "name": programme.name,
            "scheme_code": programme.scheme_code,
            "international": programme.international,
        }
    for unit_type in UnitType.objects.select_related("programme").order_by("code"):
        yield {"record": "unit_type", "code": unit_type.code, "name": unit_type.name, "programme": unit_type.programme.code}
    for approach in CooperativeApproach.objects.prefetch_related("parties").order_by("identifier"):
        parties = sorted(p.alpha3 for p in approach.parties.all())
        yield {"record": "approach", "identifier": approach.identifier, "name": approach.name, "parties": parties}
    purposes = UsePurpose.objects.select_related("programme").prefetch_related("unit_types").order_by("programme__code", "position", "code")
    for purpose in purposes:
        yield {
            "record": "use_purpose",
            "code": purpose.code,
            "programme": purpose.programme.code,
            "name": purpose.name,
            "name_ja": purpose.name_ja,
            "towards_ndc": purpose.towards_ndc,
            "domestic_only": purpose.domestic_only,
            "unit_types": sorted(t.code for t in purpose.unit_types.all()),
            "position": purpose.position,
        }
    # The registry's own projects and those of units it acquired.
    acquired = Q(blocks__account__registry=registry)
    projects = (
        Project.objects.filter(Q(registry=registry) | acquired)
        .distinct()
        .select_related("registry", "programme", "host_party", "cooperative_approach")
    )
    for project in projects.order_by("registry__registry_id", "identifier"):
        yield {
            "record": "project",
            "registry": project.registry.registry_id,
            "identifier": project.identifier,
            "name": project.name,
            "programme": project.programme.code,
            "host_party": project.host_party.alpha3,
            "approach": project.cooperative_approach.identifier if project.cooperative_approach else None,
            "methodology": project.methodology,
            "sector": project.sector,
        }
    for entity in Entity.objects.filter(registry=registry).order_by("pk"):
        yield {
            "record": "entity",
            "id": entity.pk,
            "name": entity.name,
            "name_ja": entity.name_ja,
            "country": entity.country,
            "identification_number": entity.identification_number,
            "head_office": entity.head_office,
        }


def history_records(registry: Registry) -> Iterator[dict[str, Any]]:
    """Every record of the registry's history: reference data, then its journal in order."""
    yield from reference_records(registry)
    # The reservation and release of a transfer to a peer are the peer protocol's state, not history
    # an import can carry (its outbox, signatures and the peer's answers stay here): the transfer is
    # in the history when the peer accepts it, as its external transfer (docs/interchange.md).
    journal = JournalEntry.objects.filter(registry=registry).exclude(kind__in=[PEER_TRANSFER_RESERVED, PEER_TRANSFER_RELEASED])
    bodies = journal.order_by("sequence").values_list("body", flat=True)
    for body in bodies.iterator(chunk_size=CHUNK):
        yield dated_record(parse_body(body))


def export_history(registry: Registry, output: IO[str]) -> int:
    """Write the registry's history to ``output``, one JSON object a line; the number of lines written."""
    lines = 0
    for record in history_records(registry):
        output.write(json.dumps(record, ensure_ascii=False, sort_keys=False, separators=(",", ":")))
        output.write("\n")
        lines += 1
    return lines
