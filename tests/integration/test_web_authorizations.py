"""Administrators see the Party's authorisations and authorise entities on the web (review, then
confirm), in Japanese and English; a use proposed on the web names its using entity."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from registry.article6.models import AuthorizedEntity
from registry.article6.services import create_authorization
from registry.parties.services import register_entity
from registry.transactions.models import Transaction
from tests.factories import make_user, one_time_code, sign_in


def signed_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    sign_in(client, user)
    return client


def ndc_authorization(world):
    return create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier="MN-WEB-1",
        date=dt.date(2025, 3, 1),
        cooperative_approach=world.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter",
        activity_types="Solar power",
        timeframe=(2023, 2024),
    )


ENTITY = {
    "authorization": "MN-WEB-1",
    "name": "Darkhan Solar LLC",
    "country": "MN",
    "identification_number": "MN-REG-0042",
    "conditions": "Japanese buyers only",
    "change_and_revocation_conditions": "90 days' notice",
    "explanation": "",
}


def test_an_administrator_reviews_then_confirms_an_authorised_entity_from_the_menu(world):
    ndc_authorization(world)
    client = signed_in(world.admin_mn)
    home = client.get("/app/").content.decode()
    assert 'href="/app/registries/MNG01/authorizations/"' in home and "Authorisations (MNG01)" in home
    page = client.get("/app/registries/MNG01/authorizations/").content.decode()
    assert "MN-WEB-1" in page and "2023-2024" in page and "Solar power" in page
    review = client.post("/app/registries/MNG01/authorizations/", ENTITY).content.decode()
    assert "Darkhan Solar LLC will be authorised under MN-WEB-1" in review
    assert not AuthorizedEntity.objects.exists()  # nothing before confirmation
    done = client.post("/app/registries/MNG01/authorizations/", {**ENTITY, "confirmed": "yes"}, follow=True).content.decode()
    assert "Darkhan Solar LLC is authorised under MN-WEB-1." in done
    authorized = AuthorizedEntity.objects.get()
    assert (authorized.entity.identification_number, authorized.conditions) == ("MN-REG-0042", "Japanese buyers only")
    again = client.post("/app/registries/MNG01/authorizations/", {**ENTITY, "confirmed": "yes"}, follow=True).content.decode()
    assert "[1013]" in again and AuthorizedEntity.objects.count() == 1


def test_the_authorisations_page_speaks_japanese(world):
    ndc_authorization(world)
    page = signed_in(world.admin_mn, "ja").get("/app/registries/MNG01/authorizations/").content.decode()
    assert "ITMOの承認\uff08MNG01\uff09" in page and "法人を承認する" in page and "変更・取消の条件" in page


def test_the_authorisations_page_does_not_exist_for_other_registries_administrators_and_holders(world):
    ndc_authorization(world)
    assert signed_in(world.admin_jp).get("/app/registries/MNG01/authorizations/").status_code == 404
    holder = signed_in(make_user("holder"))
    assert "Authorisations (" not in holder.get("/app/").content.decode()
    assert holder.post("/app/registries/MNG01/authorizations/", {**ENTITY, "confirmed": "yes"}).status_code == 404
    assert not AuthorizedEntity.objects.exists()


def test_a_retirement_proposed_on_the_web_names_its_using_entity(world):
    world.issue(20)
    register_entity(world.admin_mn, world.mongolia, name="Ulaanbaatar Airport", country="MN", identification_number="UB-1")
    client = signed_in(world.admin_mn)
    client.post(
        f"/app/accounts/{world.seller.number}/propose/",
        {"kind": "retirement", "quantity": 5, "using_entity": "UB-1", "token": one_time_code(world.admin_mn)},
    )
    assert Transaction.objects.get(type="retirement").using_entity.name == "Ulaanbaatar Airport"
