"""Reference data every installation starts with, and an optional demonstration ledger.

Everything goes through the services, so the demo ledger is journaled like any other.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils import translation

from registry.accounts.models import SYSTEM_TYPES, Account, AccountType
from registry.accounts.services import open_account, system_account
from registry.article6.models import FirstTransferDefinition, Purpose
from registry.article6.services import create_authorization
from registry.core.serials import SerialRange
from registry.parties.models import CreditingProgramme, Registry
from registry.parties.services import (
    create_cooperative_approach,
    create_party,
    create_programme,
    create_registry,
    define_use_purpose,
    register_entity,
    register_project,
)
from registry.transactions.authorization_services import authorize_units
from registry.transactions.services import cancel_units, issue_units, retire_units, transfer_externally, transfer_units

SYSTEM_USER = "system"


def system_user() -> User:
    """The installation's own actor for set-up; it has no password and can never log in."""
    user, created = User.objects.get_or_create(username=SYSTEM_USER, defaults={"is_superuser": True, "is_staff": False, "is_active": True})
    if created:
        user.set_unusable_password()
        user.save()
    return user


def seed_reference_data() -> list[Registry]:
    """Japan's and Mongolia's registries, the JCM and J-Credit programmes, and the system accounts."""
    actor = system_user()
    japan = create_party("JP", "JPN", "Japan", "日本")
    mongolia = create_party("MN", "MNG", "Mongolia", "モンゴル")
    registries = [
        create_registry(japan, "JPN01", "Japan Carbon Credit Registry"),
        create_registry(mongolia, "MNG01", "Mongolia JCM Registry", time_zone="Asia/Ulaanbaatar"),
    ]
    jcm = create_programme("JCM", "Joint Crediting Mechanism", "JCM", {"JCM": "JCM credit"})
    # J-Credits by credit type: the purpose rules accept some types only (CDP/SBT renewable, RE100
    # renewable electricity); ``JC`` is every other type (energy saving, forestry, ...).
    jcredit = create_programme(
        "J-Credit",
        "J-Credit Scheme",
        "JC",
        {"JC": "J-Credit", "JC-RE-E": "J-Credit (renewable electricity)", "JC-RE-H": "J-Credit (renewable heat)"},
        international=False,
    )
    seed_use_purposes(jcm, jcredit)
    create_cooperative_approach("CA0001", "JCM between Japan and Mongolia", [japan, mongolia])
    for registry in registries:
        for account_type in [AccountType.PARTY_HOLDING, *sorted(SYSTEM_TYPES)]:
            if not Account.objects.filter(registry=registry, type=account_type).exists():
                with translation.override("en"):  # the stored name; screens translate it (registry_text.account_name)
                    name = f"{registry.party.name} {AccountType(account_type).label}"
                open_account(actor, registry, account_type=account_type, name=name)
    return registries


def seed_use_purposes(jcm: CreditingProgramme, jcredit: CreditingProgramme) -> None:
    """The purposes of a J-Credit nullification (無効化) and of a JCM retirement or cancellation."""
    for position, (code, name, name_ja, options) in enumerate(
        [
            (
                "jc-global-warming-act",
                "Reporting under the Act on Promotion of Global Warming Countermeasures",
                "温対法での報告",
                {"towards_ndc": True},
            ),
            ("jc-energy-conservation-act", "Reporting under the Energy Conservation Act", "省エネ法での報告", {"towards_ndc": True}),
            ("jc-ndc", "Achievement of Japan's emission reduction target (NDC)", "国の排出削減目標の達成", {"towards_ndc": True}),
            ("jc-gx-ets", "GX-ETS", "GX-ETS", {"towards_ndc": True}),
            ("jc-offset", "Carbon offsetting", "カーボン・オフセット", {}),
            (
                "jc-cdp-sbt",
                "CDP and SBT reporting (renewable energy)",
                "CDP・SBTへの報告(再エネ)",
                {"domestic_only": True, "unit_types": ("JC-RE-E", "JC-RE-H")},
            ),
            (
                "jc-re100",
                "RE100 reporting (renewable electricity)",
                "RE100への報告(再エネ電力)",
                {"domestic_only": True, "unit_types": ("JC-RE-E",)},
            ),
            ("jc-other", "Other", "その他", {}),
        ]
    ):
        define_use_purpose(jcredit, code, name, name_ja, position=position, **options)  # type: ignore[arg-type]
    for position, (code, name, name_ja, options) in enumerate(
        [
            ("jcm-ndc", "Use towards the NDC", "NDCへの活用", {"towards_ndc": True}),
            ("jcm-voluntary", "Voluntary offsetting (towards no NDC)", "自主的なオフセット(NDCに算入しない)", {}),
            ("jcm-other", "Other", "その他", {}),
        ]
    ):
        define_use_purpose(jcm, code, name, name_ja, position=position, **options)  # type: ignore[arg-type]


