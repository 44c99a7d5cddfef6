"""The PostgreSQL client tools of this machine (pg_dump, pg_restore, pgbench...)."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path


class ToolMissing(Exception):
    """A PostgreSQL client tool is not installed."""


def postgres_tool(name: str) -> str:
    """The newest installed client tool (it must not be older than the server)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    tool = found[-1] if found else shutil.which(name)
    if tool is None:
        raise ToolMissing(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return tool
