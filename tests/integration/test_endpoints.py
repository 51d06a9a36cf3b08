# SPDX-License-Identifier: MIT
"""Every endpoint of `run` in every trigger state (ok, pending, firing,
resolved) with an empty, a small and a large database (issue 9): each answers
its status code with valid HTML, JSON or Prometheus text, and the daemon
stays up. Three agents (one per database size, each with its own simulator)
step through the states together, so the one-minute wait for "resolved" is
paid once. Also: `status --json` has the shape of /api/status."""
import html.parser
import json
import os
import re
import shutil
import subprocess
import unittest

from harness import SIM_ACCOUNT, Agent, AgentTest, Sim, stop, wait_for
from httpd import free_port, get, request

HERE = os.path.dirname(os.path.abspath(__file__))
EXEC = os.path.join(HERE, "trig_exec.py")
SIZES = {"empty": 0, "small": 40, "large": 12000}
CODE = 64999  # an error code the simulator's generator never makes: only the trigger's
NO_SID = "NO" + "0" * 32
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Balanced(html.parser.HTMLParser):
    """Every element closed in order (void elements excepted), one html root."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.doctype = [], [], False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def check_html(test, body, what):
    p = Balanced()
    p.feed(body.decode("utf-8"))
    p.close()
    test.assertTrue(p.doctype, what + ": no <!DOCTYPE html>")
    test.assertEqual(p.problems, [], what)
    test.assertEqual(p.stack, [], what + ": elements left open")


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.e+]+|NaN)$')


def check_metrics(test, body, what):
    typed, series = {}, set()
    text = body.decode("utf-8")
    test.assertTrue(text.endswith("\n"), what)
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            test.assertIn(kind, ("counter", "gauge"), line)
            test.assertNotIn(name, typed, what + ": TYPE twice: " + line)
            typed[name] = kind
            continue
        m = SAMPLE.match(line)
        test.assertIsNotNone(m, f"{what}: not a sample: {line!r}")
        test.assertIn(m.group(1), typed, f"{what}: no TYPE for {line!r}")
        key = line.rsplit(" ", 1)[0]
        test.assertNotIn(key, series, what + ": series twice: " + line)
        series.add(key)
    test.assertIn("twilio_alertd_healthy", typed)
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           timeout=60)
        test.assertEqual(p.returncode, 0, p.stdout + p.stderr)


def shape(v):
    """The keys of @v, recursively (a list by the union of its items' shapes)."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        out = {}
        for x in v:
            s = shape(x)
            if isinstance(s, dict):
                out.update(s)
        return [out]
    return None


class Site:
    """One agent `run` (with its simulator) over one database size."""

    def __init__(self, test, size, n):
        self.size, self.n = size, n
        self.folder = os.path.join(test.folder, size)
        self.inbox = os.path.join(self.folder, "inbox")
        os.makedirs(self.inbox)
        self.sim = Sim()
        self.sim.start()
        if n:
            self.sim.generate(SIM_ACCOUNT, n, days=6, seed=7)
        self.port = free_port()
        channel = (f"[notify hook]\ntype = exec\ncommand = /usr/bin/python3 {EXEC} "
                   f"{self.inbox}\n")
        triggers = "".join(
            f"[trigger {name}]\nerror_code = {CODE}\nthreshold = 3\nwindow = 1m\n{more}"
            f"notify = hook\n" for name, more in (("fast", "resolve = yes\n"),
                                                   ("slow", "for = 1h\n")))
        self.agent = Agent(self.folder, [{"name": "main", "api_base": self.sim.url}],
                           agent_keys={"listen": "127.0.0.1:%d" % self.port, "interval": "10s",
                                       "max_retries": "0"}, extra=channel + triggers)
        self.proc = self.agent.start()

    def alive(self):
        if self.proc.poll() is not None:
            with open(os.path.join(self.folder, "run.out")) as f:
                raise AssertionError(f"{self.size}: the agent exited {self.proc.returncode}: "
                                     + f.read())
        return True

    def get(self, path, **kw):
        self.alive()
        return get(self.port, path, **kw)

    def states(self):
        try:
            rows = self.agent.query("SELECT trigger_name, state, last_resolved FROM "
                                    "trigger_state")
        except Exception:
            return {}
        return {r[0]: (r[1], r[2]) for r in rows}

    def api_ready(self, rows):
        status, _, body = self.get("/api/status")
        return status == 200 and json.loads(body)["summary"]["rows"] == rows

    def up(self):
        self.alive()
        try:
            get(self.port, "/healthz", timeout=5)
            return True
        except OSError:
            return False

    def close(self):
        """The exit status of the agent, with its output when it is not 0."""
        try:
            code = stop(self.proc) if self.proc.poll() is None else self.proc.returncode
        finally:
            self.sim.stop()
        if code:
            with open(os.path.join(self.folder, "run.out")) as f:
                return (code, f.read()[-2000:])
        return code


class EndpointMatrixTest(AgentTest):
    def setUp(self):
        super().setUp()
        self.sites = []
        self.addCleanup(self.close_sites)
        for size, n in SIZES.items():
            self.sites.append(Site(self, size, n))

    def close_sites(self):
        codes = {s.size: s.close() for s in self.sites}
        self.assertEqual(codes, {s: 0 for s in SIZES}, "every agent exits 0 on SIGTERM")

    def every_endpoint(self, site, state):
        what = f"{site.size} database, triggers {state}"
        sid = site.agent.query("SELECT sid FROM alerts ORDER BY date_created DESC LIMIT 1")
        sid = sid[0][0] if sid else None
        pages = [("/", 200), ("/?error_code=%d&log_level=error&account=main" % CODE, 200),
                 ("/?error_code=abc", 400), ("/alerts/" + NO_SID, 404), ("/nope", 404)]
        apis = [("/api/status", 200), ("/api/alerts", 200), ("/api/alerts?limit=1000", 200),
                ("/api/alerts?error_code=%d" % CODE, 200), ("/api/alerts?limit=0", 400),
                ("/api/alerts/" + NO_SID, 404)]
        if sid:
            pages.append(("/alerts/" + sid, 200))
            apis.append(("/api/alerts/" + sid, 200))
        for path, code in pages:
            status, hdrs, body = site.get(path)
            self.assertEqual(status, code, f"{what}: {path}")
            self.assertIn("text/html", hdrs["content-type"], path)
            check_html(self, body, f"{what}: {path}")
        docs = {}
        for path, code in apis:
            status, hdrs, body = site.get(path)
            self.assertEqual(status, code, f"{what}: {path}: {body[:200]!r}")
            self.assertEqual(hdrs["content-type"], "application/json", path)
            docs[path] = json.loads(body)
        status, hdrs, body = site.get("/metrics")
        self.assertEqual(status, 200, what)
        check_metrics(self, body, what + ": /metrics")
        status, _, body = site.get("/healthz")
        self.assertEqual((status, body), (200, b"ok\n"), what)
        self.assertEqual(request(site.port, "HEAD", "/api/status")[0], 200, what)
        # The webhook is off for this account: refused, never a crash.
        status = request(site.port, "POST", "/twilio/debugger", body=b"a=b", headers={
            "Content-Type": "application/x-www-form-urlencoded"})[0]
        self.assertEqual(status, 403, what)
        site.alive()
        return docs

    def test_every_endpoint_in_every_state(self):
        for site in self.sites:
            wait_for(site.up, timeout=60, what=site.size + " HTTP server")
            wait_for(lambda: site.alive() and site.agent.count() == site.n, timeout=120,
                     what=site.size + " backfill")
            wait_for(lambda: site.api_ready(site.n), timeout=60, what=site.size + " summary")
        # ok: nothing matches the triggers yet.
        for site in self.sites:
            self.assertEqual(site.states(), {}, site.size)
            doc = self.every_endpoint(site, "ok")["/api/status"]
            self.assertEqual(doc["triggers"]["firing"], 0)
        # firing (fast) and pending (slow, which waits `for` 1h): four alerts of CODE, one
        # site at a time, so each is checked well inside the one-minute window.
        for site in self.sites:
            site.sim.add_alerts(SIM_ACCOUNT, [{"age": 2, "error_code": str(CODE),
                                               "log_level": "error"} for _ in range(4)])
            wait_for(lambda: site.alive() and site.states().get("fast", ("",))[0] == "firing",
                     timeout=60, what=site.size + " firing")
            self.assertEqual(site.states()["slow"][0], "pending", site.size)
            wait_for(lambda: site.api_ready(site.n + 4), timeout=60, what=site.size + " summary")
            doc = self.every_endpoint(site, "firing and pending")["/api/status"]
            self.assertEqual(doc["triggers"]["firing"], 1)
            self.assertEqual([(g["trigger"], g["count"]) for g in doc["triggers"]["firing_groups"]],
                             [("fast", 4)])
            # `status --json` is the same document as /api/status.
            p = site.agent.cmd("status", "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(shape(json.loads(p.stdout)), shape(doc), site.size)
        # resolved: the alerts leave the one-minute window (the cycle runs every 10 s).
        for site in self.sites:
            wait_for(lambda: site.alive() and site.states()["fast"][0] == "ok", timeout=150,
                     step=0.5, what=site.size + " resolved")
            fast, slow = site.states()["fast"], site.states()["slow"]
            self.assertIsNotNone(fast[1], "resolved, not just ok")
            self.assertEqual(slow[0], "ok", "pending falls back to ok silently")
            doc = self.every_endpoint(site, "resolved")["/api/status"]
            self.assertEqual(doc["triggers"]["firing_groups"], [])
            wait_for(lambda: len(open(os.path.join(site.inbox, "received.jsonl")).readlines())
                     == 2 if os.path.exists(os.path.join(site.inbox, "received.jsonl")) else
                     False, timeout=60, what=site.size + " fired + resolved delivered")


if __name__ == "__main__":
    unittest.main(verbosity=2)
