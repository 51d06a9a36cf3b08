# SPDX-License-Identifier: MIT
"""bench-sync: the agent's backfill against the official Python library, side by side.

Starts the simulator with N generated alerts, then runs R rounds, alternating the
order inside a round: (a) `twilio-alertd -c CONF once` on a fresh database and
(b) tests/bench/baseline_python.py (twilio-python + sqlite3, same table) on a fresh
database. Each side is a fresh child process; wall time around it, and CPU time
(user + sys) and peak RSS from its own rusage (os.wait4). Both databases must end
with N rows. Then, against the same simulator in the same run: the SQLite floor
(bench-insert, pre-parsed rows, 10,000 rows per transaction) and a quiet `once`
(nothing new) repeated, with the API requests each made.

Run from the source root with /usr/bin/python3 (see tests/bench/RESULTS.md):

    /usr/bin/python3 tests/bench/bench-sync.py [--alerts 200000] [--days 29] [--rounds 3]

Every child has a timeout; the simulator is stopped on exit.
"""

import argparse
import os
import platform
import re
import shutil
import signal
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
CHILD_TIMEOUT = 300  # seconds for any one child


# bench-rusage (tests/bench/bench-rusage.c) in the build directory, set by main(). Linux
# carries the RSS of the process that forks a command into that command's ru_maxrss, so
# a child started straight from this script reports at least this script's ~20 MiB. When
# set, each child runs under that small program, which reports the child's own figures.
RUSAGE_BIN = None


class Run:
    """One measured child: wall, CPU and peak RSS, exit status and output."""

    def __init__(self, cmd, folder, timeout=CHILD_TIMEOUT):
        out_path = os.path.join(folder, "child.out")
        err_path = os.path.join(folder, "child.err")
        ru_path = os.path.join(folder, "child.rusage")
        if os.path.exists(ru_path):
            os.unlink(ru_path)
        if RUSAGE_BIN:
            cmd = [RUSAGE_BIN, ru_path] + list(cmd)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            deadline = t0 + timeout
            while True:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, ru = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.002)
            self.wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.rc = proc.returncode
        self.user = ru.ru_utime
        self.sys = ru.ru_stime
        self.maxrss_kib = ru.ru_maxrss
        if RUSAGE_BIN and os.path.exists(ru_path):
            with open(ru_path) as f:
                m = re.search(r"user_s=(\S+) sys_s=(\S+) maxrss_kib=(\d+)", f.read())
            if m:
                self.user, self.sys = float(m.group(1)), float(m.group(2))
                self.maxrss_kib = int(m.group(3))
        self.cpu = self.user + self.sys
        with open(out_path, errors="replace") as f:
            self.stdout = f.read()
        with open(err_path, errors="replace") as f:
            self.stderr = f.read()

    def check(self, what):
        if self.rc != 0:
            raise SystemExit("%s failed with status %d:\n%s%s"
                             % (what, self.rc, self.stdout, self.stderr))


