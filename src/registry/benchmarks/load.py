"""A small, bounded HTTP load generator for benchmarks on loopback.

It measures requests per second and p95 latency of the registry's public pages and API, to be
compared with the same figures for its trivial health view, so a benchmark can tell the cost of a
page from the cost of the server around it. It uses the standard library only, so it works in a
production install that has nothing but Django.

Load is only ever sent to this machine's loopback (``localhost``, 127.0.0.0/8 or ``::1``) over plain
``http://``: any other base URL is refused with ``ValueError`` before anything is sent.
"""

from __future__ import annotations

import http.client
import ipaddress
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

REQUEST_TIMEOUT = 10.0  # seconds, per socket operation of one request
MAX_SECONDS = 600.0
MAX_CONCURRENCY = 64
MAX_REQUESTS = 1_000_000


@dataclass(frozen=True)
class Figures:
    """What one run against one path measured."""

    path: str
    requests: int  # completed requests (any status)
    errors: int  # connection errors, timeouts, and answers with status >= 500
    seconds: float  # measured wall time of the run for this path
    rps: float  # completed requests per second
    p50_ms: float
    p95_ms: float
    statuses: dict[int, int]  # status code -> count


def loopback_target(base_url: str) -> tuple[str, int, str]:
    """Return (host, port, path prefix) of ``base_url``; raise ValueError unless it is http:// on loopback."""
    parts = urlsplit(base_url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// URLs are allowed, not {base_url!r}")
    host = parts.hostname or ""
    if host != "localhost":
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"load is only sent to loopback; {host!r} is not a loopback address") from None
        if not ((address.version == 4 and address.is_loopback) or address == ipaddress.IPv6Address("::1")):
            raise ValueError(f"load is only sent to loopback; {host!r} is not a loopback address")
    if parts.query or parts.fragment:
        raise ValueError(f"the base URL must not carry a query or fragment: {base_url!r}")
    return host, parts.port or 80, parts.path.rstrip("/")


def _checked(base_url: str, path: str, seconds: float, concurrency: int, max_requests: int) -> tuple[str, int, str]:
    """Return (host, port, request target) for one run; raise ValueError if any argument is out of bounds."""
    host, port, prefix = loopback_target(base_url)
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be > 0 and <= {MAX_SECONDS:g}, not {seconds!r}")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, not {concurrency!r}")
    if not 1 <= max_requests <= MAX_REQUESTS:
        raise ValueError(f"max_requests must be between 1 and {MAX_REQUESTS}, not {max_requests!r}")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', not {path!r}")
    return host, port, prefix + path


def _percentile(ordered: list[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending list; 0.0 for an empty one."""
    if not ordered:
        return 0.0
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def measure(
    base_url: str, path: str, *, seconds: float, concurrency: int, headers: dict[str, str] | None = None, max_requests: int = 100_000
) -> Figures:
    """GET ``path`` under ``base_url`` from ``concurrency`` threads for ``seconds``, or until ``max_requests`` were sent.

    Each thread keeps its own keep-alive connection and opens a new one after an error or a
    ``Connection: close``. Every answer's body is read in full. Latency percentiles (nearest rank)
    cover completed requests only; they are 0.0 if none completed. Raises ValueError, before
    sending anything, unless the base URL is http:// on loopback, 0 < seconds <= 600,
    1 <= concurrency <= 64 and 1 <= max_requests <= 1,000,000.
    """
    host, port, target = _checked(base_url, path, seconds, concurrency, max_requests)
    sent_headers = dict(headers or {})
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    failures = 0
    sent = 0
    started = time.perf_counter()
    deadline = started + seconds

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)

    def work() -> None:
        nonlocal failures, sent
        connection = connect()
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if sent >= max_requests:
                        return
                    sent += 1
                began = time.perf_counter()
                try:
                    connection.request("GET", target, headers=sent_headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = connect()
                    with lock:
                        failures += 1
                    continue
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status] += 1
                if response.will_close:
                    connection.close()
                    connection = connect()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"load-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    errors = failures + sum(count for status, count in statuses.items() if status >= 500)
    return Figures(
        path=path,
        requests=len(ordered),
        errors=errors,
        seconds=wall,
        rps=len(ordered) / wall if wall > 0 else 0.0,
        p50_ms=_percentile(ordered, 50) * 1000,
        p95_ms=_percentile(ordered, 95) * 1000,
        statuses=dict(sorted(statuses.items())),
    )


def measure_all(
    base_url: str, paths: list[str], *, seconds: float, concurrency: int, headers: dict[str, str] | None = None
) -> list[Figures]:
    """Measure each path in turn (never two at once), each for ``seconds``; same rules and refusals as ``measure``."""
    for path in paths:  # refuse bad arguments before the first path is measured
        _checked(base_url, path, seconds, concurrency, 1)
    return [measure(base_url, path, seconds=seconds, concurrency=concurrency, headers=headers) for path in paths]


@dataclass(frozen=True)
class Posted:
    """What a run of POSTs measured: every answer's status and body, in the order they came."""

    clients: int
    seconds: float  # wall time from the first request to the last answer
    answers: list[tuple[int, bytes]]
    latencies_ms: list[float]  # ascending, completed requests only
    failures: int  # connection errors and timeouts

    @property
    def acknowledged(self) -> int:
        return sum(1 for status, _ in self.answers if 200 <= status < 300)

    @property
    def rate(self) -> float:
        """Acknowledged requests per second."""
        return self.acknowledged / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, percent: float) -> float:
        return _percentile(self.latencies_ms, percent)


def post_many(
    url: str, *, body: bytes, headers: dict[str, str], clients: int, each: int, seconds: float, idempotency: bool = True
) -> Posted:
    """POST ``body`` to ``url`` ``each`` times from each of ``clients`` threads, every thread on one
    keep-alive connection, one request after another, stopping at ``seconds`` whatever is left.

    With ``idempotency`` every request carries a new ``Idempotency-Key``. Same loopback-only rule
    and bounds as ``measure`` (``each`` counts as ``max_requests``).
    """
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    host, port, target = _checked(base, parts.path + (f"?{parts.query}" if parts.query else ""), seconds, clients, max(1, each))
    lock = threading.Lock()
    answers: list[tuple[int, bytes]] = []
    latencies: list[float] = []
    failures = 0
    run = f"{time.time_ns():x}"
    started = time.perf_counter()
    deadline = started + seconds

    def work(client: int) -> None:
        nonlocal failures
        connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
        try:
            for number in range(each):
                if time.perf_counter() >= deadline:
                    return
                sent = {"Content-Type": "application/json", **headers}
                if idempotency:
                    sent["Idempotency-Key"] = f"bench-{run}-{client}-{number}"
                began = time.perf_counter()
                try:
                    connection.request("POST", target, body=body, headers=sent)
                    response = connection.getresponse()
                    answer = response.read()
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
                    with lock:
                        failures += 1
                    continue
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    answers.append((response.status, answer))
                    latencies.append(elapsed)
                if response.will_close:
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,), name=f"post-{n}", daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Posted(clients, time.perf_counter() - started, answers, sorted(latencies), failures)
