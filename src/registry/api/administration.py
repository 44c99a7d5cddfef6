"""Registry administrators: issuance, authorisations of ITMOs, the Agreed Electronic Format.

These need a token of an administrator of the registry that is not limited to some accounts.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Router

from registry.access.models import Operation
from registry.access.services import log_operation
from registry.accounts.models import Account
from registry.api.idempotency import apply_once
from registry.api.problems import ERRORS
from registry.api.public import RegistryId
from registry.api.schemas import (
    IDENTIFIER,
    AefOut,
    AuthorizationIn,
    AuthorizationOut,
    AuthorizedEntityIn,
    AuthorizedEntityOut,
    AuthorizeIn,
    IssuanceIn,
    TransactionOut,
)
from registry.api.security import administered_registry, user_of
from registry.api.transactions import transaction_out
from registry.article6.aef import FIRST_REPORTING_YEAR, build_annual_information
from registry.article6.models import Authorization
from registry.article6.services import authorize_entity, create_authorization
from registry.core.checks import Check, CheckFailed
from registry.parties.models import CooperativeApproach, Registry, UnitType
from registry.parties.services import get_party
from registry.transactions import services as ledger
from registry.transactions.authorization_services import authorize_units
from registry.transactions.blocks import requested_range
from registry.transactions.models import Transaction

router = Router(tags=["administration"])

AEF_TABLES = ("submission", "authorizations", "actions", "holdings", "entities")
AuthorizationId = Annotated[str, Path(max_length=60, pattern=IDENTIFIER, examples=["MN-2025-001"])]


def _logged(request: HttpRequest, action: Operation, registry: Registry, target: str) -> None:
    log_operation(user_of(request), action, registry=registry, target=target, outcome="completed")


def _authorization(registry: Registry, identifier: str) -> Authorization:
    found = Authorization.objects.filter(registry=registry, identifier=identifier).select_related("cooperative_approach").first()
    if found is None:
        raise CheckFailed(Check.AUTHORIZATION_UNKNOWN, authorization=identifier, registry=registry.registry_id)
    return found


def _authorization_out(authorization: Authorization) -> dict[str, Any]:
    units = authorization.transactions.filter(type="authorization", status="completed").aggregate(units=Sum("quantity"))["units"]
    return AuthorizationOut(
        identifier=authorization.identifier,
        registry=authorization.registry.registry_id,
        date=authorization.date,
        cooperative_approach=authorization.cooperative_approach.identifier,
        purposes=authorization.purposes,
        first_transfer_definition=authorization.first_transfer_definition,
        authorized_quantity=authorization.authorized_quantity,
        authorized_units=units or 0,
        document_reference=authorization.document_reference,
        timeframe_first_vintage=authorization.timeframe_first_vintage,
        timeframe_last_vintage=authorization.timeframe_last_vintage,
        activity_types=authorization.activity_types,
        authorized_entities=[
            AuthorizedEntityOut(
                name=a.entity.name,
                country=a.entity.country,
                identification_number=a.entity.identification_number,
                conditions=a.conditions,
                change_and_revocation_conditions=a.change_and_revocation_conditions,
                explanation=a.explanation,
            )
            for a in authorization.entity_authorizations.select_related("entity")
        ],
    ).model_dump(mode="json")


@router.post("/registries/{registry_id}/issuances", response={201: TransactionOut, **ERRORS}, operation_id="issueUnits")
def issue_units(request: HttpRequest, registry_id: RegistryId, body: IssuanceIn) -> HttpResponse:
    """Issue units with the registry's next serials into one of its accounts."""

    def write() -> tuple[int, dict[str, Any]]:
        registry = administered_registry(request, registry_id)
        project = registry.projects.filter(identifier=body.project).first()
        if project is None:
            raise CheckFailed(Check.PROJECT_UNKNOWN, project=body.project, registry=registry_id)
        unit_type = UnitType.objects.filter(code=body.unit_type).first()
        if unit_type is None:
            raise CheckFailed(Check.UNIT_TYPE_UNKNOWN, unit_type=body.unit_type)
        account = Account.objects.select_related("registry").filter(number=body.account, registry=registry).first()
        if account is None:
            raise CheckFailed(Check.ACCOUNT_UNKNOWN, account=body.account, registry=registry_id)
        tx = ledger.issue_units(
            actor=user_of(request),
            account=account,
            project=project,
            unit_type=unit_type,
            vintage=body.vintage,
            quantity=body.quantity,
            first_transferring_party=get_party(body.first_transferring_party) if body.first_transferring_party else None,
            authorization=_authorization(registry, body.authorization) if body.authorization else None,
        )
        _logged(request, Operation.ISSUE, registry, f"T{tx.pk}")
        return 201, transaction_out(tx)

    return apply_once(request, Operation.ISSUE, write)


@router.get("/registries/{registry_id}/authorizations", response={200: list[AuthorizationOut], **ERRORS}, operation_id="listAuthorizations")
def list_authorizations(request: HttpRequest, registry_id: RegistryId) -> Any:
    """The Party's authorisations recorded in the registry, with the units authorised under each."""
    registry = administered_registry(request, registry_id)
    found = (
        Authorization.objects.filter(registry=registry).select_related("registry", "cooperative_approach").order_by("date", "identifier")
    )
    return [_authorization_out(a) for a in found]


