"""Public operations, without a token: check codes, registries, disclosure figures, credit search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.decorators import decorate_view

from registry.api import cursors
from registry.api.problems import PUBLIC_ERRORS
from registry.api.schemas import (
    IDENTIFIER,
    NO_CONTROL_CHARACTERS,
    REGISTRY_ID,
    AmountOut,
    AnnualSummaryOut,
    CheckCodeOut,
    EntityOut,
    FoundPage,
    RegistryOut,
)
from registry.core.checks import Check, CheckFailed, check_by_code
from registry.disclosure import figures, published
from registry.parties.models import Registry
from registry.parties.services import get_registry
from registry.replica import reads_from_replica

router = Router(tags=["public"])
router.add_decorator(reads_from_replica, mode="view")  # everything public reads the ledger only

RegistryId = Annotated[str, Path(pattern=REGISTRY_ID, examples=["MNG01"])]


def _check_out(check: Check) -> dict[str, Any]:
    return {"code": check.code, "name": check.name, "message": check.template}


@router.get("/check-codes", response=list[CheckCodeOut], operation_id="listCheckCodes")
def list_check_codes(request: HttpRequest) -> list[dict[str, Any]]:
    """Every refusal the registry can give, by code (problem details link here by their ``type``)."""
    return [_check_out(check) for check in sorted(Check, key=lambda c: c.code)]


@router.get("/check-codes/{code}", response={200: CheckCodeOut, **PUBLIC_ERRORS}, operation_id="getCheckCode")
def get_check_code(request: HttpRequest, code: Annotated[int, Path(ge=1000, le=9999)]) -> Any:
    try:
        return _check_out(check_by_code(code))
    except KeyError:
        raise CheckFailed(Check.VALUE_INVALID, field="Check code", detail=f"{code} is not a check code of this registry") from None


@router.get("/registries", response=list[RegistryOut], operation_id="listRegistries")
def list_registries(request: HttpRequest) -> list[dict[str, str]]:
    """The Parties' registries this installation keeps."""
    return [
        {"registry_id": r.registry_id, "name": r.name, "party": r.party.alpha2, "party_alpha3": r.party.alpha3, "time_zone": r.time_zone}
        for r in Registry.objects.select_related("party").order_by("registry_id")
    ]


@router.get("/registries/{registry_id}/amounts", response={200: list[AmountOut], **PUBLIC_ERRORS}, operation_id="getAmounts")
@decorate_view(published.with_etag)
def get_amounts(request: HttpRequest, registry_id: RegistryId) -> Any:
    """Units recorded in each type of account, per unit type."""
    return published.answer(
        request,
        "amounts",
        lambda: [{**row, "label": str(row["label"])} for row in figures.amounts_by_account_type(get_registry(registry_id))],
    )


@router.get(
    "/registries/{registry_id}/entity-holding-accounts",
    response={200: list[EntityOut], **PUBLIC_ERRORS},
    operation_id="listEntityHoldingAccounts",
)
def list_entity_holding_accounts(request: HttpRequest, registry_id: RegistryId) -> Any:
    """Entities holding an entity holding account: name and head office, as the registry publishes them."""
    return list(figures.entity_holding_accounts(get_registry(registry_id)).values("name", "name_ja", "country", "head_office"))


@router.get(
    "/registries/{registry_id}/annual-transactions",
    response={200: list[AnnualSummaryOut], **PUBLIC_ERRORS},
    operation_id="getAnnualTransactions",
)
def get_annual_transactions(request: HttpRequest, registry_id: RegistryId) -> Any:
    """Completed transactions per year (in the registry's time zone) and type."""
    return [{**row, "label": str(row["label"])} for row in figures.annual_transactions(get_registry(registry_id))]


class SearchQuery(Schema):
    registry: str = Field("", pattern=f"^$|{REGISTRY_ID}")
    project: str = Field("", max_length=40, pattern=f"^$|{IDENTIFIER}")
    vintage: int | None = Field(None, ge=1900, le=2100)
    programme: str = Field("", max_length=20, pattern=NO_CONTROL_CHARACTERS)
    unit_type: str = Field("", max_length=20, pattern=NO_CONTROL_CHARACTERS)
    status: Literal["", "held", "retired", "cancelled"] = ""
    serial: int | None = Field(None, ge=1, le=10**15)
    identifier: str = Field("", max_length=120, pattern=NO_CONTROL_CHARACTERS, description="a block's unique identifier")
    cursor: str | None = Field(None, max_length=200, pattern=NO_CONTROL_CHARACTERS)
    limit: int = Field(100, ge=1, le=1000)


@router.get("/search", response={200: FoundPage, **PUBLIC_ERRORS}, operation_id="searchCredits")
@decorate_view(published.with_etag)
def search_credits(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    """Blocks matching every filter given, in serial order; what the public may see of them (never holders)."""

    def compute() -> dict[str, Any]:
        blocks = figures.search_blocks(**query.dict(exclude={"cursor", "limit"}))
        page, next_cursor = cursors.page_of_blocks(blocks, ("originating_registry",), query.cursor, query.limit)
        return {"items": list(figures.found_rows(page)), "next_cursor": next_cursor}

    return published.answer(request, "search", compute)
