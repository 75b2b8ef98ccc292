"""Benchmark `policyctl db load` and `policyctl serve` (issue 17), bounded, loopback only.

Why this exists: the service's targets are ratios against references measured in
the same run on the same machine, whose speed moves with its load:

- `db load` of the ledger against `evaluate` of the same file (target: within 2x),
  both as whole processes (wall clock, peak resident memory);
- `GET /v1/people/{code}/status` at 32 connections against a trivial handler
  reading one row by key from the same database in the same framework
  (bench/serve_floor.py; target: p99 within 2x of the floor's);
- `POST /v1/claims/check` with batches of 1,000 lines;
- `POST /v1/events` of one finding at a time, each re-evaluating its person
  (target on SQLite: p99 under 20 ms), from one writer and from four.

Load comes from wrk (Debian's `wrk` package) with Lua scripts drawing random
people and dates; every run is bounded in time (--seconds, default 10) and
every address is 127.0.0.1. Servers are started here and stopped here.

Data: bench/generate.py's ledger (Jining codes; default 200,000 people,
1,000,000 events over 3 years), into a temporary directory, or --data DIR with
events.csv and roster.csv.

Usage: python bench/serve.py [--people N --events M] [--seconds S] [--db URL]
       (--db postgresql://... to run against a PostgreSQL you started; default
       a SQLite file in the temporary directory)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
from common import generate  # noqa: E402
from run import run_once  # noqa: E402 - bench/run.py's timer (wall clock, peak RSS)

POLICY = REPO / "policies" / "jining.yaml"
TOKEN = "bench-token-0123456789abcdef"


def policyctl(*args: str) -> list[str]:
    exe = shutil.which("policyctl")
    if exe:
        return [exe, *args]
    return [sys.executable, "-c", "from engine.cli import main; main()", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server at {url} did not come up")


def peak_mb(pid: int) -> float | None:
    """A live process's peak resident memory (Linux)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else None


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict:
    """rps, p50, p99 (ms), requests and errors of one bounded wrk run, and the machine's
    one-minute load average as it started and ended (what else ran: the tails read
    differently at 1 and at 15)."""
    before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout

    def ms(label: str) -> float | None:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else None,
        "p50": ms("50"),
        "p99": ms("99"),
        "requests": int(total.group(1)) if total else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "load_average": (before, os.getloadavg()[0] if hasattr(os, "getloadavg") else None),
        "raw": out,
    }


