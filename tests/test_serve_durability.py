"""Durability (issue 17): `kill -9` of the server in the middle of a write batch, then a
restart: every acknowledged event is there, and no batch is there by halves.

The server runs as its own process (`policyctl serve`), on SQLite (WAL) and on a
throwaway PostgreSQL. A client posts batches of a thousand events one after
another; the server is killed with SIGKILL while a batch is in flight (the
client is waiting for its answer), restarted on the same database, and the
stored events are compared with what was acknowledged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from serve_fixtures import ROOT, TOKEN, free_port
from sqlalchemy import select

from engine.serve import database, schema

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX: no kill -9 on this system"
)

BATCH = 600
PEOPLE = 300


def start(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "POLICYCTL_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from engine.cli import main; main()",
            "serve",
            "--db",
            url,
            "--policy",
            str(ROOT / "policies" / "jining.yaml"),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not start")


def batch(n: int) -> list[dict]:
    return [
        {
            "id": f"B{n:03d}-{i:04d}",
            "person": f"P{(n * 7 + i) % PEOPLE:03d}",
            "date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "items": "A1",
        }
        for i in range(BATCH)
    ]


def test_kill_9_mid_batch_loses_no_acknowledged_event_and_leaves_no_half_batch(db_url):
    db = database.connect(db_url)
    schema.init(db)
    port = free_port()
    acked: list[int] = []
    sent: list[int] = []
    killed_in_flight = False
    attempts = 0
    n = 0
    while not killed_in_flight and attempts < 4:
        attempts += 1
        proc = start(db_url, port)
        in_flight = threading.Event()
        done = threading.Event()

        def client(in_flight=in_flight, done=done):
            nonlocal n
            with httpx.Client(timeout=60) as http:
                while not done.is_set():
                    n += 1
                    sent.append(n)
                    in_flight.set()
                    try:
                        res = http.post(
                            f"http://127.0.0.1:{port}/v1/events",
                            json={"events": batch(n)},
                            headers={"Authorization": f"Bearer {TOKEN}"},
                        )
                    except httpx.HTTPError:
                        return  # killed while waiting: not acknowledged
                    finally:
                        in_flight.clear()
                    assert res.status_code == 200, res.text
                    acked.append(n)

        t = threading.Thread(target=client)
        t.start()
        deadline = time.monotonic() + 180
        before = len(acked)
        while len(acked) <= before and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)  # a batch in: the next is on its way
        time.sleep(0.05 + 0.1 * attempts)  # then part-way through it
        killed_in_flight = in_flight.is_set()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        done.set()
        t.join(timeout=60)
    assert killed_in_flight, "never caught a batch in flight"
    assert acked, "no batch was acknowledged before the kill"
    proc = start(db_url, port)  # restarts cleanly on what was left
    try:
        writer = {"Authorization": f"Bearer {TOKEN}"}  # (the writer may read)
        res = httpx.get(f"http://127.0.0.1:{port}/v1/people/P001/status", headers=writer)
        assert res.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with db.read() as c:
        ids = set(c.execute(select(schema.events.c.id)).scalars())
    db.dispose()
    for k in sent:
        present = sum(1 for e in batch(k) if e["id"] in ids)
        assert present in (0, BATCH), f"batch {k}: {present} of {BATCH} events stored"
        if k in acked:
            assert present == BATCH, f"acknowledged batch {k} lost"
