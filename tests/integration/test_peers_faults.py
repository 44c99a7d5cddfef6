"""Two installations on loopback (``tests.peers_support``), each its own gunicorn server, worker
and database (SQLite and PostgreSQL, then both on PostgreSQL), trading ITMOs in both directions
through a proxy that injects faults: a lost proposal, a lost answer, a duplicated, a reordered and
a replayed message, a bad signature, a proposal delayed past the time limit, and each server (with
its worker) SIGKILLed mid-transfer and restarted. Afterwards ``registry verify`` passes on both
sides, ``registry reconcile`` finds nothing, no serial is held on both sides, and on both sides
together the units held plus those used (retirement and use accounts) plus those cancelled equal
those issued, each term of the used and cancelled ones non-zero. Then the bad input of the issue,
sent to a real server: each refused with its check code, logged, nothing changed on either side;
and a tampered book that reconciliation names (1543, 7511) and a refused query (1534).

Korea's installation hosts KOR01 (and JPN01 and MNG01, as ``registry init`` makes every one);
Thailand's hosts THA01. Each registry's seller sells its own ITMOs to the other's buyer; each buyer
sends units it received back to the other's seller (who sells them again: a third trip); by
quantity and as a part of a block; and among the transfers, on both sides, retirements (towards
the NDC, of units received, and voluntary) and voluntary cancellations, of units received and of
its own. Each installation's operator is one long-lived process (``peer_faults_driver``), so a step
costs no process start, and each step acts on both installations at once, many transfers in
flight.

Runs in the PostgreSQL phase of the suite (``DATABASE_URL`` a PostgreSQL server, where it makes its
own databases); skipped without one. Bounded by count and by time: at most
``REGISTRY_PEER_FAULT_TRANSFERS`` transfers per pairing (default 200), none proposed once
``REGISTRY_PEER_FAULT_SECONDS`` are spent (default 120), and fewer than
``REGISTRY_PEER_FAULT_FLOOR`` (default three quarters of the count) fails the run; it prints what it
made. ``REGISTRY_PEER_FAULT_PORTS`` (a first port, four used from it) keeps it to given ports;
``REGISTRY_PEER_FAULT_SEED`` repeats a run's random choices as far as timing allows (a side
waits while 16 of its transfers are in flight).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.benchmarks.run import free_port
from registry.core import peer_messages as pm
from tests.peers_support import Installation, connect, postgres_database

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = str(Path(sys.executable).parent / "registry")
TRANSFERS = int(os.environ.get("REGISTRY_PEER_FAULT_TRANSFERS", "200"))
#: No new transfer is proposed once this many seconds are spent (then the run drains and is checked)...
SECONDS = float(os.environ.get("REGISTRY_PEER_FAULT_SECONDS", "120"))
#: ...but fewer transfers than this fails the run: it did not test what it says.
FLOOR = int(os.environ.get("REGISTRY_PEER_FAULT_FLOOR", str(TRANSFERS * 3 // 4)))
KOREA, THAILAND = ("KR", "KOR", "Korea", "KOR01"), ("TH", "THA", "Thailand", "THA01")
APPROACH = "CA0002"  # the cooperative approach of Korea and Thailand, known to both installations
RESEND_SECONDS = 12  # the time limit: a proposal unanswered this long is resolved by asking
#: A side proposes no new transfer while this many of its own wait for an answer: a backlog the
#: worker cannot send within the time limit would only be declared void (correct, but no trade).
IN_FLIGHT = 16

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="two installations with their own databases run in the PostgreSQL phase (DATABASE_URL)",
)


# One installation (tests.peers_support), its worker and its operator (the driver), each a process ----------


class Side:
    """An installation of ``tests.peers_support`` (its gunicorn server) with its worker (``registry
    peer run``) and its long-lived operator (``peer_faults_driver``, answering one JSON line a command)."""

    def __init__(self, name: str, installation: Installation, logs: Path) -> None:
        self.name, self.installation, self.logs = name, installation, logs
        self.registry_id = installation.registry_id
        self.env = {**installation.env(), "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
        self.worker: subprocess.Popen[bytes] | None = None
        log = open(logs / f"{name}-driver.log", "ab")  # noqa: SIM115 (kept open while the driver runs)
        self.driver = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.peer_faults_driver"],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=ROOT,
        )
        self._ask_lock = threading.Lock()

    def ask(self, op: str, **arguments: Any) -> dict[str, Any]:
        assert self.driver.stdin is not None and self.driver.stdout is not None
        with self._ask_lock:
            self.driver.stdin.write((json.dumps({"op": op, **arguments}) + "\n").encode())
            self.driver.stdin.flush()
            line = self.driver.stdout.readline()
        assert line, f"the {self.name} driver stopped (see {self.logs})"
        answer: dict[str, Any] = json.loads(line)
        assert "error" not in answer, answer
        return answer

    def start(self) -> None:
        self.installation.start()
        log = open(self.logs / f"{self.name}-worker.log", "ab")  # noqa: SIM115
        self.ask("plant")
        self.worker = subprocess.Popen([REGISTRY, "peer", "run", "--interval", "0.2"], env=self.env, stdout=log, stderr=log, cwd=ROOT)
        deadline = time.monotonic() + 120
        while not self.ask("worker_running")["running"]:  # its first pass forgot the stale message planted
            assert self.worker.poll() is None and time.monotonic() < deadline, f"the {self.name} worker did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server (its process group) and the worker: no clean-up, whatever they were doing."""
        self.installation.kill()
        if self.worker is not None and self.worker.poll() is None:
            os.kill(self.worker.pid, signal.SIGKILL)
            self.worker.wait()

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return self.installation.registry(*arguments, ok=False)

    def tail(self, process: str) -> str:
        return (self.logs / f"{self.name}-{process}.log").read_text(errors="replace")[-1500:]

    def signing_key(self) -> Ed25519PrivateKey:
        key = serialization.load_pem_private_key((self.installation.home / "peer_signing_key.pem").read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key

    def close(self) -> None:
        self.kill()
        if self.driver.poll() is None:
            assert self.driver.stdin is not None
            self.driver.stdin.close()
            try:
                self.driver.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.driver.pid, signal.SIGKILL)


