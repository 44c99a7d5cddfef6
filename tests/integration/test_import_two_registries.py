"""A two-registry history of 2023-2025 imported through the services, and the AEF of 2025 of both
registries compared cell by cell with what a person works out by hand from the history below; and
broken files refused, each problem naming its line and code, with nothing written."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.article6.aef import build_annual_information
from registry.interchange.checking import ImportRefused
from registry.interchange.importing import import_history
from registry.journal.models import JournalEntry
from registry.parties.models import Registry
from registry.transactions.models import Transaction
from registry.verification import verify

REFERENCE: list[dict[str, Any]] = [
    {"record": "party", "alpha2": "JP", "alpha3": "JPN", "name": "Japan"},
    {"record": "party", "alpha2": "MN", "alpha3": "MNG", "name": "Mongolia"},
    {"record": "registry", "registry_id": "JPN01", "party": "JPN", "name": "Japan Carbon Credit Registry"},
    {"record": "registry", "registry_id": "MNG01", "party": "MNG", "name": "Mongolia JCM Registry"},
    {"record": "programme", "code": "JCM", "name": "Joint Crediting Mechanism", "scheme_code": "JCM", "international": True},
    {"record": "unit_type", "code": "JCM", "name": "JCM credit", "programme": "JCM"},
    {"record": "approach", "identifier": "CA0001", "name": "JCM between Japan and Mongolia", "parties": ["JPN", "MNG"]},
    {
        "record": "project",
        "registry": "MNG01",
        "identifier": "MN001",
        "name": "Solar power in Darkhan",
        "programme": "JCM",
        "host_party": "MNG",
        "approach": "CA0001",
    },
]


def _header(registry: str, party: str) -> dict[str, Any]:
    return {"record": "header", "format": "registry-interchange", "version": 1, "registry": registry, "party": party}


def _opened(at: str, account: str, type_: str, entity: int | None = None, purpose: str = "") -> dict[str, Any]:
    return {
        "record": "account_opened",
        "effective": at,
        "account": account,
        "type": type_,
        "status": "open",
        "entity": entity,
        "purpose": purpose,
    }


def _version(at: str, identifier: str, purposes: str, definition: str, quantity: int, oimp: str = "") -> dict[str, Any]:
    return {
        "record": "authorization_version",
        "effective": at,
        "authorization": identifier,
        "version": 1,
        "date": at[:10],
        "cooperative_approach": "CA0001",
        "purposes": purposes,
        "oimp_purposes": oimp,
        "first_transfer_definition": definition,
        "authorized_quantity": quantity,
        "document_reference": f"Letter of authorisation {identifier}",
        "authorized_parties": ["JPN"],
        "authorized_entities": [],
        "sectors": "Energy",
        "activity_types": "",
        "timeframe": "",
        "terms": "",
        "recorded_by": "batbayar",
    }


def _move(at: str, number: int, type_: str, from_: str, to: str, first: int, last: int, **more: Any) -> dict[str, Any]:
    return {
        "record": "transaction",
        "effective": at,
        "transaction": number,
        "type": type_,
        "proposed_by": "batbayar",
        "approved_by": "oyun",
        "from": from_,
        "to": to,
        "ranges": [["MNG01", first, last]],
    } | more


def _block(first: int, last: int, authorization: str | None, first_transferred: bool) -> dict[str, Any]:
    return {
        "originating_registry": "MNG01",
        "start": first,
        "end": last,
        "unit_type": "JCM",
        "project": "MN001",
        "vintage": 2022,
        "approach": "CA0001",
        "first_transferring_party": "MNG",
        "issuance": 1,
        "authorization": authorization,
        "first_transferred": first_transferred,
    }


def _first_transfer(
    at: str, number: int, trigger: int, trigger_type: str, authorization: str, definition: str, first: int, last: int, acquiring: str | None
) -> dict[str, Any]:
    return {
        "record": "transaction",
        "effective": at,
        "transaction": number,
        "type": "first_transfer",
        "trigger": trigger,
        "trigger_type": trigger_type,
        "authorization": authorization,
        "definition": definition,
        "first_transferring_party": "MNG",
        "acquiring_party": acquiring,
        "ranges": [["MNG01", first, last, "MNG01-000002"]],
    }


#: Mongolia issues 1,000 JCM credits of 2022 (serials 1-1000) in 2023, authorises 600 of them for
#: NDC use and sends 400 to Japan in 2024; in 2025 it authorises 300 more for OIMP (CORSIA), with
#: the first transfer at use or cancellation, cancels 100 of those for CORSIA and 50 NDC-authorised
#: ones for OMGE.
MONGOLIA: list[dict[str, Any]] = [
    _header("MNG01", "MNG"),
    *REFERENCE,
    {"record": "entity", "id": 1, "name": "Darkhan Solar LLC", "country": "MN"},
    _opened("2023-01-10T00:00:00Z", "MNG01-000001", "party_holding"),
    _opened("2023-01-10T00:00:00Z", "MNG01-000002", "entity_holding", entity=1),
    _opened("2023-01-10T00:00:00Z", "MNG01-000003", "omge_cancellation"),
    _opened("2023-01-10T00:00:00Z", "MNG01-000004", "use", purpose="CORSIA"),
    {
        "record": "transaction",
        "effective": "2023-03-01T02:00:00Z",
        "transaction": 1,
        "type": "issuance",
        "proposed_by": "batbayar",
        "to": "MNG01-000002",
        "blocks": [_block(1, 1000, None, False)],
    },
    _version("2023-06-01T00:00:00Z", "MN-NDC-01", "NDC", "first_international_transfer", 600),
    {
        "record": "transaction",
        "effective": "2023-06-15T00:00:00Z",
        "transaction": 2,
        "type": "authorization",
        "proposed_by": "batbayar",
        "authorization": "MN-NDC-01",
        "purposes": "NDC",
        "ranges": [["MNG01", 1, 600, "MNG01-000002"]],
    },
    # Units sent to the wrong account in 2023, and the correction that moved them back.
    _move("2023-07-01T00:00:00Z", 12, "internal_transfer", "MNG01-000002", "MNG01-000001", 901, 950),
    _move("2023-07-02T00:00:00Z", 13, "correction", "MNG01-000001", "MNG01-000002", 901, 950, reason="wrong account", corrects=12),
    _version("2024-01-10T00:00:00Z", "MN-NDC-01", "NDC", "first_international_transfer", 600)
    | {
        "version": 2,
        "date": "2023-06-01",
        "authorized_entities": [
            {
                "entity": 1,
                "name": "Darkhan Solar LLC",
                "country": "MN",
                "identification_number": "",
                "conditions": "Transfers to Japanese buyers only",
            }
        ],
    },
    _first_transfer("2024-02-01T05:00:00Z", 4, 3, "external_transfer", "MN-NDC-01", "first_international_transfer", 1, 400, "JPN"),
    _move("2024-02-01T05:00:00Z", 3, "external_transfer", "MNG01-000002", "JPN01-000002", 1, 400, to_registry="JPN01"),
    _version("2025-01-15T00:00:00Z", "MN-OIMP-01", "OIMP", "use_or_cancellation", 300, oimp="CORSIA"),
    {
        "record": "transaction",
        "effective": "2025-02-01T00:00:00Z",
        "transaction": 7,
        "type": "authorization",
        "proposed_by": "batbayar",
        "authorization": "MN-OIMP-01",
        "purposes": "OIMP",
        "ranges": [["MNG01", 601, 900, "MNG01-000002"]],
    },
    _first_transfer("2025-04-01T03:00:00Z", 9, 8, "cancellation", "MN-OIMP-01", "use_or_cancellation", 601, 700, None),
    _move(
        "2025-04-01T03:00:00Z", 8, "cancellation", "MNG01-000002", "MNG01-000004", 601, 700, cancellation_kind="oimp", oimp_purpose="CORSIA"
    ),
    _move("2025-05-01T03:00:00Z", 10, "cancellation", "MNG01-000002", "MNG01-000003", 401, 450, cancellation_kind="omge"),
]

#: Japan's side: the 400 credits arrive in 2024; in 2025 150 of them are used towards Japan's NDC.
JAPAN: list[dict[str, Any]] = [
    _header("JPN01", "JPN"),
    *REFERENCE,
    {"record": "entity", "id": 1, "name": "Sakura Trading Co., Ltd.", "country": "JP"},
    _opened("2023-01-10T00:00:00Z", "JPN01-000001", "party_holding"),
    _opened("2023-01-10T00:00:00Z", "JPN01-000002", "entity_holding", entity=1),
    _opened("2023-01-10T00:00:00Z", "JPN01-000003", "retirement"),
    {
        "record": "transaction",
        "effective": "2024-02-01T05:00:00Z",
        "transaction": 5,
        "type": "acquisition",
        "counterpart": 3,
        "from_registry": "MNG01",
        "from": "MNG01-000002",
        "to": "JPN01-000002",
        "blocks": [_block(1, 400, "MN-NDC-01", True)],
    },
    _move(
        "2025-03-01T01:00:00Z",
        6,
        "retirement",
        "JPN01-000002",
        "JPN01-000003",
        1,
        150,
        using_party="JPN",
        towards_ndc=True,
        ndc_year=2025,
        purpose="Japan's NDC 2025",
    ),
]


def _write(directory: Path, name: str, records: list[dict[str, Any]]) -> Path:
    path = directory / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser("importer", password=None)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    return [_write(tmp_path, "MNG01", MONGOLIA), _write(tmp_path, "JPN01", JAPAN)]


def _rows(registry_id: str, table: str) -> list[dict[str, Any]]:
    report = build_annual_information(Registry.objects.get(registry_id=registry_id), 2025)
    return next(rows for name, _columns, rows in report.tables() if name == table)


NA = "NA"


def _units(registry: str, authorization: str, first: int, last: int) -> dict[str, Any]:
    """The unit columns of Tables 3 and 4 for serials ``first``-``last`` of MN001's 2022 credits."""
    return {
        "Cooperative approach ID": "CA0001",
        "Authorization ID": authorization,
        "First transferring participating Party ID": "MNG",
        "Party ITMO registry ID": registry,
        "First ID": f"CA0001-MNG01-MNG-{first}-2022",
        "Last ID": f"CA0001-MNG01-MNG-{last}-2022",
        "Underlying unit registry ID": "JCM",
        "First unit ID": first,
        "Last unit ID": last,
        "Metric": "GHG",
        "Applicable GWP value(s)": "AR5",
        "Applicable non-GHG metric": NA,
        "Quantity (t CO2 eq)": last - first + 1,
        "Quantity (in non-GHG metric)": NA,
        "Mitigation type": "Emission reductions",
        "Vintage": 2022,
    }


