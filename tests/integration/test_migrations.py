"""The models and the migrations agree: a model change without its migration fails here, not on a deployment."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from registry.access.models import Operation, OperationLog, operation_choices


@pytest.mark.django_db
def test_no_model_change_is_left_without_a_migration() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_an_operation_kind_is_read_from_the_enum_so_adding_one_needs_no_migration() -> None:
    field = OperationLog._meta.get_field("action")
    _, _, _, kwargs = field.deconstruct()
    assert kwargs["choices"] is operation_choices  # the migration names the function, not a copy of the list
    assert list(field.choices) == list(Operation.choices)
