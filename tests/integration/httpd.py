# SPDX-License-Identifier: MIT
"""Helpers for the tests of the agent's HTTP server: a free loopback port, an
agent `run` with its status page on, plain HTTP requests and Twilio's webhook
signature computed independently (hmac + hashlib); and a loopback receiver for
the agent's webhook notification channel. Every wait is bounded."""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import socket
import threading
import time
import urllib.parse

from harness import AgentTest, stop, wait_for


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, auth=None, timeout=30):
    """Returns (status, headers with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % auth).encode()).decode()
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def get(port, path, **kw):
    return request(port, "GET", path, **kw)


def get_json(port, path, **kw):
    status, _, body = get(port, path, **kw)
    return status, json.loads(body)


def twilio_signature(token, url, params):
    """base64 HMAC-SHA1 of url + sorted name+value pairs (twilio-monitor-api.md 6.1)."""
    s = url
    for name, value in sorted(set(params)):
        s += name + value
    mac = hmac.new(token.encode(), s.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def form(params):
    return urllib.parse.urlencode(params).encode()


class HttpTest(AgentTest):
    """An agent `run` with listen on a free port, stopped (and checked) after the test."""

    def start_http(self, sim, agent_keys=None, accounts=None, extra=""):
        self.port = free_port()
        keys = {"listen": "127.0.0.1:%d" % self.port, "interval": "10s", "max_retries": "0"}
        keys.update(agent_keys or {})
        self.agent_ = self.agent(sim, accounts=accounts, agent_keys=keys, extra=extra)
        self.proc = self.agent_.start()
        wait_for(lambda: self.up(), timeout=60, what="the HTTP server")
        return self.agent_

    def up(self):
        if self.proc.poll() is not None:
            raise AssertionError("agent exited: %s" % self.run_out())
        try:
            get(self.port, "/healthz", timeout=5)
            return True
        except OSError:
            return False

    def run_out(self):
        import os
        with open(os.path.join(self.folder, "run.out")) as f:
            return f.read()

    def tearDown(self):
        # Stop the agent (it must exit 0) before the folder goes.
        proc, self.proc = getattr(self, "proc", None), None
        try:
            if proc and proc.poll() is None:
                self.assertEqual(stop(proc), 0, self.run_out())
        finally:
            super().tearDown()


class NotifyReceiver:
    """A receiver for a [notify] type = webhook channel on 127.0.0.1. It records
    every POST (idempotency key header, parsed body, whether the HMAC-SHA256
    X-Alertd-Signature is right, what it answered) and answers what
    `answer(request_number)` returns: an HTTP status, or ("slow", seconds, status)
    to stall first (longer than the channel's timeout: the agent gives up although
    the receiver got the body). Use as a context manager."""

    def __init__(self, secret, answer=None):
        self.secret = secret.encode()
        self.answer = answer or (lambda n: 200)
        self.lock = threading.Lock()
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                body = self.rfile.read(length)
                want = hmac.new(outer.secret, body, hashlib.sha256).hexdigest()
                with outer.lock:
                    n = len(outer.requests)
                    how = outer.answer(n)
                    delay, code = (how[1], how[2]) if isinstance(how, tuple) else (0, how)
                    try:
                        doc = json.loads(body)
                    except ValueError:
                        doc = None
                    entry = {"key": self.headers.get("X-Alertd-Idempotency-Key"),
                             "event": self.headers.get("X-Alertd-Event"), "body": doc,
                             "signature_ok": hmac.compare_digest(
                                 want, self.headers.get("X-Alertd-Signature", "")),
                             "code": code, "slow": delay > 0}
                    outer.requests.append(entry)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    entry["code"] = None  # the agent had hung up: not an answer it saw

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/alertd" % self.server.server_address[1]

    def snapshot(self):
        with self.lock:
            return [dict(r) for r in self.requests]

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
