# SPDX-License-Identifier: MIT
"""Triggers and notifications end to end: the real binary against the simulator,
with real receivers on loopback: an SMTP server (aiosmtpd) that parses and checks
each message, an HTTP receiver that checks the HMAC signature, an exec program,
and a syslog socket of the test's own. A trigger fires once and resolves once;
an SMTP server that is down, then up, gets every notification once per
idempotency key; a SIGKILL between firing and delivery loses nothing; a `where`
that writes, attaches or reads another table is refused; the backtest matches a
replay computed here, second by second; `triggers test` changes nothing."""
import calendar
import email
import email.policy
import email.utils
import hashlib
import hmac
import http.server
import json
import logging
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import unittest

from harness import ALERTD, SIM_ACCOUNT, AgentTest, Sim, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
EXEC = os.path.join(HERE, "trig_exec.py")
PASSWORD = "smtp-pass-Zq81-never-shown"
HOOK_SECRET = "hook-secret-7Hx2-never-shown"
KEY_RE = r"^[A-Za-z0-9._:%*-]+/[A-Za-z0-9._:%*-]+/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/(fired|resolved|repeat-\d+)$"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def secret_file(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


def all_bytes(folder):
    """Every file the agent or a receiver wrote (not the secrets or the config)."""
    data = b""
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if name.endswith((".secret", ".pass", ".conf", ".token")) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data += f.read()
    return data


def received(folder):
    path = os.path.join(folder, "received.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class SmtpServer:
    """aiosmtpd on 127.0.0.1:port in its own thread, with AUTH (no TLS)."""

    def __init__(self, port):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        # AUTH without TLS is what this test wants: no warning about it.
        logging.getLogger("mail.log").setLevel(logging.ERROR)

        self.messages = []
        self.logins = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                       envelope.content))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            outer.logins.append((auth_data.login, auth_data.password))
            ok = auth_data.login == b"alerts" and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok)

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port,
                                     authenticator=authenticator, auth_require_tls=False,
                                     auth_required=True)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class Webhook:
    """An HTTP receiver that checks X-Alertd-Signature and answers from a script."""

    def __init__(self, secret, answers=()):
        self.secret = secret.encode()
        self.answers = list(answers)
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                want = hmac.new(outer.secret, body, hashlib.sha256).hexdigest()
                code = outer.answers.pop(0) if outer.answers else 200
                outer.requests.append({"body": body, "headers": dict(self.headers),
                                       "signature_ok": hmac.compare_digest(
                                           want, self.headers.get("X-Alertd-Signature", "")),
                                       "code": code})
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/alertd" % self.server.server_address[1]

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def alerts(n, age, code="11200", **fields):
    return [dict({"age": age, "error_code": code, "log_level": "error",
                  "request_url": "https://h.example/voice",
                  "alert_text": "Msg=HTTP+retrieval+failure&httpResponse=502"}, **fields)
            for _ in range(n)]


def force_due(agent):
    """Time passes for the outbox: every pending row is due now."""
    con = sqlite3.connect(agent.db_path, timeout=30)
    con.execute("UPDATE outbox SET next_attempt = '2000-01-01T00:00:00Z' WHERE delivered IS NULL")
    con.commit()
    con.close()


