"""Every refusal on the web is on record, with address and user, in the registry the page names
(issue 16, finding 10): every form of the app and of the applications sent with invalid data, and
403, 404 and 405 answers. Recorded once, by ``registry.web.middleware.RecordRefusals``, unless the
view recorded the refusal itself; and a refused submission changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client

from registry.access.audit import RecordedForm
from registry.access.models import Operation, OperationLog
from registry.access.services import grant_right
from registry.api.tokens import create_token
from registry.applications import services as applications
from registry.applications.models import Application
from registry.article6.services import create_authorization
from registry.transactions.services import propose_movement
from tests.factories import make_user, sign_in
from tests.integration.test_applications import opening_form

#: Rows that refusals may add or touch: the record itself, sessions, sign-in counters, the
#: authenticator's throttle (a wrong code counts against it).
VOLATILE = {
    "access.OperationLog",
    "sessions.Session",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "otp_totp.TOTPDevice",
}
#: Forms that take no data, or Django's own (the language switch): nothing in them can be invalid.
NOTHING_TO_REFUSE = {"/logout/", "/i18n/setlang/"}


@dataclass
class HtmlForm:
    action: str
    fields: list[tuple[str, str, str, bool, list[str]]] = field(default_factory=list)  # name, kind, value, required, choices
    buttons: list[tuple[str, str]] = field(default_factory=list)


class FormParser(HTMLParser):
    """The POST forms of a page, with their inputs, selects, text areas and named buttons."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path, self.forms, self.current, self.select = page_path, [], None, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.current = HtmlForm(action=a.get("action") or self.page_path)
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and a.get("name"):
            self.current.fields.append((a["name"], a.get("type", "text"), a.get("value", ""), "required" in a, []))
        elif tag == "textarea" and a.get("name"):
            self.current.fields.append((a["name"], "textarea", "", "required" in a, []))
        elif tag == "select" and a.get("name"):
            self.select = [a["name"], "select", "", "required" in a, []]
        elif tag == "option" and self.select is not None:
            self.select[4].append(a.get("value", ""))
        elif tag == "button" and a.get("name"):
            self.current.buttons.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select is not None and self.current is not None:
            self.current.fields.append(tuple(self.select))
            self.select = None


def post_forms(page: str, path: str) -> list[HtmlForm]:
    parser = FormParser(path)
    parser.feed(page)
    # A form of one button and no data ("Mark all as read") has nothing that could be invalid.
    takes_data = [f for f in parser.forms if f.buttons or any(name != "csrfmiddlewaretoken" for name, *_ in f.fields)]
    return [f for f in takes_data if f.action not in NOTHING_TO_REFUSE]


def invalid_data(form: HtmlForm) -> dict[str, str]:
    """What a careless or hostile user sends: required fields left empty when there are any,
    otherwise every value (hidden ones and buttons too) replaced by one the form cannot take."""
    required = any(req and kind not in ("hidden", "checkbox") for _n, kind, _v, req, _c in form.fields)
    data: dict[str, str] = {}
    for name, kind, value, req, _choices in form.fields:
        if name == "csrfmiddlewaretoken" or kind == "checkbox":
            continue
        if required:
            data[name] = "" if req and kind != "hidden" else value
        else:
            data[name] = "no-such-thing\u202e" if kind in ("hidden", "select", "number", "date", "time", "datetime-local") else "x" * 5000
    for name, value in form.buttons[:1]:
        data[name] = value if required else "no-such-thing"
    return data


def state() -> dict[str, list[dict]]:
    """Every row the registry holds but the record of operations and the session machinery, and
    the stored documents."""
    rows = {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label not in VOLATILE and model._meta.managed
    }
    folder = Path(settings.REGISTRY_UPLOADS)
    rows["uploads"] = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return rows


def last_entry() -> int:
    """The newest entry's key (entries after it are the request's)."""
    return OperationLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        sign_in(client, user)
    return client


