# SPDX-License-Identifier: MIT
"""bench-http: the status page server under load, with 1,000,000 alerts.

Starts the simulator with N generated alerts (default 1,000,000 over 29 days) and
`twilio-alertd run` with its status page on a free loopback port and a fresh
database. While the first backfill runs, `wrk` hammers /healthz (requests/s, and
the backfill must still finish with exactly the simulator's SIDs). Once all N
rows are stored, it times sequential keep-alive requests to `/` and `/api/status`
(median, p95, max) and reports the agent's CPU and RSS.

Run from the source root, after `apt-get install wrk` (see tests/bench/RESULTS.md):

    /usr/bin/python3 tests/bench/bench-http.py [--alerts 1000000] [--requests 200]

Every child has a timeout; the simulator and the agent are stopped on exit.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "sim"))
from simctl import DEFAULT_ACCOUNT, Sim  # noqa: E402

ACCOUNT, TOKEN = DEFAULT_ACCOUNT
BACKFILL_TIMEOUT = 900


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
        try:
            return con.execute("SELECT count(*) FROM alerts").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def timed(port, path, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            times.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                raise SystemExit("%s answered %d: %s" % (path, resp.status, body[:200]))
    finally:
        conn.close()
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "max": times[-1], "bytes": len(body)}


def proc_stats(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with open("/proc/%d/status" % pid) as f:
        rss = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) // 1024
    return cpu, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=1000000)
    ap.add_argument("--days", type=float, default=29)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    alertd = os.path.join(args.build, "agent", "twilio-alertd")
    sim_bin = os.path.join(args.build, "tests", "sim", "twilio-monitor-sim")
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    folder = tempfile.mkdtemp(prefix="bench-http-")
    port = free_port()
    db = os.path.join(folder, "alerts.db")
    token = os.path.join(folder, "token")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token, 0o600)
    agent = None
    try:
        with Sim(binary=sim_bin, start_timeout=120) as sim:
            t0 = time.monotonic()
            sim.generate(ACCOUNT, args.alerts, days=args.days, seed=5)
            print("simulator: %d alerts over %g days in %.1fs" % (
                args.alerts, args.days, time.monotonic() - t0))
            conf = os.path.join(folder, "alertd.conf")
            with open(conf, "w") as f:
                f.write("[agent]\ndatabase = %s\nlisten = 127.0.0.1:%d\ninterval = 10m\n\n"
                        "[account main]\naccount_sid = %s\nauth_token_file = %s\n"
                        "api_base = %s\n" % (db, port, ACCOUNT, token, sim.url))
            os.chmod(conf, 0o600)
            log = open(os.path.join(folder, "run.out"), "w")
            start = time.monotonic()
            agent = subprocess.Popen([alertd, "-c", conf, "run"], stdout=log,
                                     stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 60
            while count(db) < 20000 and time.monotonic() < deadline:
                time.sleep(0.2)
            before = count(db)
            w = subprocess.run([wrk, "-t2", "-c64", "-d%ds" % args.wrk_seconds,
                                "http://127.0.0.1:%d/healthz" % port],
                               capture_output=True, text=True,
                               timeout=args.wrk_seconds + 60)
            after = count(db)
            print(w.stdout)
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", w.stdout).group(1))
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", w.stdout)
            print("during the wrk run the backfill stored %d -> %d rows (of %d)" % (
                before, after, args.alerts))
            deadline = time.monotonic() + BACKFILL_TIMEOUT
            while count(db) < args.alerts and time.monotonic() < deadline:
                time.sleep(0.5)
            backfill = time.monotonic() - start
            con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
            stored = {r[0] for r in con.execute("SELECT sid FROM alerts")}
            con.close()
            same = stored == set(sim.sids(ACCOUNT))
            print("backfill: %d rows in %.1fs, SIDs identical to the simulator's: %s" % (
                len(stored), backfill, same))
            time.sleep(3)  # the summary thread's next refresh
            cpu0, _ = proc_stats(agent.pid)
            page = timed(port, "/", args.requests)
            status = timed(port, "/api/status", args.requests)
            cpu1, rss = proc_stats(agent.pid)
            print("/            median %.2f ms  p95 %.2f ms  max %.2f ms  (%d bytes)" % (
                page["median"], page["p95"], page["max"], page["bytes"]))
            print("/api/status  median %.2f ms  p95 %.2f ms  max %.2f ms  (%d bytes)" % (
                status["median"], status["p95"], status["max"], status["bytes"]))
            print("/healthz during the backfill: %.0f requests/s%s" % (
                rps, ", non-2xx: " + non2xx.group(1) if non2xx else ""))
            print("agent CPU for the %d timed requests: %.2fs; peak RSS %d MiB" % (
                2 * args.requests, cpu1 - cpu0, rss))
            ok = same and page["median"] < 50 and status["median"] < 10 and rps >= 10000
            print("requirements met" if ok else "REQUIREMENTS NOT MET")
            return 0 if ok else 1
    finally:
        if agent and agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=60)
            except subprocess.TimeoutExpired:
                agent.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
