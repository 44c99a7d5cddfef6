"""``registry bench``: the figures we show users, measured the same way every time.

For each database (a scratch SQLite file; with ``--postgres``, a scratch database on that server,
dropped afterwards) it measures, each step in processes of its own:

1. a transfer against its own statements (the exact SQL one transfer issues, captured from the
   engine in the same run and replayed bare through the same driver in one transaction, from one
   process); completed transfers per second from 1 and from N concurrent client processes, against
   the same processes doing bare transactions with the same number of row writes; on PostgreSQL
   also ``pgbench``'s TPC-B-like figure on the same server;
2. p50 and p99 of one transfer as the ledger grows to each size (blocks, after single-serial
   transfers have fragmented it);
3. ``registry verify`` and the AEF export at each size: seconds and peak memory (RSS);
4. the public pages and the API under concurrent load (loopback only, bounded in time), against the
   same server's trivial health view;
5. transfers over the API: sequential 1-unit transfers on one keep-alive connection, each with an
   ``Idempotency-Key``, by an administrator (they complete at once), then N clients at once; every
   acknowledgement is checked in the database to be a real completed transfer. With ``--http-peer``
   the same client times another registry's transfer endpoint (given headers and body).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from registry.benchmarks.load import Figures, Posted, measure_all, post_many
from registry.installation.postgres import postgres_tool

REGISTRY = str(Path(sys.executable).with_name("registry"))
LOAD_PATHS = ["/health", "/public/", "/api/v1/registries/MNG01/amounts", "/api/v1/search?project=MN-BENCH&limit=50", "/"]


@dataclass
class Options:
    sizes: list[int]
    seconds: float
    clients: int
    samples: int
    postgres: str | None
    scratch: Path  # where the SQLite scratch database goes: beside the registry's data, on the same disk
    sqlite: bool = True
    say: Callable[[str], None] = print
    http_sequential: int = 500  # 1-unit transfers over the API, one after another
    http_each: int = 100  # ... and per client, ``clients`` at once
    own_samples: int = 200  # transfers timed against their own statements
    peer: Peer | None = None


@dataclass(frozen=True)
class Peer:
    """Another registry's transfer endpoint, timed with the same client: what to POST and with which headers."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Report:
    database: str
    row_writes: int = 0
    throughput: dict[int, tuple[float, float]] = field(default_factory=dict)  # clients -> (transfers/s, raw/s)
    pgbench: dict[int, float] = field(default_factory=dict)
    latency: dict[int, dict[str, float]] = field(default_factory=dict)
    verify: dict[int, tuple[float, float]] = field(default_factory=dict)  # size -> (seconds, peak MiB)
    aef: dict[int, tuple[float, float]] = field(default_factory=dict)
    load: list[Figures] = field(default_factory=list)
    own: dict[str, float] = field(default_factory=dict)  # a transfer against its own statements
    http: dict[str, dict[str, float]] = field(default_factory=dict)  # "sequential" / "concurrent" -> figures


def run(options: Options) -> list[Report]:
    reports = []
    if options.sqlite:
        with _sqlite(options.scratch) as env:
            reports.append(_bench("SQLite", env, options))
    if options.postgres:
        with _postgres(options.postgres) as env:
            reports.append(_bench("PostgreSQL", env, options))
    if options.peer is not None:
        reports.append(_bench_peer(options.peer, options))
    return reports


def _bench_peer(peer: Peer, options: Options) -> Report:
    """The peer's transfer endpoint with the same client and counts; its answers are not checked
    (this registry cannot see the peer's ledger): acknowledged means a 2xx answer."""
    report = Report(f"peer {peer.url}")
    options.say(f"== peer: {peer.url}")
    report.http = _post_transfers(peer.url, peer.headers, peer.body, options)
    _say_http(report, options.say)
    return report


@contextmanager
def _sqlite(scratch: Path) -> Iterator[dict[str, str]]:
    # Beside the operator's data (the same disk), not in a RAM-backed /tmp: commits cost what they cost.
    home = Path(tempfile.mkdtemp(prefix="bench-", dir=scratch))
    try:
        yield {"REGISTRY_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'bench.sqlite3'}"}
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def _postgres(url: str) -> Iterator[dict[str, str]]:
    import psycopg

    name = f"registry_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    home = Path(tempfile.mkdtemp(prefix="bench-"))
    scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))  # the same server and options, another database
    try:
        yield {"REGISTRY_HOME": str(home), "DATABASE_URL": scratch, "PGBENCH_URL": scratch}
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