# The fault-injecting proxy between the two -----------------------------------------------------------


@dataclass
class Rule:
    """What to do with the next message of ``kind`` (``transfer_proposal``, ``status``, or ``*``)."""

    action: str
    kind: str = "transfer_proposal"
    transfer: int | None = None  # the delayed transfer, once its first proposal is held
    held: bytes = b""


@dataclass
class Event:
    action: str
    kind: str
    transfer: object
    status: int | None = None
    answers: list[bytes] = field(default_factory=list)


class FaultProxy(ThreadingHTTPServer):
    """Forwards ``POST /api/v1/peer/`` to the receiving server, doing to the next matching messages
    what its rules say; every fault it applied is an ``Event`` the test checks the outcome of."""

    daemon_threads = True

    def __init__(self, port: int, target: int, kill_target: Callable[[], None]) -> None:
        super().__init__(("127.0.0.1", port), _Forward)
        self.target, self.kill_target = target, kill_target
        self.rules: list[Rule] = []
        self.events: list[Event] = []
        self.lock = threading.Lock()
        self.after_next: list[bytes] = []  # reordered: sent after the next message passes
        self.last_proposal: tuple[bytes, bytes] | None = None

    def add(self, rule: Rule) -> None:
        with self.lock:
            self.rules.append(rule)

    def take(self, kind: str, transfer: object) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.action == "delay" and rule.transfer is not None:
                    if rule.transfer == transfer and kind == "transfer_proposal":
                        return Rule("drop")  # every resent copy of the delayed proposal is lost too
                    continue
                if rule.kind in (kind, "*"):
                    if rule.action != "delay":
                        self.rules.remove(rule)
                    return rule
        return None

    def forward(self, body: bytes) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.target, timeout=10)
        try:
            connection.request("POST", "/api/v1/peer/", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def replay_last_proposal(self) -> tuple[bytes, tuple[int, bytes]]:
        assert self.last_proposal is not None
        body, first_answer = self.last_proposal
        return first_answer, self.forward(body)

    def pending_rules(self) -> list[str]:
        with self.lock:
            return [r.action for r in self.rules]


class _Forward(BaseHTTPRequestHandler):
    server: FaultProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            envelope = json.loads(body)["body"]
            kind, transfer = envelope["kind"], envelope["payload"].get("transfer")
        except (ValueError, KeyError, TypeError, AttributeError):
            kind, transfer = "?", None
        proxy = self.server
        rule = proxy.take(kind, transfer)
        action = rule.action if rule else "forward"
        event = Event(action, kind, transfer)
        try:
            if action == "drop":  # a lost message: the connection closes, nothing reached the receiver
                self.close_connection = True
                return
            if action == "hold":  # reordered: lost now, delivered after the next message
                with proxy.lock:
                    proxy.after_next.append(body)
                proxy.events.append(event)
                self.close_connection = True
                return
            if action == "delay" and rule is not None:  # past the time limit: delivered after the sender asked
                with proxy.lock:
                    rule.transfer, rule.held = transfer, body
                proxy.events.append(event)
                self.close_connection = True
                return
            if action == "corrupt":
                message = json.loads(body)
                signature = message["signature"]
                message["signature"] = ("B" if signature[0] != "B" else "C") + signature[1:]
                body = json.dumps(message).encode()
            if action == "kill":
                threading.Timer(0.02, proxy.kill_target).start()
            status, answer = proxy.forward(body)
            event.status, event.answers = status, [answer]
            if action == "duplicate":
                again = proxy.forward(body)
                event.answers.append(again[1])
                status, answer = again
            if kind == "transfer_proposal" and status == 200 and action == "forward":
                proxy.last_proposal = (body, (status, answer))
            self._release_held(kind, transfer, status)
            if action == "lose_answer":  # the receiver acted; its answer never reaches the sender
                proxy.events.append(event)
                self.close_connection = True
                return
        except OSError as error:  # the receiver is down (killed, restarting)
            event.status = 502
            status, answer = 502, json.dumps({"detail": str(error)}).encode()
        if action != "forward":
            proxy.events.append(event)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _release_held(self, kind: str, transfer: object, status: int) -> None:
        proxy = self.server
        with proxy.lock:
            held, proxy.after_next = proxy.after_next, []
            # The late proposal arrives only once the receiver has really answered the sender's question
            # (a 503 or 429 under load decided nothing there, so the proposal would rightly be accepted).
            asked = kind == "status" and status == 200
            delayed = [r for r in proxy.rules if r.action == "delay" and r.transfer == transfer and asked]
            for rule in delayed:
                proxy.rules.remove(rule)
        for body in held:
            status, answer = proxy.forward(body)
            proxy.events.append(Event("held delivered", "transfer_proposal", None, status, [answer]))
        for rule in delayed:  # the sender has asked and been answered: now the late proposal arrives
            status, answer = proxy.forward(rule.held)
            proxy.events.append(Event("late delivered", "transfer_proposal", rule.transfer, status, [answer]))


# The two installations and the proxies, per pairing of databases --------------------------------------


def _ports() -> list[int]:
    first = os.environ.get("REGISTRY_PEER_FAULT_PORTS")
    return list(range(int(first), int(first) + 4)) if first else [free_port() for _ in range(4)]


@dataclass
class Pair:
    korea: Side
    thailand: Side
    to_thailand: FaultProxy
    to_korea: FaultProxy
    korean: dict[str, Any]
    thai: dict[str, Any]
    restarts: list[threading.Thread] = field(default_factory=list)

    def kill_and_restart(self, side: Side) -> Callable[[], None]:
        def act() -> None:
            side.kill()
            time.sleep(0.3)
            side.start()

        def later() -> None:
            thread = threading.Thread(target=act)
            self.restarts.append(thread)
            thread.start()

        return later


#: Each installation's settings for the run: short time limit, retries and timeouts, no delays.
SETTINGS = {
    "REGISTRY_UNTRUSTED_DELAY_HOURS": "0",
    "REGISTRY_PEER_RESEND_SECONDS": str(RESEND_SECONDS),
    "REGISTRY_PEER_FIRST_RETRY_SECONDS": "0.2",
    "REGISTRY_PEER_TIMEOUT_SECONDS": "5",
}


_TEMPLATES: dict[str, Installation] = {}


def _template(root: Path, url: str, engine: str) -> Installation:
    """An installation just initialised on ``engine``, made once for the module, copied by each pairing."""
    if engine not in _TEMPLATES:
        database = postgres_database(url, "registry_peer_template") if engine == "postgresql" else None
        _TEMPLATES[engine] = Installation.initialised(root / f"template-{engine}", database)
    return _TEMPLATES[engine]


@pytest.fixture(scope="module", params=["sqlite+postgresql", "postgresql+postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    began = time.monotonic()
    url = os.environ["DATABASE_URL"]
    root = tmp_path_factory.mktemp(f"peer-faults-{request.param}")
    logs = root / "logs"
    logs.mkdir()
    ports = _ports()
    # One `registry init` per engine for the whole module, copied (a PostgreSQL database by TEMPLATE).
    korea_db = None if request.param.startswith("sqlite") else postgres_database(url, "registry_peer_korea")
    thailand_db = postgres_database(url, "registry_peer_thailand")
    if korea_db is not None:
        _template(root, url, "postgresql")

    def korea_installation() -> Installation:
        template = _template(root, url, "sqlite" if korea_db is None else "postgresql")
        return Installation.create(
            root / "korea", port=ports[0], registry=KOREA, database_url=korea_db, extra_env=SETTINGS, template=template
        )

    def thailand_installation() -> Installation:
        template = _template(root, url, "postgresql")
        return Installation.create(
            root / "thailand", port=ports[1], registry=THAILAND, database_url=thailand_db, extra_env=SETTINGS, template=template
        )

    made = both(korea_installation, thailand_installation)
    setup = time.monotonic()
    # Each reaches the other through a fault-injecting proxy.
    made[0].peer_url, made[1].peer_url = f"http://127.0.0.1:{ports[3]}", f"http://127.0.0.1:{ports[2]}"
    connect(*made)
    korea, thailand = Side("korea", made[0], logs), Side("thailand", made[1], logs)
    proxies: list[FaultProxy] = []
    try:
        korean, thai = both(
            lambda: korea.ask("setup", registry_id="KOR01", partner=THAILAND[:3], approach=APPROACH, project="KR001", authorization="KR-1"),
            lambda: thailand.ask("setup", registry_id="THA01", partner=KOREA[:3], approach=APPROACH, project="TH001", authorization="TH-1"),
        )
        holder: dict[str, Pair] = {}
        to_thailand = FaultProxy(ports[2], thailand.installation.port, lambda: holder["pair"].kill_and_restart(thailand)())
        to_korea = FaultProxy(ports[3], korea.installation.port, lambda: holder["pair"].kill_and_restart(korea)())
        proxies = [to_thailand, to_korea]
        for proxy in proxies:
            threading.Thread(target=proxy.serve_forever, daemon=True).start()
        both(korea.start, thailand.start)
        holder["pair"] = Pair(korea, thailand, to_thailand, to_korea, korean, thai)
        # One unit each way before any fault: both workers are up and the path works.
        korea.ask("transfer", seller=korean["seller"], to=thai["buyer"], quantity=1)
        thailand.ask("transfer", seller=thai["seller"], to=korean["buyer"], quantity=1)
        first = settled(holder["pair"], seconds=90)
        assert first[0]["completed"] == first[1]["completed"] == 1, (first[0]["outcomes"], first[1]["outcomes"])
        print(f"{request.param}: installations made in {setup - began:.1f} s, serving and trading in {time.monotonic() - began:.1f} s")
        yield holder["pair"]
    finally:
        for proxy in proxies:
            proxy.shutdown()
            proxy.server_close()
        korea.close()
        thailand.close()


def both(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run the two installations' steps at once (each is its own processes): the run's set-up time halves."""
    results: dict[int, Any] = {}

    def run(index: int, step: Callable[[], Any]) -> None:
        results[index] = step()

    threads = [threading.Thread(target=run, args=(i, step)) for i, step in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2, "a step failed (see its output above)"
    return results[0], results[1]


def settled(pair: Pair, seconds: float = 60) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides' state once no transfer is unsettled (the workers resolve every one by asking)."""
    deadline = time.monotonic() + seconds
    while True:
        for thread in pair.restarts:
            thread.join()
        for side in (pair.korea, pair.thailand):
            assert side.worker is not None and side.worker.poll() is None, f"the {side.name} worker died: {side.tail('worker')}"
        korea, thailand = pair.korea.ask("state"), pair.thailand.ask("state")
        if korea["unsettled"] == thailand["unsettled"] == 0:
            return korea, thailand
        assert time.monotonic() < deadline, f"still unsettled: {korea['unsettled']} in Korea, {thailand['unsettled']} in Thailand"
        time.sleep(0.3)


def held_serials(state: dict[str, Any]) -> dict[str, list[tuple[int, int]]]:
    found: dict[str, list[tuple[int, int]]] = {}
    for origin, start, end, _account, account_type, _reserved in state["blocks"]:
        assert account_type != "peer", "an account of a peer registry never holds units"
        found.setdefault(origin, []).append((start, end))
    return found


def overlap(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(a, c), min(b, d)) for a, b in first for c, d in second if max(a, c) <= min(b, d)]


# The run --------------------------------------------------------------------------------------------

#: The faults, in the order injected, spread over the run: (direction, rules added together).
FAULTS: list[tuple[str, list[Rule]]] = [
    ("to_thailand", [Rule("drop")]),  # a lost proposal
    ("to_korea", [Rule("lose_answer")]),  # a lost answer
    ("to_thailand", [Rule("duplicate")]),  # a duplicated message
    ("to_korea", [Rule("hold")]),  # a reordered message (it arrives after the next one)
    ("to_thailand", [Rule("corrupt")]),  # a bad signature
    # a delay past the time limit: every copy of one proposal is lost until its sender has asked
    # for its state (and the first answer to that question is lost too); then the proposal arrives
    ("to_korea", [Rule("lose_answer", kind="status"), Rule("delay")]),
    ("to_thailand", [Rule("kill", kind="*")]),  # Thailand's server and worker SIGKILLed mid-transfer
    ("to_korea", [Rule("kill", kind="*")]),  # Korea's
    ("to_thailand", [Rule("hold", kind="*")]),
]


class Run:
    """The randomised traffic of one run: external transfers both ways (sales of a registry's own
    units, and units received sent back to where they came from), by quantity and as a part of a
    block, with retirements and cancellations on both sides among them. Each step acts on both
    installations at once (each its own driver), every choice drawn from the seed beforehand."""

    def __init__(self, pair: Pair, rng: random.Random) -> None:
        self.pair, self.rng = pair, rng
        korea, thailand, korean, thai = pair.korea, pair.thailand, pair.korean, pair.thai
        self.routes = {  # (direction, what): (sending side, from account, to account)
            ("to_thailand", "sale"): (korea, korean["seller"], thai["buyer"]),
            ("to_thailand", "back"): (korea, korean["buyer"], thai["seller"]),
            ("to_korea", "sale"): (thailand, thai["seller"], korean["buyer"]),
            ("to_korea", "back"): (thailand, thai["buyer"], korean["seller"]),
        }
        self.made: Counter[str] = Counter()
        self.uses: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.in_flight = {pair.korea.name: 0, pair.thailand.name: 0}

    @property
    def transfers(self) -> int:
        return sum(self.made.values())

    def transfer(self, direction: str, what: str) -> Callable[[], None]:
        side, source, target = self.routes[direction, what]
        if self.rng.random() < 0.5:
            arguments: dict[str, Any] = {"quantity": self.rng.randint(1, 12)}
        else:  # a part of a block: the rest of the block stays, in pieces on either side
            arguments = {"pick": self.rng.randrange(10**9)}

        def act() -> None:
            answer = side.ask("transfer", seller=source, to=target, **arguments)
            with self.lock:
                if "transaction" in answer:
                    self.made[f"{direction} {what}"] += 1
                    self.in_flight[side.name] = answer["in_flight"]
                else:  # nothing free to send back yet, say
                    self.refused[f"{direction} {what} {answer['refused']}"] += 1

        return act

    def use(self, side: Side, role: str, how: str, quantity: int) -> Callable[[], None]:
        account = (self.pair.korean if side is self.pair.korea else self.pair.thai)[role]

        def act() -> None:
            answer = side.ask("use", account=account, quantity=quantity, how=how)
            key = f"{side.registry_id} {role} {how}"
            with self.lock:
                if "transaction" in answer and answer["status"] == "completed":
                    self.uses[key] += 1
                else:
                    self.refused[f"{key} {answer.get('refused')}"] += 1

        return act

    def random_step(self, side: Side) -> Callable[[], None]:
        if self.in_flight[side.name] >= IN_FLIGHT:  # let its worker catch up (the count comes with each transfer)
            self.in_flight[side.name] //= 2
            return lambda: time.sleep(0.5)
        if self.rng.random() < 0.2:
            role = self.rng.choice(["seller", "buyer"])
            # Towards the NDC: units received (foreign, first transferred); voluntarily: any.
            how = self.rng.choice(["voluntary", "cancel", "ndc"] if role == "buyer" else ["voluntary", "cancel"])
            return self.use(side, role, how, self.rng.randint(1, 4))
        direction = "to_thailand" if side is self.pair.korea else "to_korea"
        return self.transfer(direction, "back" if self.rng.random() < 0.4 else "sale")


def test_transfers_in_both_directions_through_faults_leave_both_books_whole_and_reconciled(pair):
    seed = int(os.environ.get("REGISTRY_PEER_FAULT_SEED", str(random.randrange(10**6))))
    print(f"REGISTRY_PEER_FAULT_SEED={seed}")
    run = Run(pair, random.Random(seed))
    # The faults spread over the first two thirds of the count (those the time budget leaves out come after).
    due = [round((i + 1) * TRANSFERS * 2 / 3 / (len(FAULTS) + 1)) for i in range(len(FAULTS))]
    injected = 0

    def inject() -> str:
        nonlocal injected
        direction, rules = FAULTS[injected]
        injected += 1
        for rule in rules:
            getattr(pair, direction).add(Rule(rule.action, rule.kind))
        return direction

    began = time.monotonic()
    while run.transfers < TRANSFERS and time.monotonic() - began < SECONDS:
        steps = {pair.korea.name: run.random_step(pair.korea), pair.thailand.name: run.random_step(pair.thailand)}
        if injected < len(FAULTS) and run.transfers >= due[injected]:
            direction = inject()  # its transfer a sale: the units are there
            steps["korea" if direction == "to_thailand" else "thailand"] = run.transfer(direction, "sale")
        both(steps["korea"], steps["thailand"])
        time.sleep(run.rng.uniform(0, 0.05))
    proposing = time.monotonic() - began
    while injected < len(FAULTS):  # the time budget ran out first
        run.transfer(inject(), "sale")()
    # Each use at least once on each side, of units received and of its own, while transfers are in flight.
    for side in (pair.korea, pair.thailand):
        for role, how in (("buyer", "ndc"), ("buyer", "voluntary"), ("buyer", "cancel"), ("seller", "voluntary"), ("seller", "cancel")):
            run.use(side, role, how, 1)()
    # A fault still waiting for its message (its direction was quiet since): one more transfer that way.
    for _extra in range(12):
        waiting = [d for d in ("to_thailand", "to_korea") if getattr(pair, d).pending_rules()]
        if not waiting:
            break
        run.transfer(waiting[0], "sale")()
        time.sleep(1.0)
    print(
        f"{run.transfers} transfers proposed in {proposing:.1f} s (budget {SECONDS:.0f} s), {time.monotonic() - began:.1f} s with the rest"
    )
    print("transfers", dict(run.made), "uses", dict(run.uses), "refused", dict(run.refused))
    korea, thailand = settled(pair, seconds=120)
    print(f"settled after {time.monotonic() - began:.1f} s")
    for name, proxy in (("to_thailand", pair.to_thailand), ("to_korea", pair.to_korea)):
        print(name, [(e.action, e.kind, e.transfer, e.status) for e in proxy.events])
    for state in (korea, thailand):
        print({k: v for k, v in state.items() if k != "blocks"})
    assert run.transfers >= FLOOR, f"only {run.transfers} transfers in {SECONDS:.0f} s (at least {FLOOR} expected)"
    assert pair.to_thailand.pending_rules() == pair.to_korea.pending_rules() == [], "every fault was injected"
    for route in ("to_thailand sale", "to_thailand back", "to_korea sale", "to_korea back"):
        assert run.made[route] > 0, f"no transfer {route}: {dict(run.made)}"
    for state, direction in ((korea, "to_thailand"), (thailand, "to_korea")):  # most arrived: no backlog declared void
        made = run.made[f"{direction} sale"] + run.made[f"{direction} back"]
        assert state["completed"] * 2 > made, f"{direction}: {state['completed']} of {made} transfers completed"

    # Each fault happened and was survived as the protocol says.
    events = {(e.action, proxy): e for proxy, p in (("to_thailand", pair.to_thailand), ("to_korea", pair.to_korea)) for e in p.events}
    duplicated = events["duplicate", "to_thailand"]
    assert duplicated.status == 200 and duplicated.answers[0] == duplicated.answers[1], "a copy gets the first answer, byte for byte"
    bad = events["corrupt", "to_thailand"]
    assert (bad.status, json.loads(bad.answers[0])["code"]) == (400, 1502)
    late = events["late delivered", "to_korea"]
    late_answer = pm.parse_envelope(json.loads(late.answers[0])["body"]).payload
    assert late.status == 200 and late_answer["outcome"] == "refused" and late_answer["codes"] == [1508], late_answer
    assert events["held delivered", "to_korea"].status == 200 and events["held delivered", "to_thailand"].status == 200
    first_answer, again = pair.to_thailand.replay_last_proposal()  # a replayed message: the first answer, nothing more
    assert again == first_answer
    assert pair.korea.ask("state")["blocks"] == korea["blocks"] and pair.thailand.ask("state")["blocks"] == thailand["blocks"]

    # The books: whole on each side, and together.
    verified = both(lambda: pair.korea.cli("verify"), lambda: pair.thailand.cli("verify"))
    for result in verified:
        assert result.returncode == 0, result.stdout + result.stderr
    reconciled = both(
        lambda: pair.korea.cli("reconcile", "--peer", "THA01", "--registry", "KOR01"),
        lambda: pair.thailand.cli("reconcile", "--peer", "KOR01", "--registry", "THA01"),
    )
    for result in reconciled:
        assert result.returncode == 0 and "DISCREPANCY" not in result.stdout, result.stdout + result.stderr
        assert "agree" in result.stdout
    ours, theirs = held_serials(korea), held_serials(thailand)
    for origin in ("KOR01", "THA01"):
        assert overlap(ours.get(origin, []), theirs.get(origin, [])) == [], f"serials of {origin} held on both sides"
        terms = {term: korea["units"][origin][term] + thailand["units"][origin][term] for term in ("held", "used", "cancelled")}
        issued = (korea["issued"] | thailand["issued"])[origin]
        assert sum(terms.values()) == issued, f"{origin}: {terms} on both sides, {issued} issued"
        assert terms["used"] > 0 and terms["cancelled"] > 0, f"{origin}: {terms}"
    for state, own, foreign in ((korea, "KOR01", "THA01"), (thailand, "THA01", "KOR01")):
        for term in ("used", "cancelled"):  # of its own units and of units received
            assert state["units"][own][term] > 0 and state["units"][foreign][term] > 0, state["units"]
        assert state["came_back"] > 0, "units sent away came back"
    assert korea["completed"] == thailand["acquired"] and thailand["completed"] == korea["acquired"]
    assert korea["completed"] > 0 and thailand["completed"] > 0


# Bad input, sent to a real server ------------------------------------------------------------------------


def _send(pair: Pair, message: object) -> tuple[int, dict[str, Any]]:
    status, body = pair.to_thailand.forward(json.dumps(message).encode())
    return status, json.loads(body)


def _signed(
    pair: Pair, kind: str, payload: dict[str, Any], *, sender: str = "KOR01", key: Ed25519PrivateKey | None = None, now=None
) -> dict:
    envelope = pm.new_envelope(sender, "THA01", kind, payload, now or dt.datetime.now(dt.UTC))
    return pm.sign_message(envelope, key or pair.korea.signing_key())


def _refused_code(answer: dict[str, Any]) -> int:
    payload = pm.parse_envelope(answer["body"]).payload
    assert payload["outcome"] == "refused", payload
    return int(payload["codes"][0])


def _block(start: int, end: int, origin: str = "KOR01") -> dict[str, Any]:
    return {
        "originating_registry": origin,
        "start": start,
        "end": end,
        "unit_type": "JCM",
        "programme": "JCM",
        "project": "KR001",
        "project_name": "Solar KR001",
        "host_party": "KOR",
        "vintage": 2024,
        "cooperative_approach": APPROACH,
        "first_transferring_party": "KOR",
        "issuance": 1,
        "authorization": None,
        "first_transferred": True,
        "identifier": f"{APPROACH}-{origin}-KOR-{start}-{end}-2024",
    }


def _proposal(account: str, *blocks: dict[str, Any], transfer: int) -> dict[str, Any]:
    quantity = sum(b["end"] - b["start"] + 1 for b in blocks)
    return {
        "transfer": transfer,
        "transferring_account": "KOR01-000009",
        "acquiring_account": account,
        "quantity": quantity,
        "blocks": list(blocks),
        "authorizations": [],
    }


def test_bad_input_is_refused_with_its_code_logged_and_changes_nothing_on_either_side(pair):
    settled(pair)
    books = pair.korea.ask("books"), pair.thailand.ask("books")
    since = pair.thailand.ask("log")["last"]
    stranger = Ed25519PrivateKey.generate()
    fresh = _signed(pair, "ping", {})
    assert _send(pair, fresh)[0] == 200
    reused = json.loads(json.dumps(fresh))
    reused["body"]["payload"] = {"again": 1}  # the same message id with another body, correctly signed
    reused["signature"] = pm.sign_message(pm.parse_envelope(reused["body"]), pair.korea.signing_key())["signature"]
    envelope_refusals = [
        (_signed(pair, "ping", {}, sender="USA01", key=stranger), 403, 7504),  # an unknown peer
        (_signed(pair, "ping", {}, key=stranger), 400, 1502),  # a signature that does not verify
        (_signed(pair, "ping", {}, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)), 400, 1503),  # outside its window
        (reused, 409, 1504),  # seen before
    ]
    for message, status, code in envelope_refusals:
        answered, problem = _send(pair, message)
        assert (answered, problem["code"]) == (status, code), problem
    thai_serial = max(e for o, _s, e, *_ in pair.thailand.ask("state")["blocks"] if o == "THA01")
    buyer = pair.thai["buyer"]
    proposal_refusals = [
        (_proposal(buyer, _block(thai_serial, thai_serial, origin="THA01"), transfer=900001), 1509),  # units already held here
        (_proposal("THA01-999999", _block(5001, 5010), transfer=900002), 7020),  # no such account
    ]
    for payload, code in proposal_refusals:
        answered, answer = _send(pair, _signed(pair, "transfer_proposal", payload))
        assert answered == 200 and _refused_code(answer) == code, answer
    pair.thailand.ask("close", number=buyer)  # a closed account
    answered, answer = _send(pair, _signed(pair, "transfer_proposal", _proposal(buyer, _block(5011, 5020), transfer=900003)))
    assert answered == 200 and _refused_code(answer) == 7104, answer
    pair.thailand.ask("remove", registry_id="KOR01")  # a removed peer
    answered, problem = _send(pair, _signed(pair, "ping", {}))
    assert (answered, problem["code"]) == (403, 7504)
    # nothing changed on either side, and every refusal is in the receiver's log with its code
    assert (pair.korea.ask("books"), pair.thailand.ask("books")) == books
    outcomes = [outcome for _pk, _target, outcome in pair.thailand.ask("log", after=since)["entries"]]
    expected = [
        "accepted",
        "refused 7504",
        "refused 1502",
        "refused 1503",
        "refused 1504",
        "refused 1509",
        "refused 7020",
        "refused 7104",
        "refused 7504",
    ]
    assert outcomes == expected
    # a query of a removed peer is refused too: reconciliation says so (1534) and changes nothing
    refused = pair.korea.cli("reconcile", "--peer", "THA01", "--registry", "KOR01", "--language", "ja")
    assert refused.returncode != 0 and "[1534]" in refused.stderr and "7504" in refused.stderr, refused.stderr
    pair.thailand.ask(
        "peer", registry_id="KOR01", url=f"http://127.0.0.1:{pair.to_korea.server_address[1]}", key=pair.korea.installation.public_key()
    )


def test_reconciliation_names_serials_held_on_both_sides_and_tells_the_administrators(pair):
    settled(pair)
    # Tampered: serials of THA01 that Korea's buyer holds are back in THA01's books.
    held = [b for b in pair.korea.ask("state")["blocks"] if b[0] == "THA01" and b[4] == "entity_holding" and b[5] is None]
    origin, start, end = held[0][:3]
    pair.thailand.ask("double", origin=origin, start=start, end=end)
    found = pair.korea.cli("reconcile", "--peer", "THA01", "--registry", "KOR01")
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"DISCREPANCY [1543] Serials {origin}:{start}-{end} are held both in KOR01" in found.stdout
    assert "[7511] Reconciliation of KOR01 with peer THA01 found 1 discrepancies" in found.stdout
    japanese = pair.korea.cli("reconcile", "--peer", "THA01", "--registry", "KOR01", "--language", "ja")
    assert japanese.returncode == 1 and "不一致 [1543]" in japanese.stdout and "[7511]" in japanese.stdout, japanese.stdout
    shown = pair.korea.cli(
        "shell",
        "-c",
        "from registry.notifications.models import Notification as N; print(N.objects.filter(kind='reconciliation_discrepancies').count())",
    )
    assert shown.stdout.strip().splitlines()[-1] == "2", shown.stdout + shown.stderr
