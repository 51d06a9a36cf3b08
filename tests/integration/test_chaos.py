# SPDX-License-Identifier: MIT
"""Chaos with an oracle. The simulator is scripted through a random but seeded
sequence of faults (429, 500/503, resets, truncated bodies, bad JSON, slow and
stalled replies, alerts filed late inside the overlap, steps of Twilio's clock
and its Date header) while the agent, as `once` or as `run`, is SIGKILLed (or
sent SIGTERM) at random moments and started again, for a bounded time. Alerts
arrive meanwhile, some of them late. The receiver of the webhook channel fails
or stalls now and then. Then the faults stop, and the oracle checks:

  - the database holds exactly the simulator's alerts, each once, intact;
  - after every crash and at the end, no account's watermark has passed an
    alert it is missing (every alert dated at or before watermark - overlap
    is stored);
  - every notification that was due (computed here from the simulator's
    alerts: error codes with `threshold` alerts in the window) was delivered
    at least once with its idempotency key, signed, and answered 200; nothing
    else fired, nothing fired twice, every outbox row is delivered;
  - every exit status was one the documentation allows.

The seed is printed; CHAOS_SEED=N replays the same script (the timing of the
kills against the agent's progress still varies a little from run to run).
CHAOS_SECONDS (default 60) and CHAOS_ITERATIONS (default: as many as fit) make
a longer run by hand; see tests/integration/README.md."""
import calendar
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

from harness import ALERTD, AgentTest, Sim
from httpd import NotifyReceiver

ACCOUNTS = {"alpha": ("AC" + "a1" * 16, "tok-alpha"), "beta": ("AC" + "b2" * 16, "tok-beta")}
HOOK_SECRET = "chaos-hook-secret-never-shown"
OVERLAP = 900       # the agent's overlap (s)
LATE_MAX = 240      # how far back a late alert is dated (s)
BACK_MAX = 240      # how far Twilio's clock may step back behind its peak (s)
# How far Twilio's clock may get ahead of the agent's (s). Beyond the agent's
# 15-minute margin at the far end of the 30-day window, a first backfill is
# refused for ever (test_faults.py test_backfill_with_the_clock_behind_twilio,
# an expected failure until the window follows Twilio's Date header);
# CHAOS_STEP_MAX=7200 CHAOS_SEED=3 showed it (fixed: an error answer re-plans by Twilio's Date).
STEP_MAX = int(os.environ.get("CHAOS_STEP_MAX", "600"))
THRESHOLD = 4
WINDOW = 86400      # the trigger's window: every alert of the test is inside it
# Error codes of the test's alerts: the pool grows as the run goes on, so that
# groups reach the threshold (and notify) all through it, not only at first.
CODES = ["11200", "11205", "12300", "13227"] + [str(70000 + i) for i in range(56)]
EXITS = {0, 69, 75}  # ok, Twilio unavailable after retries, undelivered notification
STEPS = 40          # moments per agent life at which alerts may arrive


