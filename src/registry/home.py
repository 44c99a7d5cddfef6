"""Where the registry keeps its data when nothing says otherwise, found the same way by every entry point.

``scripts/start`` runs from the checkout, so its data is the checkout's ``var``. The ``registry``
command, run from any directory, finds the same folder through the checkout it is installed from
(an editable install); elsewhere the current directory's ``var``. ``REGISTRY_HOME`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path


def registry_home() -> Path:
    if home := os.environ.get("REGISTRY_HOME"):
        return Path(home).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "scripts" / "start").is_file():
        return checkout / "var"
    return (Path.cwd() / "var").resolve()


def sqlite_database() -> Path | None:
    """The SQLite file the registry uses, or None when ``DATABASE_URL`` names another database."""
    return None if os.environ.get("DATABASE_URL") else registry_home() / "registry.sqlite3"
