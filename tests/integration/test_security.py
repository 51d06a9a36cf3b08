# SPDX-License-Identifier: MIT
"""The agent against hostile input it cannot trust: control characters from
Twilio's error bodies reach the log escaped, never raw (issue 10 item 6); the
daemon is not dumpable (item 7); slow clients (slowloris) from many loopback
addresses neither starve the status page nor the signed webhook (item 3).
Every wait is bounded."""
import http.server
import json
import os
import socket
import sqlite3
import struct
import subprocess
import threading
import time
import unittest

from harness import SIM_ACCOUNT, SIM_TOKEN, AgentTest, Sim, read, stop, wait_for
from httpd import HttpTest, form, request, twilio_signature

HOSTILE = "Authenticate\r\nBcc: victim@example.com\nSubject: forged\x1b[31m red\x07!\xff"


class HostileTwilio(http.server.BaseHTTPRequestHandler):
    """Answers every request 401 with an error body full of control characters."""

    def do_GET(self):
        body = json.dumps({"code": 20003, "message": HOSTILE, "detail": "x\x1b]0;title\x07"})
        data = body.encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class LogInjectionTest(AgentTest):
    def test_error_body_is_escaped_in_the_log(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileTwilio)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        a = self.agent(None, accounts=[{"name": "main",
                                        "api_base": "http://127.0.0.1:%d" % srv.server_port}],
                       agent_keys={"max_retries": "0"})
        p = a.cmd("-v", "once", timeout=60)
        self.assertEqual(p.returncode, 77, p.stderr)
        err = p.stderr
        # The hostile text did reach the log (else the test proves nothing) ...
        self.assertIn("Bcc: victim@example.com", err)
        # ... on the same line as the rest of the message, escaped.
        line, = [l for l in err.splitlines() if "Bcc:" in l]
        self.assertTrue(line.startswith("twilio-alertd: "), line)
        self.assertIn("Authenticate\\r\\nBcc: victim@example.com\\nSubject: forged\\x1b[31m red"
                      "\\x07", line)
        self.assertNotIn("\r", err)
        self.assertNotIn("\x1b", err)
        self.assertNotIn("\x07", err)
        for l in err.splitlines():
            self.assertTrue(l.startswith("twilio-alertd: "), "a line not from the agent: %r" % l)


PUBLIC_URL = "https://alerts.example.com/twilio/debugger"
PER_IP_MAX = 32            # HTTP_PER_IP_MAX in agent/web/http.h