def _action(at: str, action: str, subtype: str, units: dict[str, Any], explanation: str, **more: Any) -> dict[str, Any]:
    return (
        {"Action date": at, "Action type": action, "Action subtype": subtype}
        | units
        | {
            "Transferring participating Party ID": NA,
            "Acquiring participating Party ID": NA,
            "Purpose for which the ITMO has been used towards or cancelled for OIMP": NA,
            "Using/cancelling participating Party ID": NA,
            "Using/cancelling authorized entity ID": NA,
            "Calendar year for which the ITMOs are used towards the Party's NDC": NA,
            "Result of the consistency checks*": "",
            "Additional explanatory information": explanation,
        }
        | more
    )


USED_FOR = "Purpose for which the ITMO has been used towards or cancelled for OIMP"
USING_PARTY = "Using/cancelling participating Party ID"

#: Worked out from the history: in 2025 Mongolia authorised 601-900 for OIMP (1 February), first
#: transferred 601-700 when it cancelled them for CORSIA (1 April: the first transfer, then the
#: use for an international mitigation purpose), and cancelled 401-450 for OMGE (1 May). Nothing
#: else of 2023 and 2024 is an action of 2025.
MONGOLIA_ACTIONS_2025 = [
    _action("2025-02-01T00:00:00Z", "Authorization", NA, _units("MNG01", "MN-OIMP-01", 601, 900), "registry transaction N"),
    _action(
        "2025-04-01T03:00:00Z", "First transfer", "Use or cancellation", _units("MNG01", "MN-OIMP-01", 601, 700), "registry transaction N"
    ),
    _action(
        "2025-04-01T03:00:00Z",
        "Use",
        NA,
        _units("MNG01", "MN-OIMP-01", 601, 700),
        "registry transaction N; used for CORSIA",
        **{USED_FOR: "IMP", USING_PARTY: "MNG"},
    ),
    _action(
        "2025-05-01T03:00:00Z",
        "Voluntary Cancellation",
        "Voluntary cancellation to deliver OMGE",
        _units("MNG01", "MN-NDC-01", 401, 450),
        "registry transaction N",
        **{USING_PARTY: "MNG"},
    ),
]
#: Mongolia holds at the end of 2025: of the 600 NDC-authorised, 1-400 went to Japan and 401-450
#: were cancelled: 451-600; of the 300 OIMP-authorised, 601-700 were used: 701-900. 901-1000 were
#: never authorised, so they are no ITMOs and not in the table.
MONGOLIA_HOLDINGS_2025 = [_units("MNG01", "MN-NDC-01", 451, 600), _units("MNG01", "MN-OIMP-01", 701, 900)]
#: Japan used 1-150 of the 400 it acquired towards its NDC for 2025 (1 March), and holds 151-400.
JAPAN_ACTIONS_2025 = [
    _action(
        "2025-03-01T01:00:00Z",
        "Use",
        NA,
        _units("JPN01", "MN-NDC-01", 1, 150),
        "registry transaction N",
        **{USED_FOR: "NDC", USING_PARTY: "JPN", "Calendar year for which the ITMOs are used towards the Party's NDC": 2025},
    )
]
JAPAN_HOLDINGS_2025 = [_units("JPN01", "MN-NDC-01", 151, 400)]