class TriggerTest(AgentTest):
    def setUp(self):
        super().setUp()
        self.inbox = os.path.join(self.folder, "inbox")
        os.mkdir(self.inbox)

    def exec_channel(self, name="hook", timeout="20s"):
        return (f"[notify {name}]\ntype = exec\ncommand = /usr/bin/python3 {EXEC} {self.inbox}\n"
                f"timeout = {timeout}\n")

    def test_fires_once_resolves_once(self):
        sock_path = os.path.join(self.folder, "log.sock")
        log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        log.bind(sock_path)
        log.settimeout(0.2)
        env = {"TWILIO_ALERTD_SYSLOG_SOCKET": sock_path, "TWILIO_AUTH_TOKEN": "env-secret-x"}
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(4, 40) + alerts(2, 40, code="11205"))
            created = time.time() - 40
            agent = self.agent(sim, extra=self.exec_channel() +
                               "[notify log]\ntype = syslog\nfacility = local5\nident = alertd-it\n"
                               "[trigger webhooks]\nerror_code = 11200\nthreshold = 3\n"
                               "window = 1m\nseverity = critical\nnotify = hook, log\n")
            for _ in range(3):
                self.assertOk(agent.once(env=env))
            got = received(self.inbox)
            self.assertEqual(len(got), 1, "fires once, not on every poll")
            note = got[0]["payload"]
            self.assertEqual(note["kind"], "fired")
            self.assertEqual(note["trigger"], "webhooks")
            self.assertEqual(note["count"], 4)
            self.assertEqual(note["threshold"], 3)
            self.assertEqual(note["version"], 1)
            self.assertEqual(note["window_seconds"], 60)
            self.assertEqual(note["severity"], "critical")
            self.assertEqual(len(note["example_sids"]), 4)
            self.assertEqual(note["top_error_codes"][0]["code"], 11200)
            self.assertEqual(note["accounts"], [{"name": "main", "account_sid": SIM_ACCOUNT}])
            self.assertRegex(note["idempotency_key"], KEY_RE)
            envs = got[0]["env"]
            self.assertEqual(envs["TWILIO_ALERTD_KIND"], "fired")
            self.assertEqual(envs["TWILIO_ALERTD_COUNT"], "4")
            self.assertEqual(envs["TWILIO_ALERTD_IDEMPOTENCY_KEY"], note["idempotency_key"])
            # Not inherited (Python itself adds LC_CTYPE when it coerces the C locale).
            self.assertLessEqual(set(got[0]["other_env"]), {"PATH", "LC_CTYPE"})
            lines = []
            while True:
                try:
                    lines.append(log.recv(4096).decode())
                except socket.timeout:
                    break
            self.assertEqual(len(lines), 1, lines)
            # local5 = 21, critical = LOG_CRIT (2): <170>
            self.assertRegex(lines[0], r"^<170>\w{3} [ \d]\d \d\d:\d\d:\d\d alertd-it\[\d+\]: "
                                       r"trigger webhooks FIRING: 4 alerts >= threshold 3 in 1m ")
            st = agent.cmd("triggers", "list")
            self.assertOk(st)
            self.assertIn("state: firing since", st.stdout)
            self.assertIn("outbox: 0 pending, 0 failing, 2 delivered", st.stdout)
            # The alerts leave the 1-minute window: resolved, once.
            time.sleep(max(0.0, created + 61 - time.time()))
            for _ in range(3):
                self.assertOk(agent.once(env=env))
            got = received(self.inbox)
            self.assertEqual([g["payload"]["kind"] for g in got], ["fired", "resolved"])
            res = got[1]["payload"]
            self.assertEqual(res["count"], 0)
            self.assertEqual(res["state"], "ok")
            self.assertEqual(res["started"], note["started"])
            self.assertTrue(res["idempotency_key"].endswith("/resolved"))
            try:
                line = log.recv(4096).decode()
            except socket.timeout:
                line = ""
            self.assertRegex(line, r"^<173>.* trigger webhooks RESOLVED: 0 alerts < threshold 3")
            st = agent.cmd("triggers", "list")
            self.assertIn("state: ok since", st.stdout)
            self.assertIn("last fired " + note["started"], st.stdout)
            self.assertNotIn(b"env-secret-x", all_bytes(self.folder))
        log.close()

    def test_smtp_down_then_up(self):
        port = free_port()
        secret_file(self.folder, "smtp.pass", PASSWORD)
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(3, 30) + alerts(4, 30, code="11205") +
                           alerts(5, 30, code="13227", request_url="https://x.example/a?b=c"))
            agent = self.agent(sim, extra=(
                f"[notify mail]\ntype = email\nurl = smtp://127.0.0.1:{port}\nstarttls = no\n"
                f"from = Twilio alerts <alerts@example.com>\nto = ops@example.com, "
                f"Pager <pager@example.com>\ncc = lead@example.com\nusername = alerts\n"
                f"password_file = {self.folder}/smtp.pass\ntimeout = 5s\n"
                f"[trigger codes]\nthreshold = 3\nwindow = 10m\ngroup_by = error_code\n"
                f"repeat = 0\nnotify = mail\n"))
            # Down: every run fails to deliver, says so in one line per channel, exits 75.
            p = agent.once()
            self.assertEqual(p.returncode, 75, p.stderr)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("notify mail:", lines[0])
            self.assertIn("SMTP", lines[0])
            rows = agent.query("SELECT * FROM outbox ORDER BY id")
            self.assertEqual(len(rows), 3)
            self.assertEqual([r["attempts"] for r in rows], [1, 0, 0],
                             "the first failure holds the channel's queue")
            self.assertIsNotNone(rows[0]["last_error"])
            st = json.loads(agent.cmd("status", "--json").stdout)
            self.assertEqual(st["outbox"]["waiting"], 3)
            self.assertEqual(st["outbox"]["failing"], 1)
            self.assertEqual([c["channel"] for c in st["outbox"]["channels"]], ["mail"])
            self.assertIn("SMTP", st["outbox"]["channels"][0]["last_error"])
            text = agent.cmd("status").stdout
            self.assertIn("outbox: 3 waiting, 1 failing", text)
            # Not due yet: the backoff is honoured across runs.
            p = agent.once()
            self.assertOk(p)
            self.assertEqual(agent.query("SELECT attempts FROM outbox ORDER BY id")[0][0], 1)
            force_due(agent)
            self.assertEqual(agent.once().returncode, 75)
            self.assertEqual(agent.query("SELECT attempts FROM outbox ORDER BY id")[0][0], 2)
            nxt, last = agent.query("SELECT next_attempt, last_attempt FROM outbox ORDER BY id")[0]
            self.assertGreaterEqual(epoch(nxt) - epoch(last), 60,
                                    "the second failure waits twice as long")
            # Up: every notification arrives, in order, once.
            with SmtpServer(port) as smtp:
                force_due(agent)
                self.assertOk(agent.once())
                self.assertOk(agent.once())
                force_due(agent)
                self.assertOk(agent.once())
                self.assertEqual(len(smtp.messages), 3)
                keys = []
                for mail_from, rcpts, content in smtp.messages:
                    self.assertEqual(mail_from, "alerts@example.com")
                    self.assertEqual(sorted(rcpts), ["lead@example.com", "ops@example.com",
                                                     "pager@example.com"])
                    msg = email.message_from_bytes(content, policy=email.policy.default)
                    for h in ("Date", "Message-ID", "MIME-Version", "From", "To", "Cc",
                              "Subject"):
                        self.assertIsNotNone(msg[h], h)
                    self.assertEqual(msg["MIME-Version"], "1.0")
                    self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
                    self.assertRegex(msg["Message-ID"], r"^<[0-9a-f]{32}\.mail@[A-Za-z0-9.-]+>$")
                    self.assertRegex(str(msg["Subject"]),
                                     r"^\[twilio-alertd\] FIRING: codes \(error_code \d+\) "
                                     r"\d+ \u2265 3 in 10m$")
                    self.assertIn("=?UTF-8?B?", content.decode().split("\r\n\r\n")[0])
                    body = msg.get_content()
                    self.assertIn("matching alerts in the last 10m: the threshold is 3.", body)
                    self.assertRegex(body, r"https://www.twilio.com/docs/errors/\d+")
                    self.assertIn("sqlite3 -readonly -box", body)
                    self.assertIn(agent.db_path, body)
                    self.assertIn("Latest alerts (", body)
                    keys.append(msg["X-Alertd-Idempotency-Key"])
                    self.assertRegex(keys[-1], KEY_RE)
                self.assertEqual(len(set(keys)), 3, "once each by idempotency key")
                self.assertEqual([k.split("/")[1] for k in keys], ["11200", "11205", "13227"],
                                 "in the order they happened")
                self.assertEqual(set(smtp.logins), {(b"alerts", PASSWORD.encode())},
                                 "every session logged in, with the right password")
                # The body's sqlite3 command really lists the group's alerts.
                body = email.message_from_bytes(smtp.messages[2][2],
                                                policy=email.policy.default).get_content()
                m = re.search(r'\\\r?\n    "(SELECT .*)"\r?\n', body)
                self.assertIsNotNone(m, repr(body[-700:]))
                sql = m.group(1)
                sql = sql.replace('\\"', '"').replace("\\$", "$")
                self.assertEqual(len(agent.query(sql)), 5)
            st = json.loads(agent.cmd("status", "--json").stdout)
            self.assertEqual(st["outbox"]["waiting"], 0)
            self.assertEqual(st["outbox"]["delivered"], 3)
            self.assertNotIn(PASSWORD.encode(), all_bytes(self.folder))
            self.assertNotIn(PASSWORD, p.stdout + p.stderr)

    def test_smtp_starttls_required(self):
        port = free_port()
        secret_file(self.folder, "smtp.pass", PASSWORD)
        with Sim() as sim, SmtpServer(port) as smtp:
            sim.add_alerts(SIM_ACCOUNT, alerts(1, 10))
            agent = self.agent(sim, extra=(
                f"[notify mail]\ntype = email\nurl = smtp://127.0.0.1:{port}\n"
                f"from = alerts@example.com\nto = ops@example.com\nusername = alerts\n"
                f"password_file = {self.folder}/smtp.pass\n"
                f"[trigger any]\nnotify = mail\n"))
            p = agent.once()
            self.assertEqual(p.returncode, 75, p.stderr)
            self.assertIn("notify mail:", p.stderr)
            self.assertEqual(smtp.messages, [], "no message without STARTTLS")
            self.assertEqual(smtp.logins, [], "the password is not sent in the clear")
            err = agent.query("SELECT last_error FROM outbox")[0][0]
            self.assertIn("SMTP", err)
            self.assertIn("last error (mail): SMTP", agent.cmd("triggers", "list").stdout)

    def test_webhook_signature_and_retry(self):
        secret_file(self.folder, "hook.secret", HOOK_SECRET)
        with Sim() as sim, Webhook(HOOK_SECRET, answers=[503]) as hook:
            sim.add_alerts(SIM_ACCOUNT, alerts(2, 20, resource_sid="CA" + "1" * 32) +
                           alerts(2, 20, resource_sid="CA" + "2" * 32))
            agent = self.agent(sim, extra=(
                f"[notify hook]\ntype = webhook\nurl = {hook.url}\n"
                f"secret_file = {self.folder}/hook.secret\ntimeout = 5s\n"
                f"[trigger calls]\nthreshold = 2\ngroup_by = resource_sid\nnotify = hook\n"))
            p = agent.once()
            self.assertEqual(p.returncode, 75)
            self.assertIn("HTTP status 503", p.stderr)
            self.assertEqual(len(hook.requests), 1)
            force_due(agent)
            self.assertOk(agent.once())
            self.assertEqual(len(hook.requests), 3)
            self.assertEqual([r["signature_ok"] for r in hook.requests], [True] * 3)
            bodies = [json.loads(r["body"]) for r in hook.requests]
            self.assertEqual(bodies[0], bodies[1], "a retry sends the same body")
            self.assertEqual({b["group"] for b in bodies}, {"CA" + "1" * 32, "CA" + "2" * 32})
            for r, b in zip(hook.requests, bodies):
                self.assertEqual(r["headers"]["X-Alertd-Idempotency-Key"], b["idempotency_key"])
                self.assertEqual(r["headers"]["Content-Type"], "application/json")
                self.assertEqual(r["headers"]["X-Alertd-Event"], "fired")
                self.assertEqual(b["group_by"], "resource_sid")
                self.assertEqual(b["count"], 2)
            # A receiver with another secret would see a wrong signature.
            body = hook.requests[0]["body"]
            self.assertNotEqual(hmac.new(b"other", body, hashlib.sha256).hexdigest(),
                                hook.requests[0]["headers"]["X-Alertd-Signature"])
            self.assertNotIn(HOOK_SECRET.encode(), all_bytes(self.folder))
            self.assertNotIn(HOOK_SECRET.encode(), b"".join(r["body"] for r in hook.requests))

    def test_sigkill_between_firing_and_delivery(self):
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(3, 20))
            agent = self.agent(sim, extra=self.exec_channel() +
                               "[trigger t]\nthreshold = 3\nnotify = hook\n")
            open(os.path.join(self.inbox, "block"), "w").close()
            proc = subprocess.Popen([ALERTD, "-c", agent.conf, "once"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started = os.path.join(self.inbox, "started")
            wait_for(lambda: os.path.exists(started) and open(started).read(), timeout=60,
                     what="the exec receiver to start")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            # The receiver never finished; the firing was committed with its outbox row.
            os.kill(int(open(started).read()), signal.SIGKILL)
            os.remove(os.path.join(self.inbox, "block"))
            self.assertEqual(received(self.inbox), [])
            self.assertEqual(agent.query("SELECT state FROM trigger_state")[0][0], "firing")
            row = agent.query("SELECT delivered, attempts FROM outbox")
            self.assertEqual(len(row), 1)
            self.assertIsNone(row[0]["delivered"])
            # Restart: delivered, once, and nothing fires again.
            self.assertOk(agent.once())
            self.assertOk(agent.once())
            got = received(self.inbox)
            self.assertEqual(len(got), 1)
            self.assertEqual(got[0]["payload"]["kind"], "fired")
            self.assertIsNotNone(agent.query("SELECT delivered FROM outbox")[0][0])

    def test_exec_failure_and_timeout_visible(self):
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(1, 5))
            agent = self.agent(sim, extra=(
                self.exec_channel(timeout="2s") + self.exec_channel("slow", timeout="1s") +
                "[notify missing]\ntype = exec\ncommand = /nonexistent/program --x\n"
                "[trigger t]\nnotify = hook, slow, missing\n"))
            open(os.path.join(self.inbox, "fail"), "w").close()
            p = agent.once()
            self.assertEqual(p.returncode, 75)
            self.assertIn("exit status 2: receiver refuses", p.stderr)
            errors = {r[0]: r[1] for r in agent.query("SELECT channel, last_error FROM outbox")}
            self.assertIn("exit status 127", errors["missing"])
            self.assertIn("exit status 2", errors["hook"])
            st = agent.cmd("triggers", "list")
            self.assertIn("3 pending, 3 failing", st.stdout)
            # A program that hangs is killed after its timeout.
            os.remove(os.path.join(self.inbox, "fail"))
            open(os.path.join(self.inbox, "block"), "w").close()
            force_due(agent)
            t0 = time.monotonic()
            p = agent.once()
            self.assertLess(time.monotonic() - t0, 30)
            self.assertIn("timed out after 1s (killed)", p.stderr)
            os.remove(os.path.join(self.inbox, "block"))

    def test_where_refused(self):
        cases = [
            ("1); DELETE FROM alerts; SELECT (1", "closes a parenthesis"),
            ("1; ATTACH DATABASE '/tmp/x.db' AS x", "';'"),
            ("(SELECT count(*) FROM sync_state) > 0", "reads table sync_state"),
            ("(SELECT count(*) FROM outbox) >= 0", "reads table outbox"),
            ("(DELETE FROM alerts RETURNING 1)", "syntax error"),
            ("no_such_column = 1", "no such column"),
        ]
        with Sim() as sim:
            for where, why in cases:
                agent = self.agent(sim, extra=self.exec_channel() +
                                   f"[trigger sneaky]\nwhere = {where}\nnotify = hook\n")
                with open(agent.conf) as f:
                    # The line of the where key, not of its section.
                    line = f.read().splitlines().index(f"where = {where}") + 1
                for args in (["check-config"], ["once"], ["triggers", "list"]):
                    p = agent.cmd(*args)
                    self.assertEqual(p.returncode, 78, (where, args, p.stderr))
                    lines = p.stderr.strip().splitlines()
                    self.assertEqual(len(lines), 1, p.stderr)
                    self.assertIn(f"{agent.conf}:{line}: [trigger sneaky] where is refused",
                                  lines[0])
                    self.assertIn(why, lines[0])
                self.assertFalse(os.path.exists(agent.db_path))
            agent = self.agent(sim, extra=self.exec_channel() +
                               "[trigger fine]\nwhere = http_response >= 500 AND msg LIKE "
                               "'%retrieval%'\nnotify = hook\n")
            self.assertOk(agent.cmd("check-config"))

    def test_backtest_matches_replay(self):
        rnd = random.Random(int(os.environ.get("BACKTEST_SEED", "7")))
        now = int(time.time())
        start = now - 3 * 86400 - 1200
        batch = []
        # Quiet background plus a few bursts per code.
        for code in ("11200", "11205"):
            for _ in range(150):
                batch.append((code, rnd.randint(start, now - 60)))
            for _ in range(6):
                t0 = rnd.randint(start, now - 3600)
                for _ in range(rnd.randint(3, 12)):
                    batch.append((code, t0 + rnd.randint(0, 900)))
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, [
                {"date_created": time.strftime(fmt, time.gmtime(t)), "error_code": c}
                for c, t in batch])
            agent = self.agent(sim, extra=self.exec_channel() + (
                "[trigger burst]\nthreshold = 5\nwindow = 10m\nfor = 2m\nrepeat = 15m\n"
                "group_by = error_code\nnotify = hook\n"))
            self.assertOk(agent.once())
            p = agent.cmd("triggers", "backtest", "burst", "--days", "3")
            self.assertOk(p)
            head = re.match(r"backtest of trigger burst from (\S+) to (\S+) \(3 days\)", p.stdout)
            self.assertIsNotNone(head, p.stdout)
            frm, to = (epoch(x) for x in head.groups())
            got = re.findall(r"^(\S+Z)  (fired|repeat|resolved)\s+group (\d+)  (\d+) alerts?$",
                             p.stdout, re.M)
            want = []
            for code in ("11200", "11205"):
                times = sorted(t for c, t in batch if c == code)
                want += [(time.strftime(fmt, time.gmtime(t)), ev, code, str(n))
                         for t, ev, n in replay(times, frm, to, 600, 5, 120, 900)]
            self.assertGreater(len(want), 3)
            self.assertEqual(sorted(got), sorted(want))
            self.assertEqual([g[0] for g in got], sorted(g[0] for g in got), "in time order")
            self.assertIn(f"{len([t for _, t in batch if frm - 600 < t <= to])} matching alerts",
                          p.stdout)
            # A backtest only reads.
            self.assertEqual(received(self.inbox), [])
            self.assertEqual(agent.cmd("triggers", "backtest", "nope").returncode, 64)
            self.assertEqual(agent.cmd("triggers", "backtest", "burst", "--days", "x").returncode,
                             64)

    def test_triggers_test_changes_nothing(self):
        sock_path = os.path.join(self.folder, "log.sock")
        log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        log.bind(sock_path)
        os.environ["TWILIO_ALERTD_SYSLOG_SOCKET"] = sock_path
        self.addCleanup(os.environ.pop, "TWILIO_ALERTD_SYSLOG_SOCKET", None)
        self.addCleanup(log.close)
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(2, 10))
            agent = self.agent(sim, extra=self.exec_channel() + (
                "[notify log]\ntype = syslog\n"
                "[trigger t]\nthreshold = 3\nnotify = hook, log\n"))
            self.assertEqual(agent.cmd("triggers", "test", "t").returncode, 69, "no database yet")
            self.assertOk(agent.once())
            sim.add_alerts(SIM_ACCOUNT, alerts(2, 5))
            before = dump(agent)
            p = agent.cmd("triggers", "test", "t")
            self.assertOk(p)
            self.assertIn("2 alerts (threshold 3): ok", p.stdout, "the test reads what is stored")
            self.assertOk(agent.once())
            con = sqlite3.connect(agent.db_path)
            con.execute("DELETE FROM outbox")
            con.execute("DELETE FROM trigger_state")
            con.commit()
            con.close()
            before, sent = dump(agent), len(received(self.inbox))
            p = agent.cmd("triggers", "test", "t")
            self.assertOk(p)
            self.assertIn("4 alerts (threshold 3): ok -> firing, would send fired", p.stdout)
            self.assertIn('"kind": "fired"', p.stdout)
            self.assertIn("via [notify hook] (type exec)", p.stdout)
            self.assertIn("trigger t FIRING: 4 alerts >= threshold 3", p.stdout)
            self.assertEqual(dump(agent), before, "a test changes nothing")
            self.assertEqual(len(received(self.inbox)), sent, "and sends nothing")
            self.assertEqual(agent.cmd("triggers", "test", "nope").returncode, 64)
            self.assertEqual(agent.cmd("triggers").returncode, 64)
            self.assertEqual(agent.cmd("triggers", "list", "extra").returncode, 64)


def epoch(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def dump(agent):
    con = sqlite3.connect(f"file:{agent.db_path}?mode=ro", uri=True)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def replay(times, frm, to, window, threshold, hold, repeat):
    """The trigger rules at every second from frm to to: the count is the alerts in
    (t - window, t]; ok -> pending when it reaches the threshold, firing after `hold`
    seconds over it, a repeat every `repeat` seconds, resolved when under again."""
    out, state, since, last = [], "ok", 0, 0
    lo = hi = 0
    for t in range(frm, to + 1):
        while hi < len(times) and times[hi] <= t:
            hi += 1
        while lo < hi and times[lo] <= t - window:
            lo += 1
        n = hi - lo
        over = n >= threshold
        if state == "ok" and over:
            state, since = "pending", t
        if state == "pending":
            if not over:
                state = "ok"
            elif t - since >= hold:
                state, last = "firing", t
                out.append((t, "fired", n))
        elif state == "firing":
            if not over:
                state = "ok"
                out.append((t, "resolved", n))
            elif t - last >= repeat:
                last = t
                out.append((t, "repeat", n))
    return out


if __name__ == "__main__":
    unittest.main(verbosity=2)