@pytest.fixture
def registry_in_use(world, settings, tmp_path):
    """Someone of every kind, and something on every page that has a form."""
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"
    world.issue(100)
    world.representative = make_user("batbayar")
    grant_right(world.admin_mn, world.seller, world.representative, "initiate_and_approve")
    world.approver = make_user("oyun")
    grant_right(world.admin_mn, world.seller, world.approver, "approve")
    world.superuser = make_user("root-admin", administers=world.mongolia)
    world.superuser.is_superuser = True
    world.superuser.save()
    world.newcomer = make_user("newcomer", administers=world.japan)  # must set up an authenticator
    world.pending = propose_movement(
        actor=world.representative, kind="internal_transfer", from_account=world.seller, to_account_number=world.buyer.number, quantity=5
    )
    create_token(world.representative, "erp", "read")
    create_authorization(
        world.admin_mn,
        world.mongolia,
        identifier="MN-NDC-2025",
        date=dt.date(2025, 3, 1),
        cooperative_approach=world.approach,
        purposes="NDC",
        first_transfer_definition="first_international_transfer",
        document_reference="Letter of authorisation",
    )
    # Form 1 returned for correction (the applicant's status page has a form) and one to review.
    anonymous = Client()
    anonymous.post("/apply/account/", opening_form(registry="MNG01"))
    world.returned = Application.objects.get()
    applications.return_for_correction(world.admin_mn, world.returned, "please fix the head office")
    Client().post("/apply/account/", opening_form(registry="MNG01", login_id="second-applicant", email="b@example.sg"))
    world.to_review = Application.objects.exclude(pk=world.returned.pk).get()
    # A Form 2 of the representative's, returned: its page has the correction form.
    client_for(world.representative).post(f"/app/accounts/{world.seller.number}/request/", {"form": "form2", "head_office": "Ulaanbaatar"})
    world.form2 = Application.objects.get(form="form2")
    applications.return_for_correction(world.admin_mn, world.form2, "which district?")
    return world


def pages(world) -> list[tuple[object, str]]:
    """Each page with a form, with whom it is shown to."""
    seller, pk, mn = world.seller.number, world.pending.pk, world.mongolia.registry_id
    return [
        (None, "/login/"),
        (None, "/apply/account/"),
        (None, f"/apply/{world.returned.reference}/{world.returned.access_token}/"),
        (world.newcomer, "/2fa/setup/"),
        (world.representative, f"/app/accounts/{seller}/"),
        (world.representative, "/app/tokens/"),
        (world.representative, "/app/password/"),
        (world.representative, f"/app/applications/{world.form2.pk}/"),
        (world.approver, f"/app/transactions/{pk}/approve/"),
        (world.approver, f"/app/transactions/{pk}/reject/"),
        (world.representative, f"/app/transactions/{pk}/cancel/"),
        (world.admin_mn, f"/app/registries/{mn}/"),
        (world.admin_mn, f"/app/registries/{mn}/hours/"),
        (world.admin_mn, f"/app/registries/{mn}/people/"),
        (world.admin_mn, f"/app/registries/{mn}/authorizations/"),
        (world.admin_mn, f"/app/applications/{world.to_review.pk}/"),
        (world.superuser, "/app/peers/"),
    ]


def test_every_form_sent_with_invalid_data_is_refused_on_record_and_changes_nothing(registry_in_use):
    world = registry_in_use
    walked = []
    for user, path in pages(world):
        client = client_for(user) if user is not world.newcomer else Client()
        if user is world.newcomer:
            client.force_login(user, backend="registry.access.backends.LoginIdBackend")
        page = client.get(path)
        assert page.status_code == 200, path
        forms = post_forms(page.content.decode(), path)
        assert forms, f"{path} shows no form"
        for form in forms:
            data = invalid_data(form)
            before, logged = state(), last_entry()
            response = client.post(form.action, data)
            assert response.status_code < 500, (form.action, data)
            assert state() == before, f"an invalid submission to {form.action} changed something: {data}"
            entries = list(OperationLog.objects.filter(pk__gt=logged).order_by("pk"))
            refusals = [e for e in entries if e.outcome.startswith(("refused", "denied")) or e.action == Operation.LOGIN_FAILED]
            assert refusals, f"the refusal of {form.action} ({data}) is not on record: {[(e.action, e.outcome) for e in entries]}"
            assert all(e.ip == "127.0.0.1" and e.channel == "web" for e in refusals), form.action
            assert all(e.user_id == (user.pk if user else None) for e in refusals), form.action
            walked.append(form.action)
    # The walk reached every page's forms, the two steps of a proposal and a decision included.
    assert len(walked) >= 24, walked