def _authorization(
    identifier: str, date: str, quantity: int, purposes: str, oimp: str, definition: str, version: int = 1, entities: str = NA
) -> dict[str, Any]:
    return {
        "Authorization ID": identifier,
        "Date of authorization": date,
        "Cooperative approach ID": "CA0001",
        "Version of the authorization": version,
        "Authorized quantity": quantity,
        "Metric": "GHG",
        "Applicable GWP value(s)": "AR5",
        "Applicable non-GHG metric": NA,
        "Sector(s)": "Energy",
        "Activity type(s)": NA,
        "Purposes for authorization": purposes,
        "Authorized Party(ies) ID": "JPN",
        "Authorized entity(ies) ID": entities,
        "OIMP authorized by the Party": oimp,
        "Authorized timeframe": NA,
        "Authorization terms and conditions": NA,
        "Authorization documentation*": "",
        "First transfer definition for OIMP": definition,
        "Additional explanatory information": f"document: Letter of authorisation {identifier}",
    }


#: Every version of both authorisations: MN-NDC-01 as of 2023, its version 2 of 2024 naming Darkhan
#: Solar as an authorised entity, and MN-OIMP-01 of 2025.
MONGOLIA_AUTHORIZATIONS_2025 = [
    _authorization("MN-NDC-01", "01/06/2023", 600, "NDC", NA, NA),
    _authorization("MN-NDC-01", "01/06/2023", 600, "NDC", NA, NA, version=2, entities="Darkhan Solar LLC"),
    _authorization("MN-OIMP-01", "15/01/2025", 300, "OIMP", "CORSIA", "Use or Cancellation"),
]
#: The authorised entity with the conditions version 2 gave it.
MONGOLIA_ENTITIES_2025 = [
    {
        "Date of the authorization": "01/06/2023",
        "Name": "Darkhan Solar LLC",
        "Country of incorporation": "MN",
        "Identification number": NA,
        "Cooperative approach ID": "CA0001",
        "Conditions": "Transfers to Japanese buyers only",
        "Change and revocation conditions": NA,
        "Additional explanatory information": "",
    }
]


