"""Every check a request or transaction must pass, defined once, with its numeric code.

Codes follow the families of the Kyoto transaction log so an operator who knows those recognises
them: 1xxx request and data integrity, 2xxx authentication and permission, 4xxx unit-block checks
common to every movement, 5xxx checks per transaction type, 6xxx Article 6 checks, 7xxx account
checks. The docs (``docs/check-codes.md``) are generated from this table.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any


class Check(Enum):
    """A rule with its code and a message template (``str.format`` fields filled per failure)."""

    # 1xxx request and data integrity
    QUANTITY_NOT_POSITIVE = (1001, "The quantity must be a whole number greater than zero (got {quantity}).")
    RANGE_MALFORMED = (1002, "Serial range {start}-{end} is malformed: serials start at 1 and the first must not exceed the last.")
    QUANTITY_AND_RANGES = (1003, "Name either a quantity or serial ranges, not both and not neither.")
    VINTAGE_INVALID = (1004, "Vintage {vintage} is not a valid year for this registry (from 2000 to {latest}).")
    REGISTRY_UNKNOWN = (1005, "Registry {registry} does not exist in this installation.")
    REASON_REQUIRED = (1006, "A reason is required for this action.")
    UNIT_TYPE_UNKNOWN = (1007, "Unit type {unit_type} does not exist.")
    PROJECT_UNKNOWN = (1008, "Project {project} does not exist in registry {registry}.")
    TRANSACTION_UNKNOWN = (1009, "Transaction {transaction} does not exist in registry {registry}.")
    PARTY_UNKNOWN = (1010, "Party {party} does not exist in this installation.")
    ENTITY_UNKNOWN = (1011, "Entity {entity} does not exist in registry {registry}.")
    CANCELLATION_KIND_UNKNOWN = (1012, "Cancellation kind {kind} is unknown; use one of: {kinds}.")
    VALUE_INVALID = (1013, "{field} is not valid: {detail}")
    PURPOSE_UNKNOWN = (1014, "Purpose {purpose} is not in the list of purposes of use; choose one of: {purposes}.")
    TOO_MANY_APPLICATIONS = (1021, "Too many applications were sent from this address; try again in {minutes} minutes.")
    REQUEST_TOO_LARGE = (1022, "The request is larger than the limit of {limit} bytes; send less in one request.")
    # 15xx peer messages (docs/interoperability.md): checked before anything is read from the payload
    PEER_MESSAGE_MALFORMED = (1501, "The peer message is malformed: {detail}")
    PEER_SIGNATURE_INVALID = (1502, "The signature of message {message} does not verify with the key registered for peer {registry}.")
    PEER_MESSAGE_OUTSIDE_WINDOW = (
        1503,
        "Message {message} was created at {created}, more than {window} seconds away from the receiver's clock ({received}); send a new message.",
    )
    PEER_MESSAGE_REPLAYED = (1504, "Message {message} was received before; a message id is processed once.")
    PEER_MESSAGE_WRONG_RECEIVER = (1505, "Message {message} is addressed to registry {receiver}, which this installation does not host.")
    PEER_MESSAGE_KIND_UNKNOWN = (1506, "Message {message} is of kind {kind}, which this registry does not answer; the kinds are: {known}.")
    PEER_PAYLOAD_INVALID = (1507, "The payload of message {message} is not valid: {detail}")
    PEER_TRANSFER_VOID = (
        1508,
        "Transfer {transfer} was declared void when its sender asked for its state without having had an answer; it is never accepted now.",
    )
    PEER_UNITS_ALREADY_HERE = (1509, "Units {ranges} are already in this installation; a transfer cannot bring them a second time.")
    PEER_ACCOUNT_CANNOT_RECEIVE = (1510, "Account {account} ({account_type}) does not receive units from another registry.")
    PEER_PROJECT_CONFLICT = (
        1511,
        "Project {project} is registered in registry {registry} with another programme or host Party than the transferred units name.",
    )
    PEER_REFERENCE_UNKNOWN = (1512, "The {field} {value} that the transferred units name is not known in this installation.")
    PEER_ANSWER_INVALID = (1513, "The answer of peer {registry} to message {message} is not valid: {detail}")
    PEER_KIND_NOT_ANSWERED = (1514, "This installation does not answer messages of kind {kind} yet.")
    PEER_AUTHORIZATION_CONFLICT = (
        1516,
        "Authorisation {authorization} is recorded in this installation as another Party's than the transferred units name.",
    )
    PEER_TRANSFER_REFUSED = (1515, "Peer registry {registry} refused the transfer with check {code}: {detail} In its own words: {words}")
    # 1530-1549 reconciliation with a peer registry (docs/interoperability.md section 6): the answer,
    # then every discrepancy between what the two journals and holdings say
    RECONCILIATION_QUERY_MALFORMED = (1530, "The holdings query is malformed: {detail}")
    RECONCILIATION_ANSWER_MALFORMED = (1531, "The holdings statement of peer {peer} is malformed: {detail}")
    RECONCILIATION_DIGEST_MISMATCH = (1532, "The digest of peer {peer}'s holdings statement does not match its content; ask again.")
    RECONCILIATION_PEER_UNREACHABLE = (
        1533,
        "Peer {peer} did not answer the holdings query ({detail}); check its address with 'registry peer list' and try again later.",
    )
    RECONCILIATION_PEER_REFUSED = (1534, "Peer {peer} refused the holdings query with check {code}: {detail}")
    RECONCILIATION_SENT_NOT_RECEIVED = (
        1540,
        "Transaction {transaction} of {registry} sent serials {ranges} to {peer}, which records no acquisition of it.",
    )
    RECONCILIATION_RECEIVED_NOT_SENT = (
        1541,
        "{peer} records an acquisition of serials {ranges} from transaction {transaction} of {registry}, "
        "which {registry} has no external transfer to {peer} of.",
    )
    RECONCILIATION_RANGES_DIFFER = (
        1542,
        "Transaction {transaction} of {registry} to {peer}: {registry} records serials {ranges}, {peer} records serials {peer_ranges}.",
    )
    RECONCILIATION_HELD_ON_BOTH_SIDES = (
        1543,
        "Serials {ranges} are held both in {registry} (account {account}) and in {peer} (account {peer_account}).",
    )

    # 2xxx authentication and permission
    NOT_ADMINISTRATOR = (2001, "{actor} is not an administrator of registry {registry}.")
    NOT_ALLOWED_ON_ACCOUNT = (2002, "{actor} may not act on account {account}.")
    APPROVER_IS_PROPOSER = (2003, "The person who proposed transaction {transaction} cannot also approve it.")
    MOVEMENTS_SUSPENDED = (2005, "Movements are suspended in registry {registry}: {notice}")
    NOT_ALLOWED_TO_APPROVE = (2006, "{actor} may not approve transactions of account {account}.")
    OUTSIDE_OPERATING_HOURS = (2007, "Registry {registry} accepts account holders' movements {hours} ({zone}); it is now {now}.")
    MAINTENANCE_WINDOW = (2008, "Registry {registry} is in scheduled maintenance until {until}: {title}")
    ONE_TIME_CODE_WRONG = (
        2009,
        "The one-time code is wrong or expired; nothing was changed. Enter the code your authenticator app shows now.",
    )
    ONLY_PROPOSER_CANCELS = (2004, "Only the proposer or an administrator may cancel transaction {transaction}.")
    LOGIN_ID_NOT_ALLOWED = (2020, "{field} is not a possible login ID: a login ID is {allowed}.")
    LOGIN_ID_TAKEN = (2021, "Login ID {login} is taken or looks like an existing one; choose another.")

    # 4xxx unit-block checks common to every movement
    UNITS_NOT_HELD = (4001, "Serials {ranges} are not held by account {account}.")
    UNITS_RESERVED = (4002, "Serials {ranges} are reserved by pending transaction {transaction}.")
    UNITS_FINAL = (4003, "Account {account} is a final account: its units never move again.")
    QUANTITY_EXCEEDS_AVAILABLE = (4004, "Account {account} has {available} units available, fewer than the {quantity} requested.")
    RANGES_OVERLAP = (4005, "Requested serial ranges {first} and {second} overlap.")
    RANGES_OUT_OF_ORDER = (4006, "Requested serial ranges must be in ascending order: {second} comes after {first}.")
    UNIT_TYPES_MIXED = (
        4007,
        "Choosing {quantity} units of account {account} by quantity would mix unit types ({unit_types}); choose the unit type.",
    )
    RANGE_AMBIGUOUS = (
        4008,
        "Serials {range} of account {account} exist in more than one originating registry ({registries}); give the unique identifier.",
    )

    # 5xxx checks per transaction type
    ISSUANCE_TARGET_INVALID = (5001, "Units cannot be issued into account {account} of type {account_type}.")
    ISSUANCE_PROJECT_MISMATCH = (5002, "Project {project} issues {programme} units, not {unit_type}.")
    TRANSFER_SAME_ACCOUNT = (5101, "The transferring and acquiring accounts are the same ({account}).")
    TRANSFER_TO_FINAL_ACCOUNT = (
        5102,
        "Account {account} is a {account_type} account: use a retirement or cancellation instead of a transfer.",
    )
    RETIREMENT_ACCOUNT_MISSING = (5201, "Registry {registry} has no retirement account.")
    CANCELLATION_ACCOUNT_MISSING = (5301, "Registry {registry} has no {account_type} account.")
    CORRECTION_NOT_COMPLETED = (5401, "Transaction {transaction} is {status}; only completed transactions can be corrected.")
    CORRECTION_TYPE_NOT_CORRECTABLE = (5402, "A {type} cannot be corrected: {why}")
    CORRECTION_ALREADY_CORRECTED = (5403, "Transaction {transaction} was already corrected by transaction {correction}.")
    CORRECTION_UNITS_MOVED = (5404, "The units of transaction {transaction} are no longer all held, unreserved, by account {account}.")
    CANCELLATION_TOWARDS_NDC = (5303, "Purpose {purpose} counts towards an NDC: retire the units instead of cancelling them.")
    USE_ACCOUNT_MISSING = (5302, "Registry {registry} has no use account for {purpose}; open one first.")
    TRANSACTION_NOT_PENDING = (5501, "Transaction {transaction} is {status}; it can no longer be {action}.")

    # 6xxx Article 6 checks
    NOT_AUTHORIZED_FOR_NDC = (6001, "Serials {ranges} are not authorised for use towards NDCs.")
    NOT_AUTHORIZED_FOR_OIMP = (6002, "Serials {ranges} are not authorised for other international mitigation purposes.")
    NOT_AUTHORIZED_FOR_TRANSFER = (6003, "Serials {ranges} are not authorised ITMOs and cannot be transferred to another registry.")
    NDC_USE_OF_ANOTHER_PARTY = (6004, "Units retired in registry {registry} count only towards the NDC of {party}, not of {using_party}.")
    PROGRAMME_NOT_INTERNATIONAL = (6005, "{programme} units never leave registry {registry} and cannot be authorised as ITMOs.")
    ALREADY_FIRST_TRANSFERRED = (6006, "Serials {ranges} were already first transferred.")
    NOT_FIRST_TRANSFERRED = (6007, "Serials {ranges} have not been first transferred, so they cannot count towards the NDC of {party}.")
    ALREADY_AUTHORIZED = (6008, "Serials {ranges} are already authorised under {authorization}.")
    AUTHORIZED_QUANTITY_EXCEEDED = (
        6009,
        "Authorisation {authorization} allows {allowed} units; {already} are authorised and {quantity} more were asked for.",
    )
    AUTHORIZATION_OTHER_PARTY = (
        6010,
        "Registry {registry} can authorise only units it issued for projects hosted by {party} (serials {ranges}).",
    )
    AUTHORIZATION_UNKNOWN = (6011, "Authorisation {authorization} does not exist in registry {registry}.")
    FIRST_TRANSFER_DEFINITION_INVALID = (
        6012,
        "An authorisation for use towards NDCs has its first transfer at the first international transfer; '{definition}' is for OIMP only.",
    )
    AUTHORIZATION_APPROACH_MISMATCH = (6013, "Serials {ranges} belong to cooperative approach {approach}, not {authorization_approach}.")
    NOTHING_TO_AUTHORIZE = (6014, "No unauthorised units of project {project} (vintages {vintages}) are held in registry {registry}.")
    FOREIGN_NDC_NOT_ALLOWED = (
        6015,
        "{programme} units are never used towards another country's NDC nor with a corresponding adjustment: "
        "use in {country} is voluntary offsetting only (choose a purpose that counts towards no NDC).",
    )
    PURPOSE_DOMESTIC_ONLY = (
        6016,
        "Purpose {purpose} is for use in {party} only: {programme} units are never used to report renewable energy procured abroad ({country}).",
    )
    PURPOSE_UNIT_TYPE_NOT_ACCEPTED = (6017, "Serials {ranges} are {unit_types} units; purpose {purpose} accepts only {accepted}.")
    OIMP_FIRST_TRANSFER_UNDEFINED = (
        6021,
        "An authorisation for other international mitigation purposes must say when their first transfer happens"
        " (authorization, issuance or use_or_cancellation); '{definition}' does not.",
    )
    VINTAGE_OUTSIDE_TIMEFRAME = (
        6022,
        "Serials {ranges} are of vintage {vintage}, outside the authorised timeframe {timeframe} of authorisation {authorization}.",
    )
    TIMEFRAME_INVALID = (6023, "The authorised timeframe runs from the first to the last year of vintage; {first}-{last} does not.")

    # 7xxx account checks
    ACQUIRING_ACCOUNT_UNKNOWN = (7020, "Acquiring account {account} does not exist in registry {registry}.")
    TRANSFERRING_ACCOUNT_UNKNOWN = (7021, "Transferring account {account} does not exist in registry {registry}.")
    TRANSFERRING_ACCOUNT_BLOCKED = (7101, "Transferring account {account} is blocked.")
    TRANSFERRING_ACCOUNT_CLOSED = (7102, "Transferring account {account} is closed.")
    ACQUIRING_ACCOUNT_BLOCKED = (7103, "Acquiring account {account} is blocked.")
    ACQUIRING_ACCOUNT_CLOSED = (7104, "Acquiring account {account} is closed.")
    ACCOUNT_OTHER_REGISTRY = (7105, "Account {account} belongs to registry {account_registry}, not {registry}.")
    SYSTEM_ACCOUNT_EXISTS = (7201, "Registry {registry} already has a {account_type} account ({account}).")
    ACCOUNT_NOT_EMPTY = (
        7202,
        "Account {account} still holds {quantity} units and cannot be closed: transfer, retire or cancel them first.",
    )
    ENTITY_REQUIRED = (7203, "An {account_type} account needs an entity holder; other accounts must not have one.")
    ACCOUNT_STATUS_UNCHANGED = (7204, "Account {account} is already {status}.")
    ACCOUNT_CLOSED_FOR_GOOD = (7205, "Account {account} is closed; a closed account is never reopened.")
    EXTERNAL_TRANSFER_SAME_REGISTRY = (7107, "An external transfer goes to another registry; account {account} is in {registry} too.")
    TRANSACTION_LIMIT_EXCEEDED = (7301, "Account {account} allows at most {limit} units in one transaction; {quantity} were asked for.")
    ACCOUNT_UNKNOWN = (7206, "Account {account} does not exist in registry {registry}.")
    # 75xx peer registries of other installations (docs/interoperability.md)
    PEER_KEY_INVALID = (7501, "{key} is not an Ed25519 public key: give the 43-character key that 'registry peer key' prints on the peer.")
    PEER_EXISTS = (7502, "Registry {registry} is already a registered peer; remove it first to change its address or key.")
    PEER_IS_LOCAL = (7503, "Registry {registry} is hosted by this installation, so it cannot also be a peer.")
    PEER_UNKNOWN = (7504, "Registry {registry} is not a registered peer of this installation (see 'registry peer list').")
    PEER_ADMINISTRATOR_REQUIRED = (7505, "{actor} is not an installation administrator; only they register and remove peers.")
    PEER_ACCOUNT_NUMBER_INVALID = (7506, "{account} is not an account number of peer registry {registry}: write it as {registry}-000007.")
    PEER_TRANSFER_NOT_EXTERNAL = (7507, "Account {account} is in peer registry {registry}: units go there only by an external transfer.")
    PEER_TRANSFER_PENDING = (
        7508,
        "Transaction {transaction} has been proposed to peer registry {registry}; only the peer's answer ends it now.",
    )
    RECONCILIATION_DISCREPANCIES = (
        7511,
        "Reconciliation of {registry} with peer {peer} found {count} discrepancies (listed above); the registry's administrators are notified.",
    )
    # 76xx importing a registry's history (docs/interchange.md): each problem names its line
    IMPORT_NOT_JSON = (7601, "The line is not one JSON object: {detail}")
    IMPORT_EMPTY_LINE = (7602, "The line is empty: every line of the file holds one JSON object.")
    IMPORT_RECORD_UNKNOWN = (7603, "Record {record} is not a record of the interchange format; see docs/interchange.md.")
    IMPORT_SCHEMA_MISMATCH = (7604, "The record does not match the schema of {schema}: {detail}")
    IMPORT_HEADER_MISSING = (7605, "The first line must be the header record, which names the registry.")
    IMPORT_HEADER_REPEATED = (7606, "A second header record: a file holds the history of one registry.")
    IMPORT_REFERENCE_LATE = (7607, "Reference record {record} comes after the first dated record; put the reference data first.")
    IMPORT_REFERENCE_UNKNOWN = (7608, "{what} {value} is given on no earlier line and does not exist in this installation.")
    IMPORT_DATE_OUT_OF_ORDER = (7609, "Date out of order: {effective} is before {earlier} on line {earlier_line}.")
    IMPORT_RECORD_MALFORMED = (7610, "The record is not one the journal can hold: {detail}")
    IMPORT_ACCOUNT_OPENED_TWICE = (7611, "Account {account} is opened a second time.")
    IMPORT_ACCOUNT_UNKNOWN = (7612, "Account {account} is unknown: no earlier line opens it.")
    IMPORT_UNITS_LEAVE_FINAL = (7613, "Units leave account {account}, a final account whose units never move again.")
    IMPORT_ACCOUNT_NOT_OPEN = (7614, "Units move through account {account}, which is {status} at that date.")
    IMPORT_VERSION_OUT_OF_ORDER = (
        7615,
        "Version {version} of authorization {authorization} follows version {previous}; versions count up by one.",
    )
    IMPORT_FOREIGN_ISSUANCE = (
        7616,
        "An issuance of serials of {originating_registry} in registry {registry}: a registry issues only its own serials.",
    )
    IMPORT_AUTHORIZATION_UNRECORDED = (7617, "An action under authorization {authorization}, which no earlier line records.")
    IMPORT_BEFORE_AUTHORIZATION = (7618, "An action on {date}, before authorization {authorization} of {authorization_date}.")
    IMPORT_SERIALS_DO_NOT_REPLAY = (7619, "The serials do not replay: {detail}")
    IMPORT_FILE_EMPTY = (7620, "The file is empty.")
    IMPORT_IN_THE_FUTURE = (7621, "The record takes effect on {effective}, after the moment of import ({imported_at}).")
    IMPORT_REGISTRY_LIVE = (
        7630,
        "Registry {registry} already has {count} journal entries recorded live: history is imported only into an empty registry,"
        " before its first live action. Import into a new installation.",
    )
    IMPORT_BEFORE_IMPORTED = (
        7631,
        "The history of {registry} starts on {effective}, before {earlier}, when the history already imported ends.",
    )
    IMPORT_COUNTERPART_MISSING = (
        7632,
        "An {type} between {registry} and {counterpart}, whose history this import does not bring: import both files together"
        " (registry import --input=A.jsonl --input=B.jsonl).",
    )
    IMPORT_REGISTRY_TWICE = (7633, "Two files bring the history of registry {registry}; give each registry's file once.")
    IMPORT_RESULT_DIFFERS = (7634, "The registry records this {record} otherwise than the file: {detail}")
    # A first transfer at use or cancellation in a peer registry (docs/interoperability.md §5a)
    PEER_NOTICE_PEER_UNKNOWN = (
        1517,
        "Units {ranges} are first transferred by this use, and registry {registry} of the authorising Party records it;"
        " it is not a registered peer, so it cannot be told: register it (registry peer add) first.",
    )
    PEER_NOTICE_UNITS_NOT_SENT = (
        1518,
        "Units {ranges} did not leave registry {registry} for a peer registry: their first transfer is not its to record.",
    )
    PEER_NOTICE_NOT_AT_USE = (
        1519,
        "Authorisation {authorization} of registry {registry} does not define the first transfer at use or cancellation ({definition}).",
    )
    PEER_NOTICE_REFUSED = (
        1520,
        "Peer registry {registry} refused the first-transfer notice of transaction {transaction} with check {code}: {detail}"
        " In its own words: {words}",
    )
    PEER_NOTICE_GIVEN_UP = (
        1521,
        "Peer registry {registry} gave no answer to the first-transfer notice of transaction {transaction} in {count} attempts;"
        " it is no longer sent.",
    )
    PEER_NOTICE_NOT_TO_RESEND = (
        1522,
        "The first-transfer notice of transaction {transaction} to peer registry {registry} is waiting for its answer or"
        " recorded there: only a notice refused or given up is sent again.",
    )

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.template = message

    def format(self, **params: Any) -> str:
        return self.template.format(**params)


def check_by_code(code: int) -> Check:
    for check in Check:
        if check.code == code:
            return check
    raise KeyError(code)


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""


class CheckFailed(RegistryError):
    """A request or transaction failed a check; nothing was changed.

    ``blocks`` names the offending serial ranges, when the failure concerns particular units.
    """

    def __init__(self, check: Check, blocks: Sequence[str] = (), **params: Any) -> None:
        self.check = check
        self.code = check.code
        self.params = params
        self.message = check.format(**params)
        self.blocks = tuple(blocks)
        super().__init__(f"[{self.code}] {self.message}")


def check_codes_markdown() -> str:
    """The published table of check codes (docs/check-codes.md is this text)."""
    families = {
        1: "Request and data integrity",
        2: "Authentication and permission",
        4: "Unit-block checks common to every movement",
        5: "Checks per transaction type",
        6: "Article 6 checks",
        7: "Account checks",
    }
    lines = [
        "# Check codes",
        "",
        "Every refusal carries one of these codes with its message. Generated from",
        "`src/registry/core/checks.py` by `registry check-codes`; do not edit by hand.",
    ]
    current = None
    for check in sorted(Check, key=lambda c: c.code):
        family = check.code // 1000
        if family != current:
            current = family
            lines += ["", f"## {family}xxx {families[family]}", "", "| code | name | message |", "| --- | --- | --- |"]
        message = check.template.replace("|", "\\|")
        lines.append(f"| {check.code} | `{check.name}` | {message} |")
    return "\n".join(lines) + "\n"