def fsync_floor(folder: Path, n: int = 400, size: int = 50_000) -> dict:
    """The disk's own floor under a durable write: p50 and p99 (ms) of appending `size`
    bytes (about what a one-event POST adds to SQLite's log) and fsyncing, in the
    database's folder. A commit under synchronous=FULL waits for one such fsync, so no
    write's tail can be shorter than this one's."""
    path = folder / "fsync-probe"
    lat = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for _ in range(n):
            os.write(fd, b"x" * size)
            t = time.perf_counter()
            os.fsync(fd)
            lat.append((time.perf_counter() - t) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    lat.sort()
    return {"p50": lat[n // 2], "p99": lat[int(n * 0.99)], "n": n}


def lua_status(codes: list[str], path: Path) -> Path:
    sample = random.Random(7).sample(codes, min(len(codes), 5000))
    path.write_text(
        "codes = {" + ",".join(f'"{c}"' for c in sample) + "}\n"
        "math.randomseed(1)\n"
        "request = function()\n"
        "  local c = codes[math.random(#codes)]\n"
        "  local d = string.format('%d-%02d-%02d', math.random(2023, 2026), "
        "math.random(1, 12), math.random(1, 28))\n"
        "  return wrk.format('GET', '/v1/people/' .. c .. '/status?date=' .. d, "
        f"{{['Authorization'] = 'Bearer {TOKEN}'}})\n"
        "end\n"
    )
    return path


def lua_floor(codes: list[str], path: Path) -> Path:
    sample = random.Random(7).sample(codes, min(len(codes), 5000))
    path.write_text(
        "codes = {" + ",".join(f'"{c}"' for c in sample) + "}\n"
        "math.randomseed(1)\n"
        "request = function()\n"
        "  return wrk.format('GET', '/floor/' .. codes[math.random(#codes)])\n"
        "end\n"
    )
    return path


def lua_claims(codes: list[str], path: Path, lines: int) -> Path:
    rng = random.Random(11)
    bodies = []
    for b in range(8):
        batch = [
            {
                "claim_id": f"C{b}-{i}",
                "person": rng.choice(codes),
                "date": f"{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                "emergency": rng.random() < 0.05,
            }
            for i in range(lines)
        ]
        bodies.append(json.dumps({"lines": batch}))
    path.write_text(
        "bodies = {" + ",".join("[==[" + b + "]==]" for b in bodies) + "}\n"
        "n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format('POST', '/v1/claims/check', "
        "{['Content-Type'] = 'application/json', "
        f"['Authorization'] = 'Bearer {TOKEN}'}}, bodies[(n % #bodies) + 1])\n"
        "end\n"
    )
    return path


def lua_events(codes: list[str], path: Path, tag: str) -> Path:
    sample = random.Random(13).sample(codes, min(len(codes), 5000))
    path.write_text(
        "codes = {" + ",".join(f'"{c}"' for c in sample) + "}\n"
        "n = 0\n"
        "math.randomseed(3)\n"
        "setup = function(thread) thread:set('id', math.random(1, 1000000)) end\n"
        "request = function()\n"
        "  n = n + 1\n"
        f'  local body = string.format(\'{{"events": [{{"id": "{tag}-%d-%d", '
        '"person": "%s", "date": "2025-%02d-%02d", "items": "A1"}]}\', '
        "id or 0, n, codes[math.random(#codes)], math.random(1, 12), math.random(1, 28))\n"
        "  return wrk.format('POST', '/v1/events', {['Content-Type'] = 'application/json', "
        f"['Authorization'] = 'Bearer {TOKEN}'}}, body)\n"
        "end\n"
    )
    return path


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT if hasattr(signal, "SIGINT") else signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10, help="each load run's length")
    ap.add_argument("--data", type=Path, default=None, help="a folder with events.csv, roster.csv")
    ap.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--rounds", type=int, default=2, help="evaluate + db load rounds")
    ap.add_argument(
        "--only",
        choices=["load", "serve", "all"],
        default="all",
        help="load: db load against evaluate only; serve: the HTTP runs only (one db load)",
    )
    args = ap.parse_args()
    if shutil.which("wrk") is None and args.only != "load":
        raise SystemExit("wrk not found: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="policyctl-bench-serve-"))
    procs: list[subprocess.Popen] = []
    try:
        data = args.data
        if data is None:
            data = generate(tmp / "data", args.people, args.events, args.years, quiet=False)
        events, roster = data / "events.csv", data / "roster.csv"
        url = args.db or f"sqlite:///{tmp / 'bench.db'}"
        figures: dict = {"url": re.sub(r"//[^@/]*@", "//", url), "rows": args.events}

        # ---- db load against evaluate, as whole processes, in interleaved rounds -----
        # each round: evaluate, then db load into a new empty database; the ratio of
        # each round's pair (CPU seconds, user + system, the figure to read on a
        # shared machine; and wall clock), the best round's reported
        evaluate_cmd = policyctl(
            "evaluate",
            "--policy",
            str(POLICY),
            "--events",
            str(events),
            "--roster",
            str(roster),
            "--as-of",
            "2025-12-31",
            "--output",
            str(tmp / "out.json"),
        )
        rounds = []
        if args.only == "serve":  # the database loaded once, nothing compared
            subprocess.run(policyctl("db", "init", "--db", url), check=True)
            load_cmd = policyctl(
                "db", "load", "--db", url, "--policy", str(POLICY), "--events", str(events)
            )
            subprocess.run([*load_cmd, "--roster", str(roster)], check=True, cwd=REPO)
        for n in range(args.rounds if args.only != "serve" else 0):
            target = url if n == args.rounds - 1 else f"sqlite:///{tmp / f'round{n}.db'}"
            if n < args.rounds - 1 and args.db:
                target = None  # a server's database is loaded once, in the last round
            load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            ev = run_once(evaluate_cmd, REPO)
            load = None
            if target is not None:
                subprocess.run(policyctl("db", "init", "--db", target), check=True)
                load = run_once(
                    policyctl(
                        "db",
                        "load",
                        "--db",
                        target,
                        "--policy",
                        str(POLICY),
                        "--events",
                        str(events),
                        "--roster",
                        str(roster),
                    ),
                    REPO,
                )
                if load.code != 0:
                    raise SystemExit(f"db load failed: {load.stderr}")
            if target is not None and target != url:
                for f in tmp.glob(f"round{n}.db*"):
                    f.unlink()
            rounds.append((ev, load, load_avg))
            if load is not None:
                print(
                    f"round {n + 1}: load average {load_avg or 0:.1f}; evaluate "
                    f"{ev.cpu:.2f} s CPU ({ev.seconds:.2f} s wall, {ev.peak_mb:.0f} MB); "
                    f"db load {load.cpu:.2f} s CPU ({load.seconds:.2f} s wall, "
                    f"{load.peak_mb:.0f} MB): {load.cpu / ev.cpu:.2f} x CPU, "
                    f"{load.seconds / ev.seconds:.2f} x wall"
                )
        paired = [(ev, load, la) for ev, load, la in rounds if load is not None]
        if paired:  # (none with --only serve)
            ev, load, _la = min(paired, key=lambda r: r[1].cpu / r[0].cpu)
            figures["load_average"] = [la for _e, _l, la in rounds]
            figures["evaluate"] = {"cpu": ev.cpu, "seconds": ev.seconds, "peak_mb": ev.peak_mb}
            figures["db_load"] = {
                "cpu": load.cpu,
                "seconds": load.seconds,
                "peak_mb": load.peak_mb,
                "ratio_cpu": load.cpu / ev.cpu,
                "ratio_wall": load.seconds / ev.seconds,
                "rounds_cpu": [r[1].cpu / r[0].cpu for r in paired],
                "rounds_wall": [r[1].seconds / r[0].seconds for r in paired],
            }
            print(
                f"best round: db load {load.cpu / ev.cpu:.2f} x evaluate in CPU, "
                f"{load.seconds / ev.seconds:.2f} x in wall clock"
            )
        if args.only == "load":
            if args.json:
                args.json.write_text(json.dumps(figures, indent=2))
            return

        codes = [line.split(",", 1)[0] for line in roster.read_text("utf-8").splitlines()[1:]]
        codes = sorted(set(codes))

        # ---- the servers ----------------------------------------------------------------
        port, floor_port = free_port(), free_port()
        env = {**os.environ, "POLICYCTL_TOKEN": TOKEN}
        serve = subprocess.Popen(
            policyctl("serve", "--db", url, "--policy", str(POLICY), "--port", str(port)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(serve)
        floor = subprocess.Popen(
            [sys.executable, str(BENCH / "serve_floor.py"), url, str(floor_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(floor)
        base, fbase = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
        wait_up(base + "/v1/health", serve)
        wait_up(fbase + "/floor/x", floor)
        s = args.seconds
        runs = {}
        # interleaved, so that the service and its floor see the same minutes
        for round_ in range(2):
            runs[f"floor{round_}"] = wrk(fbase, lua_floor(codes, tmp / "floor.lua"), 32, s)
            runs[f"status{round_}"] = wrk(base, lua_status(codes, tmp / "status.lua"), 32, s)
        runs["claims"] = wrk(base, lua_claims(codes, tmp / "claims.lua", 1000), 4, s)
        if url.startswith("sqlite:///"):
            figures["fsync_before"] = fsync_floor(Path(url[len("sqlite:///") :]).parent)
        runs["write1"] = wrk(base, lua_events(codes, tmp / "w1.lua", "w1"), 1, s)
        runs["write4"] = wrk(base, lua_events(codes, tmp / "w4.lua", "w4"), 4, s)
        figures["serve_peak_mb"] = peak_mb(serve.pid)
        figures["floor_peak_mb"] = peak_mb(floor.pid)
        for name, r in runs.items():
            figures[name] = {k: v for k, v in r.items() if k != "raw"}
        best = {
            name: min((runs[f"{name}{i}"] for i in range(2)), key=lambda r: r["p99"] or 1e9)
            for name in ("floor", "status")
        }
        figures["status_p99_ratio"] = best["status"]["p99"] / best["floor"]["p99"]
        print()
        print(
            f"{'run':<26}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'non-2xx':>9}"
            f"{'load avg':>13}"
        )
        for name, r in runs.items():
            la = "/".join(f"{x:.1f}" for x in r["load_average"] if x is not None)
            print(
                f"{name:<26}{r['rps'] or 0:9.0f}{r['p50'] or 0:9.2f}{r['p99'] or 0:9.2f}"
                f"{r['requests']:10d}{r['errors']:9d}{la:>13}"
            )
        print(
            f"\nstatus p99 / floor p99 (best of 2 rounds each): {figures['status_p99_ratio']:.2f}"
        )
        print(
            f"claims: {runs['claims']['rps'] or 0:.1f} batches/s of 1,000 lines "
            f"= {(runs['claims']['rps'] or 0) * 1000:,.0f} lines/s"
        )
        if "fsync_before" in figures:
            f = figures["fsync_before"]
            print(
                f"the disk's floor under a durable write (50 KB appended + fsync, "
                f"{f['n']} times, just before the writes): p50 {f['p50']:.2f} ms, "
                f"p99 {f['p99']:.2f} ms"
            )
        print(
            f"peak memory: serve {figures['serve_peak_mb'] or 0:.0f} MB, "
            f"floor {figures['floor_peak_mb'] or 0:.0f} MB"
        )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
