"""What the API accepts and answers, as OpenAPI schemas.

Text fields refuse control characters (PostgreSQL refuses NUL, and no registry name needs a
tab), and identifiers have their own patterns, so a malformed request is refused with 422 before
it reaches the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import model_validator

from registry.core.serials import REQUESTED_RANGE
from registry.disclosure.figures import Found
from registry.units.holdings import Holding

#: No control characters (C0, DEL, C1) and no bidirectional controls (embeddings, overrides,
#: isolates, marks): "Trojan Source" text shows one thing and says another.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"
ACCOUNT_NUMBER = r"^[A-Z]{3}[0-9]{2}-[0-9]{6,12}$"
REGISTRY_ID = r"^[A-Z]{3}[0-9]{2}$"
#: ``231-240`` in the account's own registry, or ``MNG01:231-240`` naming the originating registry;
#: the same syntax the web and the command line accept (``registry.core.serials``).
SERIAL_RANGE = f"^{REQUESTED_RANGE}$"
#: Units as the holdings show them: a serial range (of whichever registry the account holds it in,
#: or ``MNG01:``-prefixed) or a block's unique identifier.
UNITS = rf"^(?:{REQUESTED_RANGE}|[A-Z][A-Z0-9]{{0,9}}-[A-Z]{{3}}[0-9]{{2}}-(?:[A-Z]{{3}}|NA)-[0-9]{{1,15}}-[0-9]{{1,15}}-[0-9]{{4}})$"
PARTY_CODE = r"^[A-Z]{2,3}$"
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"  # no "/": identifiers travel in paths


def text(max_length: int, *, min_length: int = 0) -> Any:
    """A free-text field, optional (empty) unless it must have ``min_length`` characters."""
    default = ... if min_length else ""
    return Field(default, max_length=max_length, min_length=min_length, pattern=NO_CONTROL_CHARACTERS)


AccountNumber = Annotated[str, Field(pattern=ACCOUNT_NUMBER, examples=["MNG01-000007"])]
#: Whole numbers only: ``"10"``, ``10.0`` and ``true`` are refused, not read as 10 or 1.
Quantity = Annotated[int, Field(ge=1, le=10**12, strict=True)]
Year = Annotated[int, Field(ge=1900, le=2100, strict=True)]


# Public ---------------------------------------------------------------------------------------------


class CheckCodeOut(Schema):
    code: int
    name: str
    message: str


class RegistryOut(Schema):
    registry_id: str
    name: str
    party: str = Field(description="ISO 3166 alpha-2 code of the Party")
    party_alpha3: str
    time_zone: str


class AmountOut(Schema):
    account_type: str
    label: str
    unit_type: str
    units: int


class EntityOut(Schema):
    name: str
    name_ja: str
    country: str
    head_office: str


class AnnualSummaryOut(Schema):
    year: int
    type: str
    label: str
    count: int
    units: int


class FoundPage(Schema):
    """Blocks found by the credit search: never their holders."""

    items: list[Found]
    next_cursor: str | None


# Accounts -------------------------------------------------------------------------------------------


class AccountOut(Schema):
    number: str
    name: str
    type: str
    status: str
    registry: str
    entity: str | None


class AccountDetailOut(AccountOut):
    units: int
    right: str | None = Field(description="the token user's right on the account; null for administrators and auditors")
    transaction_limit: int | None


class HoldingPage(Schema):
    """Blocks with their unique identifiers (decision 6/CMA.4); ``reserved_by`` names the pending
    transaction that reserves a block."""

    items: list[Holding]
    next_cursor: str | None


class TrustedOut(Schema):
    account: str
    added_at: dt.datetime
    effective_at: dt.datetime = Field(description="transfers to the account complete without delay from this time")


class TrustedIn(Schema):
    account: AccountNumber


# Transactions ---------------------------------------------------------------------------------------


class TransactionOut(Schema):
    id: int
    registry: str
    type: str
    status: str
    from_account: str | None
    to_account: str | None
    quantity: int | None
    purpose: str
    cancellation_kind: str = Field(description="of a cancellation: mandatory, voluntary, omge or oimp")
    oimp_purpose: str = Field(description="of a cancellation for OIMP, e.g. CORSIA")
    reason: str
    created_at: dt.datetime
    execute_after: dt.datetime | None
    completed_at: dt.datetime | None
    check_code: int | None
    check_message: str
    blocks: list[str] = Field(description="unique identifiers of the blocks the transaction names")
    purpose_code: str | None = Field(None, description="a retirement's or cancellation's purpose of use")
    aim: str = ""
    credit_user: str = ""
    use_country: str = ""
    towards_ndc: bool = False


class TransactionPage(Schema):
    items: list[TransactionOut]
    next_cursor: str | None


class ProposalIn(Schema):
    """A movement, by quantity (of one unit type, oldest vintage, lowest serial first) or by units
    named as the holdings show them; naming both or neither is refused with 1003, as everywhere."""

    kind: Literal["internal_transfer", "external_transfer", "retirement", "cancellation"]
    from_account: AccountNumber
    to_account: AccountNumber | None = Field(None, description="for transfers")
    quantity: Quantity | None = None
    ranges: list[Annotated[str, Field(pattern=UNITS)]] | None = Field(
        None, min_length=1, max_length=100, description="unique identifiers or serial ranges, as the holdings show them"
    )
    unit_type: str | None = Field(None, max_length=20, pattern=IDENTIFIER, description="with a quantity: take units of this type only")
    project: str | None = Field(None, max_length=40, pattern=IDENTIFIER)
    vintage: int | None = Field(None, ge=2000, le=2100)
    purpose: str = text(100)
    purpose_code: str = Field(
        "", max_length=40, pattern=r"^[a-z0-9-]*$", description="retirement or cancellation: a purpose of use (UsePurpose)"
    )
    aim: str = text(2000)
    credit_user: str = text(300)
    use_country: str = Field("", pattern=r"^([A-Z]{2})?$", description="ISO 3166 alpha-2 code of the country of use")
    cancellation_kind: Literal["mandatory", "voluntary", "omge"] | None = Field(None, description="for cancellations; default voluntary")
    using_entity: str = Field(
        "", max_length=300, description="for uses and cancellations: the using entity's identification number or name in the registry"
    )

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> ProposalIn:
        transfer = self.kind in ("internal_transfer", "external_transfer")
        if transfer != (self.to_account is not None):
            raise ValueError("a transfer names to_account, and only a transfer does")
        if self.purpose and self.kind != "retirement":
            raise ValueError("only a retirement has a purpose")
        if self.cancellation_kind is not None and self.kind != "cancellation":
            raise ValueError("only a cancellation has a cancellation_kind")
        return self


class ReasonIn(Schema):
    reason: str = text(500, min_length=1)


# Notifications ----------------------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    created_at: dt.datetime
    read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


# Administration -------------------------------------------------------------------------------------


class IssuanceIn(Schema):
    account: AccountNumber
    project: str = Field(max_length=40, pattern=IDENTIFIER)
    unit_type: str = Field(max_length=20, pattern=IDENTIFIER)
    vintage: Year
    quantity: Quantity
    first_transferring_party: str | None = Field(None, pattern=PARTY_CODE)
    authorization: str | None = Field(None, max_length=60, pattern=IDENTIFIER, description="issue the units as authorised ITMOs")


class AuthorizationIn(Schema):
    identifier: str = Field(max_length=60, pattern=IDENTIFIER, examples=["MN-2025-001"])
    date: dt.date
    cooperative_approach: str = Field(max_length=20, pattern=IDENTIFIER, examples=["CA0001"])
    purposes: Literal["NDC", "OIMP", "NDC and OIMP"]
    first_transfer_definition: Literal["first_international_transfer", "authorization", "issuance", "use_or_cancellation"]
    document_reference: str = text(300, min_length=1)
    authorized_quantity: Quantity | None = None
    oimp_purposes: str = text(200)
    authorized_parties: list[Annotated[str, Field(pattern=PARTY_CODE)]] = Field([], max_length=50)
    sectors: str = text(300)
    activity_types: str = text(300)
    timeframe_first_vintage: int | None = Field(None, ge=1900, le=2100, description="first year of vintage authorised")
    timeframe_last_vintage: int | None = Field(None, ge=1900, le=2100, description="last year of vintage authorised")
    terms: str = text(2000)


class AuthorizedEntityIn(Schema):
    """An entity authorised under an authorisation (AEF Table 5); registered in the registry if new."""

    name: str = text(300, min_length=1)
    country: str = Field(pattern=PARTY_CODE, description="country of incorporation, ISO 3166 alpha-2")
    identification_number: str = text(100)
    conditions: str = text(2000)
    change_and_revocation_conditions: str = text(2000)
    explanation: str = text(2000)


class AuthorizedEntityOut(Schema):
    name: str
    country: str
    identification_number: str
    conditions: str
    change_and_revocation_conditions: str
    explanation: str


class AuthorizationOut(Schema):
    identifier: str
    registry: str
    date: dt.date
    cooperative_approach: str
    purposes: str
    first_transfer_definition: str
    authorized_quantity: int | None
    authorized_units: int
    document_reference: str
    timeframe_first_vintage: int | None = None
    timeframe_last_vintage: int | None = None
    activity_types: str = ""
    authorized_entities: list[AuthorizedEntityOut] = []


class AuthorizeIn(Schema):
    """Name serial ranges, or a project (every unauthorised unit of it, within the vintages)."""

    ranges: list[Annotated[str, Field(pattern=SERIAL_RANGE)]] | None = Field(None, min_length=1, max_length=100)
    project: str | None = Field(None, max_length=40, pattern=IDENTIFIER)
    first_vintage: Year | None = None
    last_vintage: Year | None = None


class AefOut(Schema):
    """The Agreed Electronic Format of one year: its five tables, row by row, and the reconciliation."""

    registry: str
    year: int
    submission: list[dict[str, Any]]
    authorizations: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    holdings: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    reconciliation: dict[str, int]
    balanced: bool
