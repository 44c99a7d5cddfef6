"""``registry bench --quick`` runs every measurement end to end on scratch databases and prints each
figure (CI keeps the benchmark working; the real figures are in docs/performance.md). On SQLite, or
on the PostgreSQL server the suite runs on (with pgbench), never touching the suite's database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from django.db import connection

REGISTRY = shutil.which("registry") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "registry")


def test_registry_bench_quick_measures_and_prints_every_figure(tmp_path):
    command = [REGISTRY, "bench", "--quick", "--json", "--output", str(tmp_path / "figures.md")]
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        command += ["--no-sqlite", "--postgres", f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/postgres"]
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"REGISTRY_HOME": str(tmp_path)}
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for expected in ("1 client(s):", "2 client(s):", "raw limit", "ratio", "200 blocks: transfer p50", "2,000 blocks", "verify", "AEF"):
        assert expected in out, expected
    assert "own statements: a transfer p50" in out and "replayed bare" in out
    for run, clients in (("sequential", 1), ("concurrent", 2)):  # --quick: 20 one after another, 2 clients x 10
        assert f"API transfers, {run} ({clients} client(s)): 20 of 20 acknowledged, 20 really moved" in out, out
    served = [line for line in out.splitlines() if "requests/s" in line]
    assert len(served) == 5 and all("(0 errors)" in line and "statuses" not in line for line in served), served
    if connection.vendor == "postgresql":
        assert "pgbench TPC-B-like, 2 client(s):" in out
    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    every = json.loads(out.strip().splitlines()[-1])[database]
    assert every["own_statements"]["statements"] > every["row_writes"] > 0 and every["own_statements"]["ratio"] > 0
    assert every["http_transfers"]["concurrent"] | {"per_second": 0, "p50_ms": 0, "p95_ms": 0} == {
        "clients": 2,
        "planned": 20,
        "sent": 20,
        "acknowledged": 20,
        "real": 20,
        "refused": 0,
        "failures": 0,
        "per_second": 0,
        "p50_ms": 0,
        "p95_ms": 0,
    }
    assert set(every["load"]) == {
        "/health",
        "/public/",
        "/api/v1/registries/MNG01/amounts",
        "/api/v1/search?project=MN-BENCH&limit=50",
        "/",
    }
    figures = (tmp_path / "figures.md").read_text(encoding="utf-8")
    assert "| clients | transfers/s | raw limit/s | ratio | pgbench tps |" in figures and "| 2,000 |" in figures
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("bench-")]  # the scratch database is gone