def epoch(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class Script:
    """The seeded decisions: what to inject next and when to kill."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.offset = 0  # Twilio's clock minus the real one, as scripted
        self.peak = 0
        self.lives = 0

    def fault(self):
        r = self.rnd
        kind = r.choice(["429", "500", "503", "reset", "cut", "badjson", "slow", "stall",
                         "late", "step", "ok", "ok", "ok"])
        if kind == "429":
            return {"type": "429", "retry_after": r.randint(0, 1),
                    "ratelimit_headers": r.random() < 0.3}
        if kind == "slow":
            return {"type": "slow", "ms": r.randint(50, 1500)}
        if kind == "stall":  # longer than http_timeout: the agent gives up
            return {"type": "slow", "ms": r.randint(2200, 3000)}
        if kind == "cut":
            return {"type": "cut", "ms": r.choice([0, 0, 300])}
        if kind == "reset":
            return {"type": "reset", "ms": r.choice([0, 0, 500])}
        if kind == "late":
            return {"type": "late", "age": r.randint(0, LATE_MAX)}
        if kind == "step":
            # Forward (the agent's clock is behind Twilio's), or back, but never
            # more than BACK_MAX behind the peak: dates Twilio already gave out
            # stay within the overlap of what it gives out next.
            # And never more than STEP_MAX ahead of the real clock in all (see
            # the note at STEP_MAX).
            room_back = self.offset - (self.peak - BACK_MAX)
            room_ahead = STEP_MAX - self.offset
            if room_ahead >= 30 and (r.random() < 0.6 or room_back < 30):
                step = r.randint(30, room_ahead)
            elif room_back >= 30:
                step = -r.randint(30, room_back)
            else:
                return {"type": "slow", "ms": 1}
            self.offset += step
            self.peak = max(self.peak, self.offset)
            return {"type": "step", "seconds": step}
        if kind == "ok":
            return {"type": "slow", "ms": 1}
        return {"type": kind}

    def iteration(self):
        """One agent's life, drawn whole up front (a fixed number of draws), so
        that the script of a seed does not depend on how fast the machine is."""
        r = self.rnd
        self.lives += 1
        plan = {"faults": [self.fault() for _ in range(r.randint(1, 6))],
                "mode": r.choice(["once", "once", "run"]),
                "life": r.uniform(0.05, 4.0),
                "signal": r.choice([signal.SIGKILL] * 3 + [signal.SIGTERM]),
                "steps": []}
        for _ in range(STEPS):
            add = r.random() < 0.3
            acct = r.choice(sorted(ACCOUNTS))
            alerts = self.new_alerts()
            plan["steps"].append((r.uniform(0.1, 0.5), acct if add else None, alerts))
        return plan

    def new_alerts(self):
        r = self.rnd
        code = r.choice(CODES[:min(len(CODES), 3 + self.lives // 3)])
        return [{"error_code": code, "age": r.randint(0, LATE_MAX),
                 "log_level": "error", "alert_text": "Msg=chaos&httpResponse=502"}
                for _ in range(r.randint(1, 2))]


class ChaosTest(AgentTest):
    def test_chaos(self):
        seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1 << 32))
        seconds = float(os.environ.get("CHAOS_SECONDS", "60"))
        iterations = int(os.environ.get("CHAOS_ITERATIONS", "0")) or 1 << 30
        print(f"CHAOS_SEED={seed} CHAOS_SECONDS={seconds:g}", flush=True)
        self.seed = seed
        script = Script(seed)
        answers = random.Random(seed ^ 0x5EED)
        self.final = False

        def answer(n):
            if self.final:
                return 200
            x = answers.random()
            return ("slow", 2.5, 200) if x < 0.05 else 500 if x < 0.2 else 200

        with Sim(accounts=list(ACCOUNTS.values()), seed=seed % (1 << 63)) as sim, \
                NotifyReceiver(HOOK_SECRET, answer) as hook:
            self.sim = sim
            # Background history at least 2 days old, so that it is outside the
            # trigger's window and only the test's own alerts can fire it.
            sim.advance(-2 * 86400)
            sim.generate(ACCOUNTS["alpha"][0], 40000, days=20, seed=seed % 1000003)
            sim.generate(ACCOUNTS["beta"][0], 4000, days=20, seed=seed % 1000033)
            sim.advance(2 * 86400)
            agent = self.chaos_agent(sim, hook)
            stats = {"runs": 0, "sigkill": 0, "sigterm": 0, "exited": 0, "mid_backfill": 0}
            total = 44000
            deadline = time.monotonic() + seconds
            n = 0
            while time.monotonic() < deadline and n < iterations:
                n += 1
                plan = script.iteration()
                mode = plan["mode"]
                # Queued in order and never dropped: the faults that run are a
                # prefix of the script, so its bounds on clock steps hold.
                sim.faults(plan["faults"])
                log = os.path.join(self.folder, f"agent-{n % 4}.log")
                with open(log, "w") as out:
                    proc = subprocess.Popen([ALERTD, "-c", agent.conf, mode], stdout=out,
                                            stderr=subprocess.STDOUT)
                stats["runs"] += 1
                t_end = time.monotonic() + plan["life"]
                for pause, acct, alerts in plan["steps"]:
                    if time.monotonic() >= t_end or proc.poll() is not None:
                        break
                    if acct:
                        sim.add_alerts(ACCOUNTS[acct][0], alerts)
                    time.sleep(min(pause, max(0.0, t_end - time.monotonic())))
                end = "exited"
                if proc.poll() is None:
                    sig = plan["signal"]
                    end = sig.name
                    proc.send_signal(sig)
                    try:
                        rc = proc.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=10)
                        self.fail(self.say(f"{mode} still running 60s after {end}\n" + tail(log)))
                    if sig == signal.SIGKILL:
                        stats["sigkill"] += 1
                        self.assertEqual(rc, -signal.SIGKILL)
                    else:
                        stats["sigterm"] += 1
                        # 0, or a failure it had already met: retries used up, or
                        # a notification it could not deliver.
                        self.assertIn(rc, EXITS, self.say(f"SIGTERM to {mode}\n" + tail(log)))
                        if rc:
                            self.assertRegex(tail(log), "gave up after|notify hook:", self.say(
                                f"SIGTERM to {mode} exited {rc}: {tail(log)}"))
                else:
                    stats["exited"] += 1
                    rc = proc.returncode
                    self.assertIn(rc, EXITS, self.say(f"{mode} exited {rc}\n" + tail(log)))
                # The agent is dead: a read-write connection recovers the WAL.
                rows = agent.count(rw=True)
                if 0 < rows < total:
                    stats["mid_backfill"] += 1
                self.check_watermarks(sim, agent, f"after run {n} ({mode}, {end})")
                total = sum(len(sim.sids(a)) for a, _ in ACCOUNTS.values())

            # Quiet: the faults stop, the receiver answers, the agent catches up.
            sim.clear_faults()
            self.final = True
            for _ in range(6):
                p = agent.once(timeout=300)
                if p.returncode == 0 and not self.pending(agent):
                    break
                self.assertIn(p.returncode, EXITS, p.stderr)
                force_due(agent)
            else:
                self.fail(self.say(f"no clean run after the faults stopped: {p.stderr}"))
            print("chaos:", stats, "faults served:", served(sim), flush=True)
            self.assertGreater(stats["sigkill"], 0, "no run was killed: the test proved nothing")
            self.check_store(sim, agent)
            self.check_watermarks(sim, agent, "at the end")
            self.check_notifications(sim, agent, hook)

    # -- setup -----------------------------------------------------------
    def chaos_agent(self, sim, hook):
        secret = os.path.join(self.folder, "hook.secret")
        with open(secret, "w") as f:
            f.write(HOOK_SECRET + "\n")
        os.chmod(secret, 0o600)
        accounts = [{"name": name, "sid": sid, "token": tok, "api_base": sim.url}
                    for name, (sid, tok) in ACCOUNTS.items()]
        extra = (f"[notify hook]\ntype = webhook\nurl = {hook.url}\nsecret_file = {secret}\n"
                 f"timeout = 2s\n"
                 f"[trigger chaos]\nthreshold = {THRESHOLD}\nwindow = 1d\ngroup_by = error_code\n"
                 f"repeat = 0\nnotify = hook\n")
        return self.agent(sim, accounts=accounts, extra=extra, agent_keys={
            "interval": "10s", "http_timeout": "2s", "max_retries": "3",
            "overlap": f"{OVERLAP}s"})

    # -- the oracle ------------------------------------------------------
    def say(self, what):
        return f"seed {self.seed} (replay with CHAOS_SEED={self.seed}): {what}"

    def check_watermarks(self, sim, agent, when):
        marks = {r["account"]: r["watermark"] for r in agent.query(
            "SELECT account, watermark FROM sync_state", rw=True)} if has_table(agent) else {}
        for name, (sid, _) in ACCOUNTS.items():
            w = marks.get(name)
            if w is None:
                continue
            w = epoch(w)
            truth = sim.alert_dates(sid)
            have = agent.sids(sid)
            missed = sorted(s for s, d in truth.items() if epoch(d) <= w - OVERLAP and s not in have)
            self.assertEqual(missed[:5], [], self.say(
                f"{when}: account {name} watermark {w} passed {len(missed)} alert(s) it "
                f"does not have, e.g. {[(s, truth[s]) for s in missed[:3]]}"))

    def check_store(self, sim, agent):
        self.assertEqual(agent.query("PRAGMA integrity_check")[0][0], "ok")
        self.assertEqual(agent.query("SELECT sid FROM alerts GROUP BY sid HAVING count(*) > 1"),
                         [], self.say("duplicate rows"))
        for name, (sid, _) in ACCOUNTS.items():
            truth, have = set(sim.sids(sid)), agent.sids(sid)
            self.assertEqual(sorted(truth - have)[:5], [], self.say(f"{name}: missing alerts"))
            self.assertEqual(sorted(have - truth)[:5], [], self.say(f"{name}: alerts not in Twilio"))
            self.assertEqual(len(have), len(truth))

    def check_notifications(self, sim, agent, hook):
        # Due: each error code with THRESHOLD alerts in the window (every alert of
        # the test is recent, the background is days older than the window).
        now = sim.clock()["epoch"]
        per_code = {}
        for name, (sid, tok) in ACCOUNTS.items():
            for a in list_alerts(sim, (sid, tok), now - WINDOW // 2):
                per_code[a["error_code"]] = per_code.get(a["error_code"], 0) + 1
        due = {c for c, k in per_code.items() if k >= THRESHOLD}
        got = hook.snapshot()
        print(f"chaos: {len(due)} due of {len(per_code)} codes {per_code}; "
              f"{len(got)} webhook requests", flush=True)
        self.assertGreater(len(due), 0, "nothing was due: the test proved nothing")
        self.assertEqual([r for r in got if not r["signature_ok"]], [], self.say("bad signature"))
        for r in got:
            self.assertIsNotNone(r["body"], self.say("a body that is not JSON"))
            self.assertEqual(r["key"], r["body"]["idempotency_key"], self.say("key header"))
        kinds = {r["body"]["kind"] for r in got}
        self.assertEqual(kinds, {"fired"}, self.say("only firings: nothing left the window"))
        keys = {}
        for r in got:
            keys.setdefault(r["body"]["group"], set()).add(r["key"])
        self.assertEqual(set(keys), due, self.say(
            f"groups notified {sorted(keys)} != groups due {sorted(due)}"))
        for code, ks in keys.items():
            self.assertEqual(len(ks), 1, self.say(f"group {code} fired more than once: {ks}"))
        acked = {r["key"] for r in got if r["code"] == 200 and not r["slow"]}
        self.assertEqual(set().union(*keys.values()) - acked, set(),
                         self.say("due notifications never acknowledged"))
        rows = agent.query("SELECT idempotency_key, delivered FROM outbox")
        self.assertEqual([r[0] for r in rows if r[1] is None], [], self.say("undelivered rows"))
        self.assertEqual({r[0] for r in rows}, set().union(*keys.values()),
                         self.say("outbox keys vs received keys"))

    def pending(self, agent):
        return agent.query("SELECT count(*) FROM outbox WHERE delivered IS NULL")[0][0]


def has_table(agent):
    """True once the agent has created its schema (the first run may die before)."""
    if not os.path.exists(agent.db_path):
        return False
    return bool(agent.query("SELECT 1 FROM sqlite_master WHERE name = 'sync_state'", rw=True))


def force_due(agent):
    con = sqlite3.connect(agent.db_path, timeout=30)
    con.execute("UPDATE outbox SET next_attempt = '2000-01-01T00:00:00Z' WHERE delivered IS NULL")
    con.commit()
    con.close()


def list_alerts(sim, auth, since):
    """The simulator's alerts since @since, read through its API (not the agent)."""
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
    path, out = f"/v1/Alerts?PageSize=1000&StartDate={start}", []
    for _ in range(1000):
        status, body = sim.get_json(path, auth=auth)
        assert status == 200, (status, body)
        out += body["alerts"]
        nxt = body["meta"]["next_page_url"]
        if not nxt:
            return out
        path = nxt[nxt.index("/v1/"):]
    raise AssertionError("paging did not end")


def served(sim):
    kinds = {}
    for r in sim.requests():
        if r["fault"]:
            kinds[r["fault"]] = kinds.get(r["fault"], 0) + 1
    return kinds


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=sys.argv[:1])