def remove_db(path):
    for suffix in ("", "-wal", "-shm", ".lock"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


def count_rows(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute("SELECT count(*) FROM alerts").fetchone()[0]
    finally:
        con.close()


def agent_requests(path):
    """Pages and requests of the last poll run the agent logged."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute("SELECT pages, requests FROM poll_runs ORDER BY id DESC LIMIT 1"
                           ).fetchone()
    finally:
        con.close()


def write_config(folder, port, db):
    token = os.path.join(folder, "sim.token")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token, 0o600)
    conf = os.path.join(folder, "alertd.conf")
    with open(conf, "w") as f:
        f.write("[agent]\ndatabase = %s\nlisten =\n\n[account sim]\naccount_sid = %s\n"
                "auth_token_file = %s\napi_base = http://127.0.0.1:%d\n"
                % (db, ACCOUNT, token, port))
    os.chmod(conf, 0o600)
    return conf, token


def per_alert(run, n):
    return {"cpu_us": run.cpu * 1e6 / n, "rate": n / run.wall, "rss_mib": run.maxrss_kib / 1024}


def show(label, run, n, extra=""):
    m = per_alert(run, n)
    print("  %-8s wall %7.3f s  cpu %7.3f s (user %.3f sys %.3f)  %6.2f cpu-us/alert  "
          "%8.0f alerts/s  peak RSS %6.1f MiB%s"
          % (label, run.wall, run.cpu, run.user, run.sys, m["cpu_us"], m["rate"],
             m["rss_mib"], extra), flush=True)


def machine_note():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()
    return "%s %s, %d CPUs (%s), load average %.2f %.2f %.2f, Python %s" % (
        platform.system(), platform.release(), os.cpu_count(), model, load[0], load[1],
        load[2], platform.python_version())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alerts", type=int, default=200000, help="alerts to generate (N)")
    ap.add_argument("--days", type=int, default=29, help="spread over this many days")
    ap.add_argument("--rounds", type=int, default=4,
                    help="R rounds of agent + baseline, the order alternating")
    ap.add_argument("--max-results", type=int, default=10000000,
                    help="simulator's per-query cap (Twilio: 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true", help="agent only (RSS runs)")
    ap.add_argument("--insert-passes", type=int, default=2,
                    help="bench-insert passes at 10,000 rows/txn (0: skip)")
    ap.add_argument("--quiet-runs", type=int, default=20, help="quiet `once` runs (0: skip)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    global RUSAGE_BIN
    RUSAGE_BIN = os.path.join(args.build, "tests", "bench", "bench-rusage")
    if not os.access(RUSAGE_BIN, os.X_OK):
        print("warning: no %s: peak RSS figures include this script's own RSS" % RUSAGE_BIN)
        RUSAGE_BIN = None
    agent_bin = os.path.join(args.build, "agent", "twilio-alertd")
    sim_bin = os.path.join(args.build, "tests", "sim", "twilio-monitor-sim")
    insert_bin = os.path.join(args.build, "tests", "bench", "bench-insert")
    baseline = os.path.join(HERE, "baseline_python.py")
    n = args.alerts
    folder = tempfile.mkdtemp(prefix="bench-sync-")
    sim = Sim(binary=sim_bin, control=True, seed=args.seed, max_results=args.max_results,
              extra_args=["--generate", "%s:%d:%d" % (ACCOUNT, n, args.days)],
              start_timeout=120)
    print("machine: " + machine_note())
    t_gen = time.monotonic()
    sim.start()
    print("simulator: %s (%d alerts over %d days generated in %.1f s, --max-results %d)"
          % (" ".join(sim.command("PORT_FILE")), n, args.days, time.monotonic() - t_gen,
             args.max_results))
    try:
        agent_db = os.path.join(folder, "agent.db")
        python_db = os.path.join(folder, "python.db")
        conf, token = write_config(folder, sim.port, agent_db)
        agent_cmd = [agent_bin, "-c", conf, "once"]
        python_cmd = ["/usr/bin/python3", baseline, "--api-base", sim.url, "--account-sid",
                      ACCOUNT, "--token-file", token, "--database", python_db]
        print("agent:    " + " ".join(agent_cmd))
        if not args.no_baseline:
            print("baseline: " + " ".join(python_cmd))
            # For scale: the baseline's fixed start-up cost (interpreter and imports).
            run = Run(["/usr/bin/python3", "-c",
                       "import sqlite3, urllib.parse; from twilio.rest import Client; "
                       "Client('%s', 'x').monitor.v1.alerts" % ACCOUNT], folder)
            print("  baseline start-up alone (python3, imports, Client): cpu %.3f s, "
                  "wall %.3f s" % (run.cpu, run.wall))
        runs = {"agent": [], "python": []}
        for rnd in range(args.rounds):
            order = ["agent", "python"]
            if rnd % 2:
                order.reverse()
            if args.no_baseline:
                order = ["agent"]
            print("round %d (%s):" % (rnd + 1, " then ".join(order)))
            for side in order:
                db = agent_db if side == "agent" else python_db
                remove_db(db)
                run = Run(agent_cmd if side == "agent" else python_cmd, folder)
                run.check(side)
                rows = count_rows(db)
                if rows != n:
                    raise SystemExit("%s: %d rows in the database, expected %d"
                                     % (side, rows, n))
                if side == "agent":
                    pages, requests = agent_requests(db)
                    extra = "  (%d pages, %d requests)" % (pages, requests)
                else:
                    extra = "  (%s)" % run.stdout.strip()
                show(side, run, n, extra)
                runs[side].append(run)

        med = {}
        for side, rs in runs.items():
            if rs:
                med[side] = {k: statistics.median(per_alert(r, n)[k] for r in rs)
                             for k in ("cpu_us", "rate", "rss_mib")}
                print("median %-7s %6.2f cpu-us/alert  %8.0f alerts/s  peak RSS %6.1f MiB"
                      % (side, med[side]["cpu_us"], med[side]["rate"], med[side]["rss_mib"]))
        if "python" in med:
            cpu_ratios = [p.cpu / a.cpu for a, p in zip(runs["agent"], runs["python"])]
            rate_ratios = [p.wall / a.wall
                           for a, p in zip(runs["agent"], runs["python"])]
            print("agent vs python: %.2fx less CPU per alert (target >= 4), %.2fx the "
                  "alerts/s (target >= 4); per round CPU %s, rate %s"
                  % (med["python"]["cpu_us"] / med["agent"]["cpu_us"],
                     med["agent"]["rate"] / med["python"]["rate"],
                     " ".join("%.2f" % x for x in cpu_ratios),
                     " ".join("%.2f" % x for x in rate_ratios)))

        if args.insert_passes > 0:
            cmd = [insert_bin, "-u", "%s:%s" % (ACCOUNT, TOKEN), "-r", str(args.insert_passes),
                   "-o", os.path.join(folder, "insert.db"),
                   "%s/v1/Alerts?PageSize=1000" % sim.url]
            print("floor:    " + " ".join(cmd))
            run = Run(cmd, folder)
            run.check("bench-insert")
            sys.stdout.write(run.stdout)
            floor = [float(m.group(1)) for m in
                     re.finditer(r"per_txn=10000 cpu_s=\S+ us_per_row=(\S+)", run.stdout)]
            floor_med = statistics.median(floor)
            agent_us = med["agent"]["cpu_us"]
            print("median floor %.2f cpu-us/row; agent %.2f cpu-us/alert = %.2fx the floor "
                  "(target <= 1.5)" % (floor_med, agent_us, agent_us / floor_med))
            m = re.search(r"RESULT scan rows=\d+ scan_us=(\S+) finish_us=(\S+)", run.stdout)
            if m:
                parse = [float(x) for x in m.groups()]
                print("agent split: floor %.2f + parse %.2f (scan_page %.2f, scan_items_finish "
                      "%.2f) + the rest (HTTP, bookkeeping) %.2f cpu-us/alert"
                      % (floor_med, sum(parse), parse[0], parse[1],
                         agent_us - floor_med - sum(parse)))
            m = re.search(r"RESULT parse rows=\d+ loadb_us=(\S+) from_json_us=(\S+) "
                          r"decref_us=(\S+)", run.stdout)
            if m:
                parse = [float(x) for x in m.groups()]
                print("  for comparison, the jansson fallback: %.2f cpu-us/alert (json_loadb "
                      "%.2f, alert_from_json %.2f, json_decref %.2f)"
                      % (sum(parse), parse[0], parse[1], parse[2]))

        if args.quiet_runs > 0:
            # The last agent round left a backfilled database: nothing is new now.
            walls, counts = [], []
            for _ in range(args.quiet_runs):
                sim.clear_requests()
                run = Run(agent_cmd, folder)
                run.check("quiet once")
                walls.append(run.wall)
                counts.append(sum(1 for r in sim.requests()
                                  if r["path"].startswith("/v1/")))
            print("quiet once x%d: wall median %.1f ms (min %.1f, max %.1f; target < 30 ms), "
                  "API requests per run %s (target 1), rows %d"
                  % (args.quiet_runs, statistics.median(walls) * 1e3, min(walls) * 1e3,
                     max(walls) * 1e3, sorted(set(counts)), count_rows(agent_db)))
            # For scale: what starting the binary alone costs (dynamic linking).
            starts = [Run([agent_bin, "--version"], folder).wall for _ in range(args.quiet_runs)]
            print("  for scale: `twilio-alertd --version` x%d: wall median %.1f ms"
                  % (args.quiet_runs, statistics.median(starts) * 1e3))
        print("machine at the end: " + machine_note())
    finally:
        sim.stop(check=False)
        if args.keep:
            print("kept " + folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