@router.post(
    "/registries/{registry_id}/authorizations",
    response={201: AuthorizationOut, **ERRORS},
    operation_id="createAuthorization",
    summary="Record Authorization",
)
def record_authorization(request: HttpRequest, registry_id: RegistryId, body: AuthorizationIn) -> HttpResponse:
    """Record the Party's authorisation (AEF table 2); units are then authorised under it."""

    def write() -> tuple[int, dict[str, Any]]:
        registry = administered_registry(request, registry_id)
        approach = CooperativeApproach.objects.filter(identifier=body.cooperative_approach).first()
        if approach is None:
            raise CheckFailed(Check.VALUE_INVALID, field="Cooperative approach", detail=f"{body.cooperative_approach} is not known")
        authorization = create_authorization(
            user_of(request),
            registry,
            identifier=body.identifier,
            date=body.date,
            cooperative_approach=approach,
            purposes=body.purposes,
            first_transfer_definition=body.first_transfer_definition,
            document_reference=body.document_reference,
            authorized_quantity=body.authorized_quantity,
            oimp_purposes=body.oimp_purposes,
            authorized_parties=[get_party(code) for code in body.authorized_parties],
            sectors=body.sectors,
            activity_types=body.activity_types,
            timeframe=(body.timeframe_first_vintage, body.timeframe_last_vintage),
            terms=body.terms,
        )
        _logged(request, Operation.CREATE_AUTHORIZATION, registry, authorization.identifier)
        return 201, _authorization_out(authorization)

    return apply_once(request, Operation.CREATE_AUTHORIZATION, write)


@router.post(
    "/registries/{registry_id}/authorizations/{identifier}/entities",
    response={201: AuthorizationOut, **ERRORS},
    operation_id="authorizeEntity",
)
def authorize_an_entity(
    request: HttpRequest, registry_id: RegistryId, identifier: AuthorizationId, body: AuthorizedEntityIn
) -> HttpResponse:
    """Authorise an entity under the authorisation, with the conditions of AEF Table 5."""

    def write() -> tuple[int, dict[str, Any]]:
        registry = administered_registry(request, registry_id)
        authorization = _authorization(registry, identifier)
        authorize_entity(
            user_of(request),
            authorization,
            name=body.name,
            country=body.country,
            identification_number=body.identification_number,
            conditions=body.conditions,
            change_and_revocation_conditions=body.change_and_revocation_conditions,
            explanation=body.explanation,
        )
        _logged(request, Operation.AUTHORIZE_ENTITY, registry, authorization.identifier)
        return 201, _authorization_out(authorization)

    return apply_once(request, Operation.AUTHORIZE_ENTITY, write)


@router.post(
    "/registries/{registry_id}/authorizations/{identifier}/units",
    response={201: TransactionOut, **ERRORS},
    operation_id="authorizeUnits",
)
def authorize(request: HttpRequest, registry_id: RegistryId, identifier: AuthorizationId, body: AuthorizeIn) -> HttpResponse:
    """Authorise units under the authorisation: named serial ranges, or a project's unauthorised units."""

    def write() -> tuple[int, dict[str, Any]]:
        registry = administered_registry(request, registry_id)
        authorization = _authorization(registry, identifier)
        project = None
        if body.project is not None:
            project = registry.projects.filter(identifier=body.project).first()
            if project is None:
                raise CheckFailed(Check.PROJECT_UNKNOWN, project=body.project, registry=registry_id)
        vintages = None
        if body.first_vintage is not None or body.last_vintage is not None:
            vintages = (body.first_vintage or 1900, body.last_vintage or 2100)
        tx = authorize_units(
            actor=user_of(request),
            authorization=authorization,
            ranges=[requested_range(text, registry_id) for text in body.ranges] if body.ranges else None,
            project=project,
            vintages=vintages,
        )
        _logged(request, Operation.AUTHORIZE, registry, f"T{tx.pk}")
        return 201, transaction_out(Transaction.objects.select_related("registry").get(pk=tx.pk))

    return apply_once(request, Operation.AUTHORIZE, write)


@router.get("/registries/{registry_id}/aef/{year}", response={200: AefOut, **ERRORS}, operation_id="getAnnualInformation")
def get_annual_information(
    request: HttpRequest, registry_id: RegistryId, year: Annotated[int, Path(ge=FIRST_REPORTING_YEAR, le=2200)]
) -> Any:
    """The Agreed Electronic Format of one year, as JSON (the workbook is on the web)."""
    registry = administered_registry(request, registry_id)
    if year > timezone.now().year:
        raise CheckFailed(Check.VALUE_INVALID, field="Year", detail=f"{year} has not begun")
    report = build_annual_information(registry, year)
    reconciliation = asdict(report.reconciliation)
    plain = {name: [{k: _plain(v) for k, v in row.items()} for row in getattr(report, name)] for name in AEF_TABLES}
    return {"registry": registry_id, "year": year, **plain, "reconciliation": reconciliation, "balanced": report.reconciliation.balanced}


def _plain(value: object) -> object:
    """AEF cells as JSON: numbers and text as they are, dates and the rest as text."""
    return value if value is None or isinstance(value, int | float | str) else str(value)
