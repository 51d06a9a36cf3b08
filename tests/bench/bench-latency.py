# SPDX-License-Identifier: MIT
"""Backfills against a Monitor API that answers each request after a delay
(the simulator's "slow" fault on every /v1/ request: a stand-in for the round
trip to Twilio), in one run:

  1. 20 accounts with 3 alerts each (--accounts, --sparse): the agent's
     `once` backfill, its list requests and wall time;
  2. one account with --alerts alerts (default 50,000): the agent's `once`
     backfill and the official Python library (baseline_python.py, paging one
     request at a time) side by side: list requests and wall time.

Run from the source root after `meson compile -C build`, with /usr/bin/python3
(the interpreter with Debian's python3-twilio):

    /usr/bin/python3 tests/bench/bench-latency.py [--latency-ms 100] [--build build]

Loopback only; every child has a timeout.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "sim"))
from simctl import Sim  # noqa: E402

TOKEN = "sim-token"
TIMEOUT = 1800


def account_sid(i):
    return "AC%032x" % (0xbe00 + i)


def write_config(folder, port, accounts):
    lines = ["[agent]", "database = %s" % os.path.join(folder, "alerts.db"), "listen =", ""]
    token = os.path.join(folder, "sim.token")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token, 0o600)
    for i, sid in enumerate(accounts):
        lines += ["[account a%03d]" % i, "account_sid = %s" % sid,
                  "auth_token_file = %s" % token, "api_base = http://127.0.0.1:%d" % port, ""]
    conf = os.path.join(folder, "alertd.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines))
    os.chmod(conf, 0o600)
    return conf, token


def list_requests(sim):
    return len([r for r in sim.requests() if r["path"].startswith("/v1/Alerts")])


def timed(cmd):
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        raise SystemExit("%s exited %d: %s" % (cmd[0], p.returncode, p.stderr[-2000:]))
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--sparse", type=int, default=3, help="alerts per account in run 1")
    ap.add_argument("--alerts", type=int, default=50000, help="alerts of the one account in run 2")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    sim_bin = os.path.join(args.build, "tests", "sim", "twilio-monitor-sim")
    alertd = os.path.join(args.build, "agent", "twilio-alertd")
    slow = [{"type": "slow", "ms": args.latency_ms, "count": 100000}]
    folder = tempfile.mkdtemp(prefix="bench-latency-")
    try:
        # 1: many sparse accounts.
        sids = [account_sid(i) for i in range(args.accounts)]
        with Sim(binary=sim_bin, accounts=[(s, TOKEN) for s in sids]) as sim:
            for i, s in enumerate(sids):
                sim.generate(s, args.sparse, days=29, seed=100 + i)
            d = os.path.join(folder, "sparse")
            os.mkdir(d)
            conf, _ = write_config(d, sim.port, sids)
            sim.faults(slow)
            sim.clear_requests()
            wall = timed([alertd, "-c", conf, "once"])
            print("%d accounts x %d alerts, %d ms per request: agent backfill %.2f s, "
                  "%d list requests" % (args.accounts, args.sparse, args.latency_ms, wall,
                                        list_requests(sim)))
            sim.clear_requests()
            wall = timed([alertd, "-c", conf, "once"])
            print("  next cycle: %.2f s, %d list requests" % (wall, list_requests(sim)))
        # 2: one dense account, agent and the Python library side by side.
        sid = account_sid(999)
        with Sim(binary=sim_bin, accounts=[(sid, TOKEN)], max_results=10000000) as sim:
            sim.generate(sid, args.alerts, days=29, seed=7)
            d = os.path.join(folder, "dense")
            os.mkdir(d)
            conf, token = write_config(d, sim.port, [sid])
            sim.faults(slow)
            sim.clear_requests()
            wall = timed([alertd, "-c", conf, "once"])
            print("1 account x %d alerts, %d ms per request: agent %.2f s, %d list requests"
                  % (args.alerts, args.latency_ms, wall, list_requests(sim)))
            sim.clear_faults()
            sim.faults(slow)
            sim.clear_requests()
            wall = timed([sys.executable, os.path.join(HERE, "baseline_python.py"),
                          "--api-base", sim.url, "--account-sid", sid, "--token-file", token,
                          "--database", os.path.join(d, "python.db")])
            print("  official Python library: %.2f s, %d list requests"
                  % (wall, list_requests(sim)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
