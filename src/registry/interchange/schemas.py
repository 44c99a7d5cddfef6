"""The JSON Schema of each record of the interchange format (``docs/interchange.md``).

One schema per record type, keyed by the record's ``record`` value (and, for a transaction, its
``type``). They check the shape of one line; ``registry.core.entries.parse`` then reads the dated
records into the journal's typed entries (refusing any key they do not know), and the validation
replays them in order.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from registry.core.checks import Check

FORMAT = "registry-interchange"
VERSION = 1

_TEXT = {"type": "string"}
_CODE = {"type": "string", "minLength": 1}
_INT = {"type": "integer"}
_POSITIVE = {"type": "integer", "minimum": 1}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}
_REGISTRY_ID = {"type": "string", "pattern": "^[A-Z]{3}[0-9]{2}$"}
_ALPHA3 = {"type": "string", "pattern": "^[A-Z]{3}$"}
#: The moment the action took effect (ISO 8601 with its offset).
_EFFECTIVE = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
_SPAN = {"type": "array", "prefixItems": [_REGISTRY_ID, _POSITIVE, _POSITIVE], "items": False, "minItems": 3}
_HELD = {"type": "array", "prefixItems": [_REGISTRY_ID, _POSITIVE, _POSITIVE, _CODE], "items": False, "minItems": 4}
_BLOCK = {
    "type": "object",
    "required": [
        "originating_registry",
        "start",
        "end",
        "unit_type",
        "project",
        "vintage",
        "approach",
        "first_transferring_party",
        "issuance",
        "authorization",
        "first_transferred",
    ],
    "additionalProperties": False,
    "properties": {
        "originating_registry": _REGISTRY_ID,
        "start": _POSITIVE,
        "end": _POSITIVE,
        "unit_type": _CODE,
        "project": _CODE,
        "vintage": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "approach": _NULLABLE_TEXT,
        "first_transferring_party": _NULLABLE_TEXT,
        "issuance": _POSITIVE,
        "authorization": _NULLABLE_TEXT,
        "first_transferred": {"type": "boolean"},
    },
}
_ADJUSTMENT = {
    "type": "object",
    "required": ["party", "kind", "authorization", "vintage", "year", "quantity"],
    "additionalProperties": False,
    "properties": {
        "party": _ALPHA3,
        "kind": {"enum": ["first_transfer", "use"]},
        "authorization": _CODE,
        "vintage": _INT,
        "year": _INT,
        "quantity": _POSITIVE,
    },
}


def _record(name: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {"record": {"const": name}} | required | (optional or {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": name,
        "type": "object",
        "required": ["record", *required],
        "additionalProperties": False,
        "properties": properties,
    }


def _transaction(type_: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = _record("transaction", {"effective": _EFFECTIVE, "transaction": _POSITIVE, "type": {"const": type_}} | required, optional)
    schema["title"] = f"transaction: {type_}"
    return schema


_MOVEMENT = {
    "proposed_by": _NULLABLE_TEXT,
    "approved_by": _NULLABLE_TEXT,
    "from": _CODE,
    "to": _CODE,
    "ranges": {"type": "array", "items": _SPAN, "minItems": 1},
}
#: The declared use of a retirement or cancellation (a J-Credit nullification's purpose from the
#: programme's list, its aim, the credit user, the ISO country of use), each present only when given.
_DECLARED_USE = {"purpose_code": _CODE, "aim": _TEXT, "credit_user": _TEXT, "use_country": {"type": "string", "pattern": "^[A-Z]{2}$"}}
#: A movement's free-text purpose: at most what the transaction keeps.
_PURPOSE = {"type": "string", "minLength": 1, "maxLength": 100}
_MOVEMENT_OPTIONAL = {"purpose": _PURPOSE, "reason": _CODE, "using_entity": _POSITIVE}
_ACCOUNT = {
    "effective": _EFFECTIVE,
    "account": _CODE,
    "type": _CODE,
    "status": {"enum": ["open", "blocked", "closed"]},
    "entity": _NULLABLE_INT,
    "purpose": _TEXT,
}
_ENTITY_NAMED = {
    "type": "object",
    "required": ["entity", "name", "country", "identification_number"],
    "additionalProperties": False,
    "properties": {
        "entity": _POSITIVE,
        "name": _CODE,
        "country": _TEXT,
        "identification_number": _TEXT,
        "conditions": _CODE,
        "change_and_revocation_conditions": _CODE,
        "explanation": _CODE,
    },
}

#: Reference data and entities, in the order a file gives them (before any dated record).
REFERENCE_SCHEMAS: dict[str, dict[str, Any]] = {
    "header": _record(
        "header",
        {"format": {"const": FORMAT}, "version": {"const": VERSION}, "registry": _REGISTRY_ID, "party": _ALPHA3},
        {"exported_at": _EFFECTIVE, "name": _TEXT},
    ),
    "party": _record(
        "party", {"alpha2": {"type": "string", "pattern": "^[A-Z]{2}$"}, "alpha3": _ALPHA3, "name": _CODE}, {"name_ja": _TEXT}
    ),
    "registry": _record("registry", {"registry_id": _REGISTRY_ID, "party": _ALPHA3, "name": _CODE}),
    "programme": _record("programme", {"code": _CODE, "name": _CODE, "scheme_code": _CODE, "international": {"type": "boolean"}}),
    "unit_type": _record("unit_type", {"code": _CODE, "name": _CODE, "programme": _CODE}),
    "approach": _record(
        "approach",
        {"identifier": {"type": "string", "pattern": "^CA[0-9]{4}$"}, "name": _CODE, "parties": {"type": "array", "items": _ALPHA3}},
    ),
    "project": _record(
        "project",
        {
            "registry": _REGISTRY_ID,
            "identifier": _CODE,
            "name": _CODE,
            "programme": _CODE,
            "host_party": _ALPHA3,
            "approach": _NULLABLE_TEXT,
        },
        {"methodology": _TEXT, "sector": _TEXT},
    ),
    "use_purpose": _record(
        "use_purpose",
        {
            "code": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "programme": _CODE,
            "name": _CODE,
            "towards_ndc": {"type": "boolean"},
            "domestic_only": {"type": "boolean"},
            "unit_types": {"type": "array", "items": _CODE},
        },
        {"name_ja": _TEXT, "position": {"type": "integer", "minimum": 0}},
    ),
    "entity": _record(
        "entity",
        {"id": _POSITIVE, "name": _CODE, "country": {"type": "string", "pattern": "^[A-Z]{2}$"}},
        {"name_ja": _TEXT, "identification_number": _TEXT, "head_office": _TEXT},
    ),
}

#: Dated records: account events, authorisation versions and transactions, in the order they took effect.
DATED_SCHEMAS: dict[str, dict[str, Any]] = {
    "account_opened": _record("account_opened", _ACCOUNT),
    "account_status_changed": _record("account_status_changed", _ACCOUNT),
    "authorization_version": _record(
        "authorization_version",
        {
            "effective": _EFFECTIVE,
            "authorization": _CODE,
            "version": _POSITIVE,
            "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "cooperative_approach": _TEXT,
            "purposes": _CODE,
            "oimp_purposes": _TEXT,
            "first_transfer_definition": _CODE,
            "authorized_quantity": _NULLABLE_INT,
            "document_reference": _TEXT,
            "authorized_parties": {"type": "array", "items": _ALPHA3},
            "authorized_entities": {"type": "array", "items": _ENTITY_NAMED},
            "sectors": _TEXT,
            "activity_types": _TEXT,
            "timeframe": _TEXT,
            "terms": _TEXT,
            "recorded_by": _NULLABLE_TEXT,
        },
        {"timeframe_first_vintage": _INT, "timeframe_last_vintage": _INT, "authorizing_party": _ALPHA3},
    ),
    "issuance": _transaction(
        "issuance",
        {"to": _CODE, "blocks": {"type": "array", "items": _BLOCK, "minItems": 1}},
        {"proposed_by": _NULLABLE_TEXT, "by": _NULLABLE_TEXT},
    ),
    "internal_transfer": _transaction("internal_transfer", _MOVEMENT, _MOVEMENT_OPTIONAL),
    "correction": _transaction("correction", _MOVEMENT, _MOVEMENT_OPTIONAL | {"corrects": _POSITIVE}),
    "retirement": _transaction(
        "retirement",
        _MOVEMENT | {"using_party": _NULLABLE_TEXT, "towards_ndc": {"type": "boolean"}, "ndc_year": _NULLABLE_INT},
        _MOVEMENT_OPTIONAL | _DECLARED_USE | {"adjustments": {"type": "array", "items": _ADJUSTMENT}},
    ),
    "cancellation": _transaction(
        "cancellation",
        _MOVEMENT,
        _MOVEMENT_OPTIONAL
        | _DECLARED_USE
        | {"cancellation_kind": {"enum": ["mandatory", "voluntary", "omge", "oimp"]}, "oimp_purpose": _CODE},
    ),
    "external_transfer": _transaction("external_transfer", _MOVEMENT | {"to_registry": _REGISTRY_ID}, _MOVEMENT_OPTIONAL),
    "acquisition": _transaction(
        "acquisition",
        {
            "counterpart": _POSITIVE,
            "from_registry": _REGISTRY_ID,
            "from": _CODE,
            "to": _CODE,
            "blocks": {"type": "array", "items": _BLOCK, "minItems": 1},
        },
    ),
    "authorization": _transaction(
        "authorization",
        {"authorization": _CODE, "purposes": _CODE, "ranges": {"type": "array", "items": _HELD, "minItems": 1}},
        {"proposed_by": _NULLABLE_TEXT, "by": _NULLABLE_TEXT},
    ),
    "first_transfer": _transaction(
        "first_transfer",
        {
            "trigger": _POSITIVE,
            "trigger_type": _CODE,
            "authorization": _CODE,
            "definition": _CODE,
            "first_transferring_party": _ALPHA3,
            "acquiring_party": _NULLABLE_TEXT,
            "ranges": {"type": "array", "items": _HELD, "minItems": 1},
        },
        {"adjustments": {"type": "array", "items": _ADJUSTMENT}},
    ),
}

SCHEMAS: dict[str, dict[str, Any]] = REFERENCE_SCHEMAS | DATED_SCHEMAS
_VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
#: The same schemas compiled by jsonschema-rs, some 30 times faster: it answers whether a record
#: matches (nearly every one does); ``jsonschema`` then says what is wrong with one that does not.
_MATCHES = {name: jsonschema_rs.validator_for(schema) for name, schema in SCHEMAS.items()}


def schema_name(record: dict[str, Any]) -> str | None:
    """Which schema a record is checked against: its ``record``, or for a transaction its ``type``."""
    kind = record.get("record")
    if kind == "transaction":
        kind = record.get("type")
    return kind if isinstance(kind, str) and kind in SCHEMAS and kind not in ("transaction",) else None


def schema_problems(record: dict[str, Any]) -> list[tuple[Check, dict[str, Any]]]:
    """What is wrong with the shape of one record, as checks with their values (empty: nothing)."""
    name = schema_name(record)
    if name is None:
        kind = f"{record.get('record')!r}" + (f" of type {record.get('type')!r}" if "type" in record else "")
        return [(Check.IMPORT_RECORD_UNKNOWN, {"record": kind})]
    if _MATCHES[name].is_valid(record):
        return []
    problems = []
    for error in sorted(_VALIDATORS[name].iter_errors(record), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append((Check.IMPORT_SCHEMA_MISMATCH, {"schema": name, "detail": f"{where + ': ' if where else ''}{error.message}"}))
    return problems