def server_connections(port):
    """{remote IPv4 address: ESTABLISHED connections} on the server side of @port."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            local, remote, st = line.split()[1:4]
            if st != "01" or int(local.split(":")[1], 16) != port:
                continue
            ip = socket.inet_ntoa(struct.pack("<I", int(remote.split(":")[0], 16)))
            out[ip] = out.get(ip, 0) + 1
    return out


class Slowloris:
    """Slow clients: per source address a number of connections, each sending
    a request one byte every @every seconds and reopened when the server drops
    it. Runs in a thread until stop(); every loop is bounded by that."""

    def __init__(self, port, sources, every=2.0):
        self.port, self.sources, self.every = port, sources, every
        self.socks = []
        self.reopened = 0
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self, src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            s.connect_ex(("127.0.0.1", self.port))
        except OSError:
            s.close()
            return None
        return [s, src, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 100000]

    def run(self):
        for src, n in self.sources.items():
            for _ in range(n):
                c = self.open(src)
                if c:
                    self.socks.append(c)
        while not self.halt.wait(self.every):
            for i, c in enumerate(self.socks):
                s, src, rest = c
                try:
                    if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                        raise ConnectionResetError()
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    self.reopened += 1
                    self.socks[i] = self.open(src) or c
                    continue
                try:
                    s.send(rest[:1])
                    c[2] = rest[1:]
                except BlockingIOError:
                    pass
                except OSError:
                    pass

    def start(self):
        self.thread.start()

    def stop(self):
        self.halt.set()
        self.thread.join(timeout=30)
        for c in self.socks:
            c[0].close()


class GroupInjectionTest(AgentTest):
    def test_resource_sid_group_is_escaped_in_syslog_and_stderr(self):
        """A resource_sid with CR/LF/ESC, as a trigger's group, reaches the
        syslog channel and the agent's log escaped: no forged line."""
        sock_path = os.path.join(self.folder, "log.sock")
        log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(log.close)
        log.bind(sock_path)
        log.settimeout(0.2)
        hostile = "CA1\r\nBcc: victim@example.com\x1b[31m"
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, [{"age": 30, "error_code": "11200",
                                          "resource_sid": hostile}])
            a = self.agent(sim, extra="[notify log]\ntype = syslog\n"
                                      "[trigger t]\nerror_code = 11200\nthreshold = 1\n"
                                      "window = 1h\ngroup_by = resource_sid\nnotify = log\n")
            p = a.cmd("-vv", "once", env={"TWILIO_ALERTD_SYSLOG_SOCKET": sock_path})
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(a.query("SELECT resource_sid FROM alerts")[0][0], hostile)
        got = []
        for _ in range(50):         # bounded
            try:
                got.append(log.recv(65536).decode())
            except socket.timeout:
                break
        line, = [g for g in got if "trigger t" in g]
        self.assertIn("CA1\\r\\nBcc: victim@example.com\\x1b[31m", line)
        for text in [line, p.stderr]:
            self.assertNotIn("\r", text)
            self.assertNotIn("\x1b", text)
        self.assertNotIn("\n", line)
        for l in p.stderr.splitlines():
            self.assertTrue(l.startswith("twilio-alertd: "), "a forged line: %r" % l)


NOBODY = 65534


def as_peer():
    """Popen keywords that run a process as the test's unprivileged user:
    as root that is uid/gid 65534 (root's CAP_SYS_PTRACE would override the
    dumpable check), else the test's own user."""
    if os.geteuid() == 0:
        return {"user": NOBODY, "group": NOBODY, "extra_groups": []}
    return {}


def read_proc(pid, name):
    """(exit status, stderr) of reading /proc/PID/NAME as a peer process."""
    p = subprocess.run(["cat", "/proc/%d/%s" % (pid, name)], capture_output=True, timeout=30,
                       **as_peer())
    return p.returncode, p.stderr.decode(errors="replace")


def synced(a):
    try:
        return a.query("SELECT count(*) FROM sync_state")[0][0] > 0
    except sqlite3.Error:
        return False


class CoreDumpTest(AgentTest):
    def test_daemon_is_not_dumpable(self):
        # The check itself works: a dumpable process of the same user is readable.
        peer = subprocess.Popen(["sleep", "60"], **as_peer())
        self.addCleanup(peer.wait, 10)
        self.addCleanup(peer.kill)
        rc, err = read_proc(peer.pid, "environ")
        self.assertEqual(rc, 0, err)
        with Sim() as sim:
            a = self.agent(sim)
            if os.geteuid() == 0:
                for name in [self.folder] + [os.path.join(self.folder, f)
                                             for f in os.listdir(self.folder)]:
                    os.chown(name, NOBODY, NOBODY)
            proc = a.start(**as_peer())
            try:
                wait_for(lambda: proc.poll() is not None or synced(a), timeout=60,
                         what="the first poll")
                self.assertIsNone(proc.poll(), read(os.path.join(self.folder, "run.out")))
                with open("/proc/%d/limits" % proc.pid) as f:
                    core, = [line for line in f if line.startswith("Max core file size")]
                self.assertEqual(core.split()[4:6], ["0", "0"], core)
                for name in ["environ", "mem"]:
                    rc, err = read_proc(proc.pid, name)
                    self.assertNotEqual(rc, 0, "/proc/PID/%s is readable: the daemon is "
                                        "dumpable" % name)
                    self.assertIn("Permission denied", err)
            finally:
                self.assertEqual(stop(proc), 0)


