# SPDX-License-Identifier: MIT
"""The agent against hostile input it cannot trust: control characters from
Twilio's error bodies reach the log escaped, never raw (issue 10 item 6); the
daemon is not dumpable (item 7). Every wait is bounded."""
import http.server
import json
import os
import sqlite3
import subprocess
import threading
import unittest

from harness import AgentTest, Sim, read, stop, wait_for

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
