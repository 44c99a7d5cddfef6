"""Crash safety: the server is killed with SIGKILL in the middle of a load of transfers from several
client processes, and started again. Afterwards ``registry verify`` passes (no transaction is half
applied: the journal replays to exactly the blocks), and every transfer the server acknowledged is
there, completed, exactly once. On SQLite and on PostgreSQL (the database the suite runs on).

The clients send each transfer with an ``Idempotency-Key`` and retry it until they get an answer,
as a careful machine client does. Every third request they also send once and hang up before the
answer (as if the network or the server died right after the commit); the retry must get the first
answer replayed, and the transfer is applied once, not twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from registry.api.tokens import create_token
from registry.benchmarks.run import free_port, wait_until_listening
from registry.transactions.models import Transaction
from registry.units.models import UnitBlock
from tests.factories import make_world

REGISTRY = str(Path(sys.executable).with_name("registry"))
CLIENTS = 4
TRANSFERS_PER_CLIENT = 12

CLIENT = r"""
import json, socket, sys, time, httpx
base, token, seller, buyer, name, count = sys.argv[1:7]
host, port = base.rsplit("/", 1)[1].split(":")
with httpx.Client(base_url=base, timeout=10) as http:
    for n in range(int(count)):
        key = f"{name}-{n}"
        body = {"kind": "internal_transfer", "from_account": seller, "to_account": buyer, "quantity": 1 + n % 3}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        if n % 3 == 0:  # send it and hang up: the server applies it, its answer is lost
            payload = json.dumps(body).encode()
            head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Host": host, "Content-Type": "application/json",
                           "Content-Length": len(payload), "Connection": "close"}.items())
            try:
                with socket.create_connection((host, int(port)), timeout=5) as raw:
                    raw.sendall(f"POST /api/v1/transactions HTTP/1.1\r\n{head}\r\n".encode() + payload)
            except OSError:
                pass
            time.sleep(0.05)
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = http.post("/api/v1/transactions", json=body, headers=headers)
            except httpx.TransportError:
                answer = None  # the server is down, or died with the request: send the same request again
            if answer is not None and answer.status_code == 201:
                print("ack", answer.json()["id"], body["quantity"], answer.headers.get("Idempotent-Replayed", "false"), flush=True)
                break
            if answer is not None and answer.status_code not in (409, 429, 500, 502, 503):
                print("refused", answer.status_code, answer.text, flush=True)
                break
            if time.monotonic() > deadline:
                print("gave up", key, flush=True)
                break
            time.sleep(0.05)
"""


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def environment() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "REGISTRY_API_RATE": "100000/60", "REGISTRY_API_ANONYMOUS_RATE": "100000/60"}


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [REGISTRY, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(port, server)
    except RuntimeError:
        server.kill()
        server.wait()
        raise
    return server


@pytest.mark.usefixtures("committed_db")
def test_killing_the_server_mid_load_loses_no_acknowledged_transfer_and_half_applies_none(tmp_path):
    world = make_world()
    world.issue(1000)
    secret = create_token(world.admin_mn, "load", "write")[1]
    connection.close()  # the server and the clients use the database now
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port)
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, base, secret, world.seller.number, world.buyer.number, f"client{i}", str(TRANSFERS_PER_CLIENT)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(CLIENTS)
    ]
    try:
        # Kill the server once the load is under way (some transfers answered, most not yet sent).
        deadline = time.monotonic() + 60
        while Transaction.objects.filter(type="internal_transfer").count() < CLIENTS and time.monotonic() < deadline:
            time.sleep(0.02)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        at_the_kill = Transaction.objects.filter(type="internal_transfer").count()
        connection.close()
        time.sleep(0.5)  # the clients meet a dead server meanwhile
        server = start_server(port)
        outputs = [client.communicate(timeout=180)[0] for client in clients]
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        for client in clients:
            client.kill()
            client.wait()

    assert 0 < at_the_kill < CLIENTS * TRANSFERS_PER_CLIENT  # killed mid-load
    lines = [line.split() for output in outputs for line in output.splitlines()]
    assert all(line[0] == "ack" for line in lines), lines
    acknowledged = {int(line[1]): int(line[2]) for line in lines}
    assert sum(line[3] == "true" for line in lines) >= CLIENTS  # lost answers were replayed, not applied again
    assert len(acknowledged) == CLIENTS * TRANSFERS_PER_CLIENT  # each key answered with its own transfer
    completed = dict(Transaction.objects.filter(type="internal_transfer", status="completed").values_list("pk", "quantity"))
    assert completed == acknowledged  # every acknowledged transfer is there, and nothing else was applied
    buyer_units = sum(b.quantity for b in UnitBlock.objects.filter(account=world.buyer))
    assert buyer_units == sum(acknowledged.values())
    verified = subprocess.run([REGISTRY, "verify"], env=environment(), capture_output=True, text=True, timeout=300, check=False)
    assert verified.returncode == 0 and "verify: OK" in verified.stdout, verified.stdout + verified.stderr