def _table(registry_id: str, table: str) -> list[dict[str, Any]]:
    report = build_annual_information(Registry.objects.get(registry_id=registry_id), 2025)
    rows = next(rows for name, _columns, rows in report.tables() if name == table)
    # The registry's own transaction numbers are this installation's, not the file's.
    return [
        r | {k: re.sub(r"registry transaction \d+", "registry transaction N", v) for k, v in r.items() if isinstance(v, str)} for r in rows
    ]


def test_the_aef_of_2025_of_both_registries_is_what_the_history_says(operator, files):
    imported = import_history(operator, files)
    assert imported.registries == ["MNG01", "JPN01"]
    assert verify().ok
    corrected = Transaction.objects.get(type="correction")
    assert corrected.corrects.type == "internal_transfer" and corrected.completed_at.date().isoformat() == "2023-07-02"

    assert _table("MNG01", "Table 3 Actions") == MONGOLIA_ACTIONS_2025
    assert _table("MNG01", "Table 4 Holdings") == MONGOLIA_HOLDINGS_2025
    assert _table("MNG01", "Table 2 Authorizations") == MONGOLIA_AUTHORIZATIONS_2025
    assert _table("MNG01", "Table 5 Authorized entities") == MONGOLIA_ENTITIES_2025
    assert _table("JPN01", "Table 3 Actions") == JAPAN_ACTIONS_2025
    assert _table("JPN01", "Table 4 Holdings") == JAPAN_HOLDINGS_2025