def test_the_propose_preview_form_sent_with_a_malformed_code_is_refused_on_record(registry_in_use):
    world = registry_in_use
    client = client_for(world.representative)
    proposal = {"kind": "internal_transfer", "to_account": world.buyer.number, "quantity": 5}
    preview = client.post(f"/app/accounts/{world.seller.number}/propose/", proposal).content.decode()
    (form,) = [f for f in post_forms(preview, "") if "propose" in f.action]
    data = {name: value for name, _kind, value, _r, _c in form.fields if name != "csrfmiddlewaretoken"} | {"token": "abc"}
    before, logged = state(), last_entry()
    client.post(form.action, data)
    assert state() == before
    assert OperationLog.objects.filter(pk__gt=logged, user=world.representative, outcome__startswith="refused").exists()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/app/no-such-page/", 404),
        ("post", "/app/accounts/", 405),
        ("get", "/app/tokens/999999/revoke/", 405),
        ("get", "/apply/A00000000-NOSUCH/wrong-token/", 404),
        ("get", "/public/XXX01/entities/", 404),
    ],
)
def test_403_404_and_405_answers_are_on_record_with_address_and_user(registry_in_use, method, path, status):
    client = client_for(registry_in_use.representative)
    logged = last_entry()
    assert getattr(client, method)(path).status_code == status
    (entry,) = OperationLog.objects.filter(pk__gt=logged)
    assert entry.user == registry_in_use.representative and entry.ip == "127.0.0.1" and entry.channel == "web"
    assert (entry.action, entry.outcome, entry.target) == (Operation.REQUEST_REFUSED, f"refused {status}", f"{method.upper()} {path}")


def test_a_refusal_on_another_registrys_account_is_on_that_registrys_record(registry_in_use):
    world = registry_in_use
    client = client_for(world.representative)
    logged = last_entry()
    # A form sent to a Japanese account's page the representative may not see: 404, on JPN01's record.
    assert client.post(f"/app/accounts/{world.japanese.number}/trusted/add/", {"trusted": ""}).status_code == 404
    (entry,) = OperationLog.objects.filter(pk__gt=logged)
    assert entry.registry == world.japan and entry.user == world.representative


def test_a_403_is_on_record_once(registry_in_use):
    world = registry_in_use
    logged = last_entry()
    assert client_for(world.representative).get(f"/registries/{world.mongolia.registry_id}/aef/2024.csv").status_code == 403
    (entry,) = OperationLog.objects.filter(pk__gt=logged)
    assert (entry.action, entry.outcome, entry.registry, entry.user) == (
        Operation.AEF_DOWNLOAD,
        "denied",
        world.mongolia,
        world.representative,
    )


def test_a_404_the_view_does_not_record_is_recorded_in_the_registry_it_names(registry_in_use):
    world = registry_in_use
    logged = last_entry()
    assert client_for(world.admin_mn).get(f"/registries/{world.mongolia.registry_id}/aef/99999.csv").status_code == 404
    (entry,) = OperationLog.objects.filter(pk__gt=logged)
    assert (entry.action, entry.outcome, entry.registry, entry.user) == (
        Operation.REQUEST_REFUSED,
        "refused 404",
        world.mongolia,
        world.admin_mn,
    )
    assert entry.target == f"GET /registries/{world.mongolia.registry_id}/aef/99999.csv" and entry.ip == "127.0.0.1"


def test_every_form_of_the_registry_notes_its_invalid_submissions():
    """A new form class that forgets the base would escape the record of invalid submissions."""
    from django import forms

    import registry.applications.forms
    import registry.peers.forms
    import registry.web.admin
    import registry.web.forms
    import registry.web.views.tokens  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {c for c in subclasses(forms.BaseForm) if c.__module__.startswith("registry.") and c is not RecordedForm}
    assert len(ours) >= 20
    assert [c.__qualname__ for c in ours if not issubclass(c, RecordedForm)] == []


def test_a_refusal_is_recorded_only_once_when_the_view_records_it(registry_in_use):
    world = registry_in_use
    client = client_for(world.representative)
    logged = last_entry()
    assert client.get(f"/app/accounts/{world.japanese.number}/").status_code == 404  # the view logs view_account denied
    entries = list(OperationLog.objects.filter(pk__gt=logged))
    assert [(e.action, e.outcome) for e in entries] == [(Operation.VIEW_ACCOUNT, "denied")]


def test_an_address_without_its_slash_is_redirected_not_refused(registry_in_use):
    logged = last_entry()
    assert client_for(registry_in_use.representative).get("/app/accounts").status_code == 301
    assert not OperationLog.objects.filter(pk__gt=logged).exists()