class SlowlorisTest(HttpTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim()
        self.sim.start()
        self.addCleanup(self.sim.stop)
        acct = {"name": "main", "api_base": self.sim.url,
                "keys": {"webhook": "yes", "public_url": PUBLIC_URL}}
        self.a = self.start_http(self.sim, accounts=[acct], agent_keys={"interval": "10m"})

    def push(self, sid):
        params = [("Sid", sid), ("AccountSid", SIM_ACCOUNT), ("Level", "Error"),
                  ("Payload", json.dumps({"error_code": "11200"}))]
        return request(self.port, "POST", "/twilio/debugger", body=form(params), timeout=30,
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "X-Twilio-Signature": twilio_signature(SIM_TOKEN, PUBLIC_URL,
                                                                       params)})

    def test_page_and_webhook_are_served_during_a_flood(self):
        # Hundreds from one address (over the per-address cap), and enough from
        # twenty more to fill the server; the legitimate client is 127.0.0.1.
        sources = {"127.0.0.2": 300}
        sources.update({"127.0.0.%d" % i: 30 for i in range(3, 23)})
        flood = Slowloris(self.port, sources)
        flood.start()
        self.addCleanup(flood.stop)
        for round_ in range(3):
            # The flood really holds the server: hundreds of its connections are open.
            wait_for(lambda: sum(server_connections(self.port).values()) >= 400, timeout=60,
                     step=0.2, what="the flood to hold 400 connections")
            status, _, body = request(self.port, "GET", "/", timeout=30)
            self.assertEqual(status, 200, body[:200])
            sid = "NO%032x" % (round_ + 1)
            status, _, body = self.push(sid)
            self.assertEqual(status, 200, body)
            self.assertEqual(self.a.query("SELECT count(*) FROM alerts WHERE sid = ?",
                                          sid)[0][0], 1)
            # The 300 from one address mostly refused (the count also has
            # connections still in the listen queue, so it is not exact).
            held = server_connections(self.port)
            self.assertLess(held.get("127.0.0.2", 0), 3 * PER_IP_MAX, held)
            time.sleep(2)
        self.assertTrue(flood.thread.is_alive())
        # The slow connections were cut (deadline or eviction) and came back.
        self.assertGreater(flood.reopened, 0)

    def test_a_request_must_arrive_whole_within_the_deadline(self):
        """A client sending a byte a second is never idle, yet is cut off."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.addCleanup(s.close)
        head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
        closed = False
        for i in range(len(head)):     # bounded: 1000 s at most, the deadline is 10 s
            try:
                s.send(head[i:i + 1])
            except OSError:
                closed = True
                break
            s.settimeout(1)
            try:
                if s.recv(4096) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = True
                break
            if i > 60:
                break
        self.assertTrue(closed, "a request trickling in for a minute was not cut off")


FIELD_MAX = 64 * 1024      # STORE_FIELD_MAX in agent/store/store.h
MARK = " [truncated by twilio-alertd from "


class FieldCapTest(HttpTest):
    """One 10 MB alert_text (issue 10 item 8): stored cut with a mark, from
    the poll and the webhook alike; old huge rows and many large rows still
    give /api/alerts and the pages, the API in pages by cursor."""

    def setUp(self):
        super().setUp()
        self.sim = Sim()
        self.sim.start()
        self.addCleanup(self.sim.stop)
        acct = {"name": "main", "api_base": self.sim.url,
                "keys": {"webhook": "yes", "public_url": PUBLIC_URL}}
        self.a = self.start_http(self.sim, accounts=[acct],
                                 agent_keys={"interval": "10s", "overlap": "30d"})

    def api(self, path):
        status, _, body = request(self.port, "GET", path, timeout=60)
        self.assertEqual(status, 200, body[:300])
        return json.loads(body)

    def test_a_10mb_alert_text_is_stored_cut(self):
        huge = "Msg=" + "\u00e9" * 10 + "x" * (10 * 1024 * 1024)
        sid, = self.sim.add_alerts(SIM_ACCOUNT, [{"age": 60, "alert_text": huge}])
        wait_for(lambda: self.a.query("SELECT count(*) FROM alerts WHERE sid = ?", sid)[0][0],
                 timeout=60, step=0.5, what="the poll of the huge alert")
        text, = self.a.query("SELECT alert_text FROM alerts WHERE sid = ?", sid)[0]
        self.assertTrue(text.startswith(huge[:1000]))
        self.assertTrue(text.endswith(MARK + "%d bytes]" % len(huge.encode())), text[-100:])
        self.assertLessEqual(len(text.encode()), FIELD_MAX + 100)
        # A push's Payload (the body cap allows 128 KiB) is cut the same way.
        payload = json.dumps({"error_code": "11200", "x": "y" * 100000})
        params = [("Sid", "NO" + "7" * 32), ("AccountSid", SIM_ACCOUNT), ("Level", "Error"),
                  ("Payload", payload)]
        status, _, body = request(self.port, "POST", "/twilio/debugger", body=form(params),
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "X-Twilio-Signature": twilio_signature(
                                               SIM_TOKEN, PUBLIC_URL, params)})
        self.assertEqual(status, 200, body)
        text, = self.a.query("SELECT alert_text FROM alerts WHERE sid = ?", "NO" + "7" * 32)[0]
        self.assertTrue(text.endswith(MARK + "%d bytes]" % len(payload)), text[-100:])
        doc = self.api("/api/alerts?limit=1000")
        self.assertEqual({a["sid"] for a in doc["alerts"]} >= {sid, "NO" + "7" * 32}, True)
        self.assertEqual(request(self.port, "GET", "/alerts/" + sid)[0], 200)

    def test_old_huge_rows_and_many_big_rows_are_served_in_pages(self):
        wait_for(lambda: self.a.query("SELECT count(*) FROM sync_state")[0][0] == 1,
                 timeout=60, what="first poll")
        # Rows written before the cap (or by hand): one of 10 MB, and 120 of
        # 60 KB whose every byte JSON escapes to six: 40 MB of JSON in all.
        big = "\x01" * 60000
        con = self.a.db(rw=True)
        with con:
            rows = [("NO%032x" % i, SIM_ACCOUNT, "2026-01-01T00:%02d:%02dZ" % (i // 60, i % 60),
                     big, "2026-01-01T00:00:00Z", "poll") for i in range(120)]
            rows.append(("NO" + "f" * 32, SIM_ACCOUNT, "2026-01-01T03:00:00Z",
                         "z" * (10 * 1024 * 1024), "2026-01-01T00:00:00Z", "poll"))
            con.executemany("INSERT INTO alerts (sid, account_sid, date_created, alert_text,"
                            " first_seen, source) VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.close()
        want = {r[0] for r in rows}
        seen, pages, cursor = [], 0, None
        while pages < 50:          # bounded: 121 rows
            doc = self.api("/api/alerts?limit=1000&until=2026-01-02T00:00:00Z" +
                           ("&cursor=" + cursor if cursor else ""))
            pages += 1
            self.assertEqual(doc["count"], len(doc["alerts"]))
            seen += [a["sid"] for a in doc["alerts"]]
            for a in doc["alerts"]:
                if a["sid"] == "NO" + "f" * 32:
                    self.assertTrue(a["alert_text"].endswith(MARK + "10485760 bytes]"))
                    self.assertEqual(len(a["alert_text"]), FIELD_MAX + len(MARK) + 15)
            cursor = doc["next_cursor"]
            if not cursor:
                break
        self.assertGreater(pages, 1, "40 MB of JSON came in one reply")
        self.assertEqual(len(seen), len(set(seen)), "a row came twice")
        self.assertEqual(set(seen), want)
        for path in ["/", "/alerts/NO" + "f" * 32, "/api/alerts/NO" + "f" * 32,
                     "/alerts/NO%032x" % 5]:
            status, _, body = request(self.port, "GET", path, timeout=60)
            self.assertEqual(status, 200, path + ": " + body[:300].decode(errors="replace"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