def _env(extra: dict[str, str]) -> dict[str, str]:
    # Plain HTTP on loopback: REGISTRY_SECURE's redirect to HTTPS would measure nothing but redirects.
    return {**os.environ, **extra, "REGISTRY_API_RATE": "1000000/60", "REGISTRY_API_ANONYMOUS_RATE": "1000000/60", "REGISTRY_SECURE": "0"}


def _part(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run([REGISTRY, "bench-part", *args], env=_env(env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench-part {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _bench(database: str, env: dict[str, str], options: Options) -> Report:
    say = options.say
    report = Report(database)
    say(f"== {database}: setting up the scratch registry")
    world = _part(env, "setup", "--clients", str(options.clients))
    report.row_writes = int(world["row_writes"])
    report.own = _part(env, "own", "--samples", str(options.own_samples))
    say(
        f"   own statements: a transfer p50 {report.own['transfer_p50_ms']:.2f} ms, its {report.own['statements']:.0f} statements"
        f" replayed bare {report.own['bare_p50_ms']:.2f} ms, ratio {report.own['ratio']:.2f}"
        f" (plus {report.own['control_statements']:.0f} savepoint statements not replayed)"
    )
    for clients in sorted({1, options.clients}):
        transfers = _concurrent(env, clients, "transfer", report.row_writes, options.seconds)
        raw = _concurrent(env, clients, "raw", report.row_writes, options.seconds)
        report.throughput[clients] = (transfers, raw)
        say(f"   {clients} client(s): {transfers:,.0f} transfers/s, raw limit {raw:,.0f}/s, ratio {transfers / raw:.2f}")
        if "PGBENCH_URL" in env:
            report.pgbench[clients] = _pgbench(env["PGBENCH_URL"], clients, options.seconds)
            say(f"   pgbench TPC-B-like, {clients} client(s): {report.pgbench[clients]:,.0f} tps")
    for size in options.sizes:
        grown = _part(env, "grow", "--blocks", str(size))
        report.latency[size] = _part(env, "latency", "--samples", str(options.samples))
        report.verify[size] = _timed(env, "verify")
        report.aef[size] = _timed(env, "aef", "--registry", "MNG01", "--year", str(time.gmtime().tm_year), "--output", os.devnull)
        say(
            f"   {grown['blocks']:,} blocks: transfer p50 {report.latency[size]['p50_ms']:.1f} ms, p99 {report.latency[size]['p99_ms']:.1f} ms;"
            f" verify {report.verify[size][0]:.1f} s / {report.verify[size][1]:.0f} MiB; AEF {report.aef[size][0]:.1f} s / {report.aef[size][1]:.0f} MiB"
        )
    report.load, report.http = _load(env, options, world)
    for figures in report.load:
        odd = {status: n for status, n in figures.statuses.items() if status != 200}
        say(
            f"   {figures.path}: {figures.rps:,.0f} requests/s, p95 {figures.p95_ms:.1f} ms ({figures.errors} errors){f', statuses {odd}' if odd else ''}"
        )
    _say_http(report, say)
    return report


def _say_http(report: Report, say: Callable[[str], None]) -> None:
    for name, h in report.http.items():
        real = f", {h['real']:.0f} really moved" if "real" in h else ""
        if h.get("planned", h["sent"]) > h["sent"]:
            real += f" (the time bound stopped it after {h['sent']:.0f} of {h['planned']:.0f})"
        say(
            f"   API transfers, {name} ({h['clients']:.0f} client(s)): {h['acknowledged']:.0f} of {h['sent']:.0f} acknowledged{real},"
            f" {h['per_second']:,.1f}/s, p50 {h['p50_ms']:.1f} ms, p95 {h['p95_ms']:.1f} ms ({h['failures']:.0f} failures)"
        )


def _post_transfers(url: str, headers: dict[str, str], body: bytes, options: Options) -> dict[str, dict[str, float]]:
    """Sequential, then ``clients`` at once; each bounded in time."""
    figures: dict[str, dict[str, float]] = {}
    runs = {"sequential": (1, options.http_sequential), "concurrent": (options.clients, options.http_each)}
    for name, (clients, each) in runs.items():
        posted = post_many(url, body=body, headers=headers, clients=clients, each=each, seconds=max(60.0, options.seconds * 6))
        figures[name] = _posted_figures(posted, clients * each)
        if refused := [answer for status, answer in posted.answers if not 200 <= status < 300]:
            options.say(f"   refused: {refused[0][:300]!r}")
        figures[name]["_answers"] = posted  # type: ignore[assignment]  # checked by the caller, dropped before printing
    return figures


def _posted_figures(posted: Posted, planned: int) -> dict[str, float]:
    return {
        "clients": posted.clients,
        "planned": planned,  # more than were sent if the run reached its time bound
        "sent": len(posted.answers) + posted.failures,
        "acknowledged": posted.acknowledged,
        "per_second": posted.rate,
        "p50_ms": posted.percentile_ms(50),
        "p95_ms": posted.percentile_ms(95),
        "failures": posted.failures,
        "refused": len(posted.answers) - posted.acknowledged,
    }


def _concurrent(env: dict[str, str], clients: int, role: str, writes: int, seconds: float) -> float:
    """Operations per second from ``clients`` worker processes started together: each says when it
    is ready (Django set up, connected), and only then are they all given the same window."""
    args = ["--role", role, "--writes", str(writes)]
    workers = [
        subprocess.Popen(
            [REGISTRY, "bench-part", "worker", "--index", str(i), *args],
            env=_env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(clients)
    ]
    done = 0
    try:
        for worker in workers:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a {role} worker failed to start")
        start_at = time.time() + 0.2
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{start_at} {start_at + seconds}\n")
            worker.stdin.flush()
        for worker in workers:
            out, _ = worker.communicate(timeout=seconds + 300)
            if worker.returncode != 0:
                raise RuntimeError(f"a {role} worker failed")
            done += int(json.loads(out.strip().splitlines()[-1])["done"])
    finally:  # none is left running (on its scratch database) when one fails
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return done / seconds


def _pgbench(url: str, clients: int, seconds: float) -> float:
    from psycopg.conninfo import conninfo_to_dict

    # The connection goes in libpq's environment: a password never shows on a command line.
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE", "sslmode": "PGSSLMODE"}
    environment = {**os.environ, **{names[k]: str(v) for k, v in conninfo_to_dict(url).items() if k in names and v is not None}}
    tool = postgres_tool("pgbench")
    initialised = subprocess.run([tool, "-i", "-q", "-s", "10"], env=environment, capture_output=True, text=True, check=False)
    measured = subprocess.run(
        [tool, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(max(1, int(seconds)))],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if initialised.returncode or measured.returncode:
        raise RuntimeError(f"pgbench failed: {initialised.stderr[-1000:]}{measured.stderr[-1000:]}")
    line = next(line for line in measured.stdout.splitlines() if line.startswith("tps ="))
    return float(line.split()[2])


def _timed(env: dict[str, str], *command: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one ``registry`` command in a process of its own."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty command cannot block on it
        began = time.perf_counter()
        process = subprocess.Popen([REGISTRY, *command], env=_env(env), stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - began
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"registry {' '.join(command)} failed: {errors.read().decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, server: subprocess.Popen[Any], seconds: float = 60) -> None:
    """Return once ``server`` accepts connections on ``port``; raise if it dies or takes too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server on port {port} did not start") from None
            time.sleep(0.1)


def _load(env: dict[str, str], options: Options, world: dict[str, Any]) -> tuple[list[Figures], dict[str, dict[str, float]]]:
    """Serve the scratch registry with gunicorn (2 workers, 4 threads each) and load it on loopback:
    the pages, then transfers over the API, each checked in the database. REGISTRY_BENCH_PORT
    chooses the port (on a shared machine), otherwise any free one."""
    port = int(os.environ.get("REGISTRY_BENCH_PORT") or free_port())
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "registry.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
        env=_env(env),
    )  # fmt: skip
    try:
        wait_until_listening(port, server)
        # Warm up first (every worker and thread imported, connected, templates loaded): else the
        # first path measured pays for the server's start.
        measure_all(f"http://127.0.0.1:{port}", LOAD_PATHS, seconds=min(2.0, options.seconds), concurrency=8)
        pages = measure_all(f"http://127.0.0.1:{port}", LOAD_PATHS, seconds=options.seconds, concurrency=8)
        body = json.dumps(
            {"kind": "internal_transfer", "from_account": world["from_account"], "to_account": world["to_account"], "quantity": 1}
        )
        headers = {"Authorization": f"Bearer {world['token']}"}
        http = _post_transfers(f"http://127.0.0.1:{port}/api/v1/transactions", headers, body.encode(), options)
        for figures in http.values():
            posted: Posted = figures.pop("_answers")  # type: ignore[assignment]
            figures.update(_checked_answers(env, posted))
        return pages, http
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _checked_answers(env: dict[str, str], posted: Posted) -> dict[str, float]:
    """Ask the scratch database whether each acknowledgement is a real completed transfer."""
    bodies = [answer.decode() for status, answer in posted.answers if 200 <= status < 300]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as answers:
        answers.write("\n".join(bodies))
        answers.flush()
        checked = _part(env, "acknowledged", "--answers", answers.name)
    if checked["units_held"] != checked["completed_to_receiver"]:
        raise RuntimeError(f"the receiver holds {checked['units_held']} units after {checked['completed_to_receiver']} transfers")
    return {"real": checked["real"]}


def figures_json(reports: list[Report]) -> str:
    """Every figure as one line of JSON, so that one run can be compared with another."""
    out: dict[str, Any] = {}
    for r in reports:
        out[r.database] = {
            "row_writes": r.row_writes,
            "own_statements": r.own,
            "throughput": {str(c): {"transfers_per_s": t, "raw_per_s": raw} for c, (t, raw) in r.throughput.items()},
            "pgbench_tps": {str(c): tps for c, tps in r.pgbench.items()},
            "latency": {str(size): figures for size, figures in r.latency.items()},
            "verify": {str(size): {"seconds": s, "peak_mib": m} for size, (s, m) in r.verify.items()},
            "aef": {str(size): {"seconds": s, "peak_mib": m} for size, (s, m) in r.aef.items()},
            "load": {f.path: {"rps": f.rps, "p50_ms": f.p50_ms, "p95_ms": f.p95_ms, "errors": f.errors} for f in r.load},
            "http_transfers": r.http,
        }
    return json.dumps(out, sort_keys=True)


def markdown(reports: list[Report], options: Options) -> str:
    """The figures as the tables of ``docs/performance.md``."""
    lines: list[str] = []
    for r in reports:
        lines += [f"### {r.database}", ""]
        if r.own:
            lines += [
                "| a transfer p50 ms | its own statements, bare, p50 ms | ratio | statements | savepoint statements |",
                "| ---: | ---: | ---: | ---: | ---: |",
                f"| {r.own['transfer_p50_ms']:.2f} | {r.own['bare_p50_ms']:.2f} | {r.own['ratio']:.2f} | {r.own['statements']:.0f}"
                f" | {r.own['control_statements']:.0f} |",
                "",
            ]
        if r.throughput:
            lines += [
                f"A transfer writes {r.row_writes} rows (statements); the raw limit is a bare transaction with as many.",
                "",
                "| clients | transfers/s | raw limit/s | ratio | pgbench tps |",
                "| ---: | ---: | ---: | ---: | ---: |",
            ]
            for clients, (transfers, raw) in sorted(r.throughput.items()):
                pgbench = f"{r.pgbench[clients]:,.0f}" if clients in r.pgbench else "n/a"
                lines.append(f"| {clients} | {transfers:,.0f} | {raw:,.0f} | {transfers / raw:.2f} | {pgbench} |")
            lines.append("")
        if r.latency:
            lines += [
                "| blocks | transfer p50 ms | p99 ms | verify s | verify MiB | AEF s | AEF MiB |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for size in sorted(r.latency):
                lat, ver, aef = r.latency[size], r.verify[size], r.aef[size]
                lines.append(
                    f"| {size:,} | {lat['p50_ms']:.1f} | {lat['p99_ms']:.1f} | {ver[0]:.1f} | {ver[1]:.0f} | {aef[0]:.1f} | {aef[1]:.0f} |"
                )
            lines.append("")
        if r.load:
            lines += ["| path | requests/s | p95 ms | errors |", "| --- | ---: | ---: | ---: |"]
            lines += [f"| `{f.path}` | {f.rps:,.0f} | {f.p95_ms:.1f} | {f.errors} |" for f in r.load]
            lines.append("")
        if r.http:
            lines += [
                "| API transfers | clients | sent | acknowledged | really moved | per second | p50 ms | p95 ms |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for name, h in r.http.items():
                real = f"{h['real']:.0f}" if "real" in h else "not checked"
                lines.append(
                    f"| {name} | {h['clients']:.0f} | {h['sent']:.0f} | {h['acknowledged']:.0f} | {real} | {h['per_second']:,.1f}"
                    f" | {h['p50_ms']:.1f} | {h['p95_ms']:.1f} |"
                )
            lines.append("")
    return "\n".join(lines)
