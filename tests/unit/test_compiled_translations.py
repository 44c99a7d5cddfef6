"""The committed Japanese catalogue (.mo) is the one its source (.po) compiles to, and the source is
complete: a stale .mo shows English on Japanese screens although the translation exists."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "registry" / "locale" / "ja" / "LC_MESSAGES"


def _catalog(mo: Path) -> dict[object, str]:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_the_committed_mo_is_what_the_po_compiles_to(tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(LOCALE / "django.po")], check=True)
    assert _catalog(LOCALE / "django.mo") == _catalog(fresh), (
        "django.mo is stale: run msgfmt -o src/registry/locale/ja/LC_MESSAGES/django.mo src/registry/locale/ja/LC_MESSAGES/django.po"
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_every_japanese_entry_is_translated_and_none_is_fuzzy() -> None:
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(LOCALE / "django.po")], capture_output=True, text=True, check=True
    )
    statistics = result.stderr.strip().splitlines()[-1]
    assert "untranslated" not in statistics and "fuzzy" not in statistics, statistics