def seed_demo_ledger() -> None:
    """A small, realistic ledger: JCM credits of a Mongolian project, and J-Credits in Japan."""
    from registry.parties.models import CooperativeApproach, Party, UnitType

    actor = system_user()
    mongolia_registry = Registry.objects.get(registry_id="MNG01")
    japan_registry = Registry.objects.get(registry_id="JPN01")
    if mongolia_registry.projects.exists():
        return
    mongolia, japan = Party.objects.get(alpha2="MN"), Party.objects.get(alpha2="JP")
    jcm, jcredit = CreditingProgramme.objects.get(code="JCM"), CreditingProgramme.objects.get(code="J-Credit")
    approach = CooperativeApproach.objects.get(identifier="CA0001")
    solar = register_project(
        actor,
        mongolia_registry,
        identifier="MN001",
        name="10MW solar power project in Darkhan",
        programme=jcm,
        host_party=mongolia,
        cooperative_approach=approach,
        methodology="MN_AM003",
        sector="Energy generation",
    )
    forest = register_project(
        actor,
        japan_registry,
        identifier="JCL-R001",
        name="Forest management in Hokkaido",
        programme=jcredit,
        host_party=japan,
        sector="Forestry and land use",
    )
    mining = register_entity(actor, mongolia_registry, name="Darkhan Solar LLC", country="MN", head_office="Darkhan, Mongolia")
    trading = register_entity(
        actor, japan_registry, name="Sakura Trading Co., Ltd.", name_ja="さくら商事株式会社", country="JP", head_office="Chiyoda, Tokyo"
    )
    participant = open_account(actor, mongolia_registry, account_type=AccountType.ENTITY_HOLDING, name="Darkhan Solar LLC", entity=mining)
    buyer = open_account(actor, japan_registry, account_type=AccountType.ENTITY_HOLDING, name="Sakura Trading", entity=trading)
    government = system_account(mongolia_registry, AccountType.PARTY_HOLDING)
    jcm_units = UnitType.objects.get(code="JCM")
    issue_units(
        actor=actor, account=participant, project=solar, unit_type=jcm_units, vintage=2023, quantity=1000, first_transferring_party=mongolia
    )
    issue_units(
        actor=actor, account=participant, project=solar, unit_type=jcm_units, vintage=2024, quantity=500, first_transferring_party=mongolia
    )
    authorization = create_authorization(
        actor,
        mongolia_registry,
        identifier="MN-2024-001",
        date=dt.date(2024, 6, 1),
        cooperative_approach=approach,
        purposes=Purpose.NDC,
        first_transfer_definition=FirstTransferDefinition.FIRST_INTERNATIONAL_TRANSFER,
        document_reference="Letter of authorisation of the Ministry of Environment of Mongolia, 1 June 2024",
        authorized_quantity=1000,
        sectors="Energy generation",
    )
    authorize_units(actor=actor, authorization=authorization, project=solar, vintages=(2023, 2023))
    assert government is not None
    transfer_units(actor=actor, from_account=participant, to_account=government, quantity=130)
    cancel_units(actor=actor, account=participant, kind="voluntary", quantity=100)
    transfer_externally(actor=actor, from_account=participant, to_account=buyer, quantity=200)
    retire_units(actor=actor, account=buyer, quantity=50, ndc_year=2030, purpose="Japan's NDC")
    issue_units(actor=actor, account=buyer, project=forest, unit_type=UnitType.objects.get(code="JC"), vintage=2022, quantity=2000)
    retire_units(
        actor=actor,
        account=buyer,
        ranges=[("JPN01", SerialRange(1, 300))],
        purpose="Reporting under the Act on Promotion of Global Warming Countermeasures",
        purpose_code="jc-global-warming-act",
        aim="FY2025 report of Sakura Trading's emissions",
        credit_user="Sakura Trading Co., Ltd.",
        use_country="JP",
    )
