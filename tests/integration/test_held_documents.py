"""Documents kept across a refused application are removed by run-due once nothing can use them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from registry.applications.cleanup import held_document_age
from registry.applications.models import ApplicationDocument
from tests.integration.test_applications import opening_form, pdf, uploads_stored


@pytest.fixture(autouse=True)
def _own_upload_folder(settings, tmp_path):
    settings.REGISTRY_UPLOADS = tmp_path / "uploads"


def age(path: Path, hours: float) -> None:
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def test_run_due_removes_documents_of_an_abandoned_application_once_old_and_keeps_the_rest(world, client, settings, capsys):
    settings.REGISTRY_HELD_DOCUMENT_HOURS = 24
    # An applicant who gave up: three documents kept for a next attempt that never came.
    client.post("/apply/account/", opening_form(passport=pdf("passport.docx")))
    abandoned = uploads_stored()  # before the other application's are stored
    assert len(abandoned) == 3 and not ApplicationDocument.objects.exists()
    # An application that was submitted: its documents are referred to, however old.
    assert Client().post("/apply/account/", opening_form(login_id="other-applicant")).status_code == 302
    submitted = [Path(settings.REGISTRY_UPLOADS) / name for name in ApplicationDocument.objects.values_list("stored_name", flat=True)]
    assert len(submitted) == 4
    foreign = Path(settings.REGISTRY_UPLOADS) / "README.pdf"  # not a name the registry gives: not ours to remove
    foreign.write_bytes(b"%PDF-")
    for path in [*abandoned[:2], *submitted, foreign]:
        age(path, 25)
    age(abandoned[2], 23)  # young enough that a session could still offer it

    call_command("run_due")

    assert not abandoned[0].exists() and not abandoned[1].exists()
    assert abandoned[2].exists() and foreign.exists()
    assert all(path.exists() for path in submitted)
    assert "2 held document(s) no application refers to removed" in capsys.readouterr().out


def test_a_held_document_lives_at_least_as_long_as_a_session(settings):
    settings.REGISTRY_HELD_DOCUMENT_HOURS = 0
    settings.SESSION_COOKIE_AGE = 1800
    assert held_document_age().total_seconds() == 1800
