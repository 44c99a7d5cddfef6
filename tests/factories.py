"""Building blocks for tests: a small installation made through the services, as a user would."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from registry.accounts.models import Account, AccountType
from registry.accounts.services import open_account, system_account
from registry.installation.seed import seed_reference_data, system_user
from registry.parties.models import CooperativeApproach, CreditingProgramme, Party, Project, Registry, UnitType
from registry.parties.services import add_administrator, register_entity, register_project
from registry.transactions.models import Transaction
from registry.transactions.services import issue_units

_counter = iter(range(1, 10**9))


def make_user(username: str | None = None, *, administers: Registry | None = None) -> AbstractBaseUser:
    user = get_user_model().objects.create_user(username=username or f"user{next(_counter)}", password=None)
    if administers is not None:
        add_administrator(administers, user)
    return user


@dataclass
class World:
    """Japan's and Mongolia's registries with one administrator each, two entity accounts in
    Mongolia and one in Japan, a JCM project in Mongolia and a J-Credit project in Japan."""

    japan: Registry
    mongolia: Registry
    admin_mn: AbstractBaseUser
    admin_jp: AbstractBaseUser
    seller: Account
    buyer: Account
    japanese: Account
    government_mn: Account
    retirement_mn: Account
    project_mn: Project
    project_jp: Project
    jcm: UnitType
    jcredit: UnitType
    approach: CooperativeApproach
    party_mn: Party

    def issue(self, quantity: int, *, account: Account | None = None, vintage: int = 2023) -> Transaction:
        account = account or self.seller
        project, unit_type, admin = (
            (self.project_mn, self.jcm, self.admin_mn)
            if account.registry == self.mongolia
            else (self.project_jp, self.jcredit, self.admin_jp)
        )
        return issue_units(
            actor=admin,
            account=account,
            project=project,
            unit_type=unit_type,
            vintage=vintage,
            quantity=quantity,
            first_transferring_party=self.party_mn if unit_type == self.jcm else None,
        )


def make_world() -> World:
    japan, mongolia = seed_reference_data()
    system = system_user()
    admin_mn = make_user("admin-mn", administers=mongolia)
    admin_jp = make_user("admin-jp", administers=japan)
    party_mn = Party.objects.get(alpha2="MN")
    approach = CooperativeApproach.objects.get(identifier="CA0001")
    project_mn = register_project(
        system,
        mongolia,
        identifier="MN001",
        name="Solar power in Darkhan",
        programme=CreditingProgramme.objects.get(code="JCM"),
        host_party=party_mn,
        cooperative_approach=approach,
    )
    project_jp = register_project(
        system,
        japan,
        identifier="JCL-R001",
        name="Forest management in Hokkaido",
        programme=CreditingProgramme.objects.get(code="J-Credit"),
        host_party=Party.objects.get(alpha2="JP"),
    )

    def entity_account(registry: Registry, name: str, country: str) -> Account:
        entity = register_entity(system, registry, name=name, country=country)
        return open_account(system, registry, account_type=AccountType.ENTITY_HOLDING, name=name, entity=entity)

    government_mn = system_account(mongolia, AccountType.PARTY_HOLDING)
    retirement_mn = system_account(mongolia, AccountType.RETIREMENT)
    assert government_mn is not None and retirement_mn is not None
    return World(
        japan=japan,
        mongolia=mongolia,
        admin_mn=admin_mn,
        admin_jp=admin_jp,
        seller=entity_account(mongolia, "Darkhan Solar LLC", "MN"),
        buyer=entity_account(mongolia, "Ulaanbaatar Energy LLC", "MN"),
        japanese=entity_account(japan, "Sakura Trading", "JP"),
        government_mn=government_mn,
        retirement_mn=retirement_mn,
        project_mn=project_mn,
        project_jp=project_jp,
        jcm=UnitType.objects.get(code="JCM"),
        jcredit=UnitType.objects.get(code="JC"),
        approach=approach,
        party_mn=party_mn,
    )


def sign_in(client, user) -> None:
    """Sign ``user`` in on the test client with a verified second factor, as the login page would."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    client.force_login(user, backend="registry.access.backends.LoginIdBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def trust(world: World, *pairs: tuple[Account, Account]) -> None:
    """Put accounts on each other's trusted lists, effective long ago (no delay after approval)."""
    from datetime import timedelta

    from django.utils import timezone

    from registry.access.services import add_trusted_account

    long_ago = timezone.now() - timedelta(days=30)
    for account, other in pairs:
        admin = world.admin_mn if account.registry == world.mongolia else world.admin_jp
        add_trusted_account(admin, account, other, at=long_ago)


def valid_pdf() -> bytes:
    """A small, harmless, one-page PDF, as an applicant's scanner would make (pypdf writes it)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def one_time_code(user) -> str:
    """The code ``user``'s authenticator shows now. Each code is accepted once; a test confirming
    twice within 30 seconds gets a fresh one as the next time step would bring (no waiting)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
