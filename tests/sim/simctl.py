# SPDX-License-Identifier: MIT
"""Start and drive twilio-monitor-sim from Python tests (stdlib only).

    from simctl import Sim
    with Sim(accounts=[("AC" + "1" * 32, "tok")]) as sim:
        sim.generate("AC" + "1" * 32, count=500, days=3)
        status, headers, body = sim.get("/v1/Alerts?PageSize=5", auth=("AC" + "1" * 32, "tok"))

The binary comes from the `binary` argument or the SIM_BIN environment variable.
It listens on an ephemeral loopback port (--port 0 --port-file); `.url` and
`.port` tell where. Every wait is bounded; exiting the block sends SIGTERM and
kills the process if it has not exited within a few seconds.
"""

import base64
import http.client
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

DEFAULT_ACCOUNT = ("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sim-token")


class SimError(Exception):
    """A control request failed or the simulator did not start."""


def basic_auth(user, password):
    raw = ("%s:%s" % (user, password)).encode()
    return "Basic " + base64.b64encode(raw).decode()


class Sim:
    def __init__(self, accounts=None, api_keys=None, control=True, extra_args=(),
                 binary=None, seed=None, max_results=None, now=None, start_timeout=15.0):
        """accounts: [(sid, token)] (default: the built-in ACaaa.../sim-token);
        api_keys: [(key_sid, secret, account_sid)]; now: sim clock as ISO 8601."""
        self.binary = binary or os.environ.get("SIM_BIN")
        if not self.binary:
            raise SimError("set SIM_BIN or pass binary=")
        self.accounts = list(accounts) if accounts else [DEFAULT_ACCOUNT]
        self.api_keys = list(api_keys or [])
        self.control = control
        self.extra_args = list(extra_args)
        self.seed = seed
        self.max_results = max_results
        self.now = now
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.url = None
        self.stderr_path = None
        self._tmp = None

    # -- lifecycle -------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(check=exc_type is None)
        return False

    def command(self, port_file):
        cmd = [self.binary, "--port", "0", "--port-file", port_file, "--quiet"]
        if self.control:
            cmd.append("--control")
        if self.accounts != [DEFAULT_ACCOUNT]:
            for sid, token in self.accounts:
                cmd += ["--account", "%s:%s" % (sid, token)]
        for key, secret, account in self.api_keys:
            cmd += ["--api-key", "%s:%s:%s" % (key, secret, account)]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        if self.max_results is not None:
            cmd += ["--max-results", str(self.max_results)]
        if self.now is not None:
            cmd += ["--now", self.now]
        return cmd + self.extra_args

    def start(self):
        self._tmp = tempfile.mkdtemp(prefix="simctl-")
        port_file = os.path.join(self._tmp, "port")
        self.stderr_path = os.path.join(self._tmp, "stderr")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.command(port_file), stdout=subprocess.PIPE,
                                         stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SimError("simulator exited with %s: %s"
                               % (self.proc.returncode, self.stderr()))
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        else:
            self.stop()
            raise SimError("simulator did not start within %.0fs" % self.start_timeout)
        self.url = "http://127.0.0.1:%d" % self.port
        # The banner line follows the port file; wait for it, but never forever.
        self.banner = ""
        ready, _, _ = select.select([self.proc.stdout], [], [], 5.0)
        if ready:
            self.banner = self.proc.stdout.readline().decode().strip()

    def stop(self, check=True):
        """SIGTERM, then SIGKILL after 5 s. With check, a non-zero exit status
        (a crash, or a sanitizer report) raises SimError with the stderr text."""
        rc = None
        if self.proc:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            rc = self.proc.returncode
            if self.proc.stdout:
                self.proc.stdout.close()
        err = self.stderr() if rc else ""
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.proc = None
        if check and rc:
            raise SimError("simulator exited with status %s:\n%s" % (rc, err))
        return rc

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    # -- raw HTTP --------------------------------------------------------
    def request(self, method, path, body=None, auth=None, headers=None, timeout=30):
        """Returns (status, headers dict with lower-case names, body bytes).
        auth is (user, password) or None."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if auth:
                hdrs["Authorization"] = basic_auth(*auth)
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        finally:
            conn.close()

    def get(self, path, auth=None, headers=None, timeout=30):
        return self.request("GET", path, auth=auth, headers=headers, timeout=timeout)

    def get_json(self, path, auth=None, headers=None):
        status, hdrs, body = self.get(path, auth=auth, headers=headers)
        return status, json.loads(body)

    def ctl(self, method, path, body=None):
        status, _, payload = self.request(method, "/_sim/" + path, body=body)
        data = json.loads(payload) if payload else {}
        if status >= 300:
            raise SimError("%s /_sim/%s -> %d %s" % (method, path, status, data))
        return data

    # -- control API -----------------------------------------------------
    def add_account(self, sid, token, api_keys=()):
        keys = [{"sid": k, "secret": s} for k, s in api_keys]
        return self.ctl("POST", "accounts", {"sid": sid, "token": token, "api_keys": keys})

    def add_alerts(self, account_sid, alerts):
        """alerts: list of dicts with any alert fields (plus "age" seconds, and "raw":
        {field: bytes.hex()} for a field whose JSON value is served byte for byte,
        e.g. invalid UTF-8). Returns sids."""
        return self.ctl("POST", "alerts", {"account_sid": account_sid, "alerts": alerts})["sids"]

    def generate(self, account_sid, count, days=30, seed=None):
        body = {"account_sid": account_sid, "count": count, "days": days}
        if seed is not None:
            body["seed"] = seed
        return self.ctl("POST", "generate", body)

    def clear_alerts(self, account_sid):
        return self.ctl("DELETE", "alerts?account_sid=" + account_sid)

    def sids(self, account_sid):
        """Sids of the account's alerts inside the 30-day window, newest first."""
        return self.ctl("GET", "alerts?account_sid=" + account_sid)["sids"]

    def alert_dates(self, account_sid):
        """{sid: date_created} of the account's alerts inside the 30-day window."""
        got = self.ctl("GET", "alerts?dates=1&account_sid=" + account_sid)
        return dict(zip(got["sids"], got["dates"]))

    def faults(self, faults):
        """Queue faults for the next /v1/ requests, one each, in order, e.g.
        [{"type": "429", "retry_after": 1}, {"type": "reset"}]. Types: 429, 500,
        503, slow (needs "ms"), cut (half the announced body, then close), badjson,
        reset (close without a reply), step ("seconds": move the sim clock and its
        Date header, then answer), late ("age": answer, then add an alert dated
        that many seconds ago to the requesting account). Any fault takes "ms",
        a delay before it applies, and "count" to repeat it."""
        return self.ctl("POST", "faults", {"faults": list(faults)})

    def pending_faults(self):
        return self.ctl("GET", "faults")["faults"]

    def clear_faults(self):
        return self.ctl("DELETE", "faults")

    def requests(self):
        return self.ctl("GET", "requests")["requests"]

    def clear_requests(self):
        return self.ctl("DELETE", "requests")

    def clock(self):
        return self.ctl("GET", "clock")

    def set_clock(self, now):
        """now: ISO 8601 UTC string or Unix time."""
        return self.ctl("POST", "clock", {"now": now})

    def advance(self, seconds):
        return self.ctl("POST", "clock", {"advance": seconds})

    def set_max_results(self, n):
        return self.ctl("POST", "config", {"max_results": n})
