# SPDX-License-Identifier: MIT
"""The agent against hostile input it cannot trust: control characters from
Twilio's error bodies reach the log escaped, never raw (issue 10 item 6); the
daemon is not dumpable (item 7). Every wait is bounded."""
import http.server
import json
import os
import threading
import unittest

from harness import SIM_ACCOUNT, AgentTest, Sim, wait_for
from httpd import HttpTest

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
