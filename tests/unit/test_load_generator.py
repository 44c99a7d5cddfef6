"""The loopback load generator counts, times and bounds its requests, and never sends load off this machine."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.benchmarks.load import Figures, loopback_target, measure, measure_all, post_many


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server would offer

    def do_GET(self) -> None:
        status, close = 200, False
        if self.path == "/fail":
            status = 500
        elif self.path == "/slow":
            time.sleep(0.02)
        elif self.path == "/close":
            close = True
        elif self.path != "/ok":
            status = 404
        body = b"x" * 64
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        # A peer's transfer endpoint: 201 once per Idempotency-Key, the key echoed back, 503 on /full.
        sent = self.rfile.read(int(self.headers["Content-Length"]))
        status = 503 if self.path == "/full" else 201
        body = b'{"key": "%s", "sent": %s}' % (self.headers.get("Idempotency-Key", "").encode(), sent)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_ok_path_completes_requests_without_errors(base_url: str) -> None:
    figures = measure(base_url, "/ok", seconds=0.5, concurrency=4)
    assert isinstance(figures, Figures)
    assert figures.path == "/ok"
    assert figures.requests > 0
    assert figures.errors == 0
    assert figures.rps > 0
    assert figures.seconds >= 0.5
    assert 0 < figures.p50_ms <= figures.p95_ms
    assert figures.statuses == {200: figures.requests}


def test_server_errors_count_as_errors(base_url: str) -> None:
    figures = measure(base_url, "/fail", seconds=0.2, concurrency=2)
    assert figures.requests > 0
    assert figures.errors == figures.requests
    assert figures.statuses == {500: figures.requests}


def test_latency_of_a_slow_path(base_url: str) -> None:
    figures = measure(base_url, "/slow", seconds=0.3, concurrency=2)
    assert figures.requests > 0
    assert figures.p50_ms >= 15
    assert figures.p50_ms <= figures.p95_ms


def test_connection_close_reconnects(base_url: str) -> None:
    figures = measure(base_url, "/close", seconds=0.2, concurrency=2)
    assert figures.requests > 2
    assert figures.errors == 0


def test_max_requests_bounds_the_count(base_url: str) -> None:
    began = time.perf_counter()
    figures = measure(base_url, "/ok", seconds=10, concurrency=4, max_requests=7)
    assert figures.requests == 7
    assert sum(figures.statuses.values()) == 7
    assert time.perf_counter() - began < 5


def test_measure_all_measures_each_path_in_turn(base_url: str) -> None:
    results = measure_all(base_url, ["/ok", "/fail"], seconds=0.1, concurrency=2)
    assert [figures.path for figures in results] == ["/ok", "/fail"]
    assert results[0].errors == 0
    assert results[1].errors == results[1].requests > 0


def test_connection_errors_are_counted(unused_loopback_port: int) -> None:
    figures = measure(f"http://127.0.0.1:{unused_loopback_port}", "/ok", seconds=0.2, concurrency=1, max_requests=5)
    assert figures.requests == 0
    assert figures.errors == 5
    assert figures.statuses == {}


@pytest.fixture
def unused_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (instead of making) every connection attempt."""
    attempts: list[object] = []
    monkeypatch.setattr(http.client.HTTPConnection, "connect", lambda self: attempts.append(self.host))
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: attempts.append(args))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: attempts.append(args))
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:80",
        "http://example.org",
        "http://192.168.1.1:8000",
        "http://0.0.0.0:8000",
        "http://[::2]:8000",
        "http://[::ffff:127.0.0.1]:8000",
        "http://[::7f00:1]:8000",
        "http://127.0.0.1.example.org",
        "http://127.0.0.1@example.org",
        "http://localhost.example.org",
        "https://127.0.0.1:8443",
        "ftp://127.0.0.1",
        "127.0.0.1:8000",
    ],
)
def test_anything_but_http_on_loopback_is_refused_before_connecting(url: str, no_connections: list[object]) -> None:
    began = time.perf_counter()
    with pytest.raises(ValueError):
        measure(url, "/ok", seconds=1, concurrency=1)
    with pytest.raises(ValueError):
        measure_all(url, ["/ok"], seconds=1, concurrency=1)
    assert time.perf_counter() - began < 0.5
    assert no_connections == []


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://localhost:8000", ("localhost", 8000, "")),
        ("http://127.0.0.1:8000/", ("127.0.0.1", 8000, "")),
        ("http://127.1.2.3", ("127.1.2.3", 80, "")),
        ("http://[::1]:8000/prefix/", ("::1", 8000, "/prefix")),
    ],
)
def test_loopback_urls_are_accepted(url: str, target: tuple[str, int, str]) -> None:
    assert loopback_target(url) == target


@pytest.mark.parametrize(
    ("seconds", "concurrency", "max_requests"),
    [(0, 1, 10), (-1, 1, 10), (600.5, 1, 10), (float("nan"), 1, 10), (1, 0, 10), (1, 65, 10), (1, 1, 0)],
)
def test_out_of_bounds_arguments_are_refused(
    seconds: float, concurrency: int, max_requests: int, base_url: str, no_connections: list[object]
) -> None:
    with pytest.raises(ValueError):
        measure(base_url, "/ok", seconds=seconds, concurrency=concurrency, max_requests=max_requests)
    assert no_connections == []


def test_measure_all_refuses_before_measuring_any_path(base_url: str, no_connections: list[object]) -> None:
    with pytest.raises(ValueError):
        measure_all(base_url, ["/ok", "no-leading-slash"], seconds=1, concurrency=1)
    with pytest.raises(ValueError):
        measure_all(base_url, ["/ok"], seconds=1, concurrency=100)
    assert no_connections == []


def test_posts_are_counted_per_client_each_with_a_new_idempotency_key(base_url: str) -> None:
    posted = post_many(f"{base_url}/transfers", body=b'{"quantity": 1}', headers={"X-Peer": "y"}, clients=3, each=5, seconds=30)
    assert posted.acknowledged == 15 and posted.failures == 0 and len(posted.latencies_ms) == 15
    keys = {answer.split(b'"')[3] for _status, answer in posted.answers}
    assert len(keys) == 15 and all(b'"sent": {"quantity": 1}' in answer for _status, answer in posted.answers)
    assert posted.rate > 0 and posted.percentile_ms(50) <= posted.percentile_ms(95)


def test_refused_posts_are_answers_but_not_acknowledgements(base_url: str) -> None:
    posted = post_many(f"{base_url}/full", body=b"{}", headers={}, clients=1, each=4, seconds=30, idempotency=False)
    assert len(posted.answers) == 4 and posted.acknowledged == 0 and posted.rate == 0
    assert all(b'"key": ""' in answer for _status, answer in posted.answers)


def test_posts_stop_at_the_time_bound(base_url: str) -> None:
    posted = post_many(f"{base_url}/transfers", body=b"{}", headers={}, clients=1, each=1_000_000, seconds=0.3)
    assert 0 < len(posted.answers) < 1_000_000 and posted.seconds < 5


def test_posts_are_never_sent_off_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        post_many("http://192.0.2.1/transfers", body=b"{}", headers={}, clients=1, each=1, seconds=1)
