"""Refusals as the web shows them: the check code and its message in the user's language.

The check table in ``core`` has no Django (so no gettext); the templates holders meet are marked
here for translation under the very same text, and a test proves the two never drift apart.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from registry.core.checks import Check, CheckFailed

TRANSLATED: dict[Check, str] = {
    Check.QUANTITY_NOT_POSITIVE: gettext_noop("The quantity must be a whole number greater than zero (got {quantity})."),
    Check.QUANTITY_AND_RANGES: gettext_noop("Name either a quantity or serial ranges, not both and not neither."),
    Check.VALUE_INVALID: gettext_noop("{field} is not valid: {detail}"),
    Check.PURPOSE_UNKNOWN: gettext_noop("Purpose {purpose} is not in the list of purposes of use; choose one of: {purposes}."),
    Check.NOT_ALLOWED_ON_ACCOUNT: gettext_noop("{actor} may not act on account {account}."),
    Check.APPROVER_IS_PROPOSER: gettext_noop("The person who proposed transaction {transaction} cannot also approve it."),
    Check.MOVEMENTS_SUSPENDED: gettext_noop("Movements are suspended in registry {registry}: {notice}"),
    Check.NOT_ALLOWED_TO_APPROVE: gettext_noop("{actor} may not approve transactions of account {account}."),
    Check.ONE_TIME_CODE_WRONG: gettext_noop(
        "The one-time code is wrong or expired; nothing was changed. Enter the code your authenticator app shows now."
    ),
    Check.UNITS_NOT_HELD: gettext_noop("Serials {ranges} are not held by account {account}."),
    Check.UNITS_RESERVED: gettext_noop("Serials {ranges} are reserved by pending transaction {transaction}."),
    Check.QUANTITY_EXCEEDS_AVAILABLE: gettext_noop(
        "Account {account} has {available} units available, fewer than the {quantity} requested."
    ),
    Check.UNIT_TYPES_MIXED: gettext_noop(
        "Choosing {quantity} units of account {account} by quantity would mix unit types ({unit_types}); choose the unit type."
    ),
    Check.RANGE_AMBIGUOUS: gettext_noop(
        "Serials {range} of account {account} exist in more than one originating registry ({registries}); give the unique identifier."
    ),
    Check.TRANSFER_SAME_ACCOUNT: gettext_noop("The transferring and acquiring accounts are the same ({account})."),
    Check.CANCELLATION_TOWARDS_NDC: gettext_noop("Purpose {purpose} counts towards an NDC: retire the units instead of cancelling them."),
    Check.TRANSACTION_NOT_PENDING: gettext_noop("Transaction {transaction} is {status}; it can no longer be {action}."),
    Check.NOT_AUTHORIZED_FOR_TRANSFER: gettext_noop(
        "Serials {ranges} are not authorised ITMOs and cannot be transferred to another registry."
    ),
    Check.NDC_USE_OF_ANOTHER_PARTY: gettext_noop(
        "Units retired in registry {registry} count only towards the NDC of {party}, not of {using_party}."
    ),
    Check.FOREIGN_NDC_NOT_ALLOWED: gettext_noop(
        "{programme} units are never used towards another country's NDC nor with a corresponding adjustment: "
        "use in {country} is voluntary offsetting only (choose a purpose that counts towards no NDC)."
    ),
    Check.PURPOSE_DOMESTIC_ONLY: gettext_noop(
        "Purpose {purpose} is for use in {party} only: {programme} units are never used to report renewable energy procured abroad ({country})."
    ),
    Check.PURPOSE_UNIT_TYPE_NOT_ACCEPTED: gettext_noop(
        "Serials {ranges} are {unit_types} units; purpose {purpose} accepts only {accepted}."
    ),
    Check.ACQUIRING_ACCOUNT_UNKNOWN: gettext_noop("Acquiring account {account} does not exist in registry {registry}."),
    Check.ACQUIRING_ACCOUNT_BLOCKED: gettext_noop("Acquiring account {account} is blocked."),
    Check.TRANSFERRING_ACCOUNT_BLOCKED: gettext_noop("Transferring account {account} is blocked."),
    Check.ACCOUNT_OTHER_REGISTRY: gettext_noop("Account {account} belongs to registry {account_registry}, not {registry}."),
    Check.RANGE_MALFORMED: gettext_noop(
        "Serial range {start}-{end} is malformed: serials start at 1 and the first must not exceed the last."
    ),
    Check.UNIT_TYPE_UNKNOWN: gettext_noop("Unit type {unit_type} does not exist."),
    Check.PROJECT_UNKNOWN: gettext_noop("Project {project} does not exist in registry {registry}."),
    Check.OUTSIDE_OPERATING_HOURS: gettext_noop(
        "Registry {registry} accepts account holders' movements {hours} ({zone}); it is now {now}."
    ),
    Check.MAINTENANCE_WINDOW: gettext_noop("Registry {registry} is in scheduled maintenance until {until}: {title}"),
    Check.UNITS_FINAL: gettext_noop("Account {account} is a final account: its units never move again."),
    Check.RANGES_OVERLAP: gettext_noop("Requested serial ranges {first} and {second} overlap."),
    Check.RANGES_OUT_OF_ORDER: gettext_noop("Requested serial ranges must be in ascending order: {second} comes after {first}."),
    Check.TRANSFER_TO_FINAL_ACCOUNT: gettext_noop(
        "Account {account} is a {account_type} account: use a retirement or cancellation instead of a transfer."
    ),
    Check.NOT_AUTHORIZED_FOR_NDC: gettext_noop("Serials {ranges} are not authorised for use towards NDCs."),
    Check.NOT_AUTHORIZED_FOR_OIMP: gettext_noop("Serials {ranges} are not authorised for other international mitigation purposes."),
    Check.NOT_FIRST_TRANSFERRED: gettext_noop(
        "Serials {ranges} have not been first transferred, so they cannot count towards the NDC of {party}."
    ),
    Check.TRANSFERRING_ACCOUNT_CLOSED: gettext_noop("Transferring account {account} is closed."),
    Check.ACQUIRING_ACCOUNT_CLOSED: gettext_noop("Acquiring account {account} is closed."),
    Check.EXTERNAL_TRANSFER_SAME_REGISTRY: gettext_noop(
        "An external transfer goes to another registry; account {account} is in {registry} too."
    ),
    Check.TRANSACTION_LIMIT_EXCEEDED: gettext_noop(
        "Account {account} allows at most {limit} units in one transaction; {quantity} were asked for."
    ),
    Check.REASON_REQUIRED: gettext_noop("A reason is required for this action."),
    Check.ONLY_PROPOSER_CANCELS: gettext_noop("Only the proposer or an administrator may cancel transaction {transaction}."),
}


def refusal_message(failure: CheckFailed) -> str:
    """``[6015] …`` in the active language (the English of the check table where none is kept)."""
    template = TRANSLATED.get(failure.check)
    text = gettext(template).format(**failure.params) if template else failure.message
    return f"[{failure.code}] {text}"