def test_a_service_refusing_a_record_names_its_line_and_code_and_nothing_is_written(operator, tmp_path):
    japan = list(JAPAN)
    japan[-1] = japan[-1] | {"ranges": [["MNG01", 1, 500]]}  # more than Japan ever acquired
    files = [_write(tmp_path, "MNG01", MONGOLIA), _write(tmp_path, "JPN01", japan)]
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import", "--input", str(files[0]), "--input", str(files[1]), "--as", "importer", stdout=io.StringIO(), stderr=err)
    assert f"{files[1]}:line {len(japan)}: [" in err.getvalue()
    assert not JournalEntry.objects.exists() and not Registry.objects.exists()


def test_a_first_transfer_the_services_do_not_make_is_refused_with_7634(operator, tmp_path):
    mongolia = [r for r in MONGOLIA if r.get("type") != "first_transfer" or r["trigger"] != 8]
    files = [_write(tmp_path, "MNG01", mongolia), _write(tmp_path, "JPN01", JAPAN)]
    with pytest.raises(ImportRefused) as refused:
        import_history(operator, files)
    (problem,) = refused.value.problems
    assert problem.problem.code == 7634 and "first_transfer of MNG01:601-700" in problem.problem.message
    assert not JournalEntry.objects.exists()


def _broken(kind: str) -> tuple[list[dict[str, Any]], int, int]:
    """Mongolia's history broken one way: the records, the line (1-based) that is wrong, its code."""
    records = [dict(r) for r in MONGOLIA]
    issuance = next(i for i, r in enumerate(records) if r.get("type") == "issuance")
    match kind:
        case "overlap":  # serials 901-1100 overlap the 1-1000 issued before
            again = records[issuance] | {"transaction": 11, "blocks": [_block(901, 1100, None, False)]}
            records.insert(issuance + 1, again)
            return records, issuance + 2, 7619
        case "unknown account":
            at = next(i for i, r in enumerate(records) if r.get("type") == "external_transfer")
            records[at] = records[at] | {"from": "MNG01-000099"}
            return records, at + 1, 7612
        case "before its authorisation":
            at = next(i for i, r in enumerate(records) if r.get("type") == "authorization" and r["authorization"] == "MN-OIMP-01")
            records[at] = records[at] | {"effective": "2025-01-14T00:00:00Z"}  # the day before MN-OIMP-01
            version = next(i for i, r in enumerate(records) if r.get("authorization") == "MN-OIMP-01")
            records[version] = records[version] | {"effective": "2025-01-10T00:00:00Z", "date": "2025-01-15"}
            return records, at + 1, 7618
        case _:  # a date out of order
            records[issuance] = records[issuance] | {"effective": "2022-12-31T00:00:00Z"}
            return records, issuance + 1, 7609


@pytest.mark.parametrize("kind", ["overlap", "unknown account", "before its authorisation", "date out of order"])
def test_a_broken_history_is_refused_naming_the_line_and_code_and_nothing_is_written(operator, tmp_path, kind):
    records, line, code = _broken(kind)
    files = [_write(tmp_path, "MNG01", records), _write(tmp_path, "JPN01", JAPAN)]
    with pytest.raises(ImportRefused) as refused:
        import_history(operator, files)
    found = [(p.path.name, p.problem.line, p.problem.code) for p in refused.value.problems]
    assert ("MNG01.jsonl", line, code) in found, found
    assert not JournalEntry.objects.exists() and not Registry.objects.exists()
