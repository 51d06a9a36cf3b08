# SPDX-License-Identifier: MIT
"""Helpers for integration tests: a temp folder, a config for the simulator,
the real twilio-alertd binary run as a user would, and the SQLite file read
back with Python's sqlite3. Every wait is bounded."""
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from simctl import Sim  # noqa: F401  (re-exported for the tests)

ALERTD = os.environ.get("ALERTD_BIN", "build/agent/twilio-alertd")
SIM_ACCOUNT = "AC" + "a" * 32
SIM_TOKEN = "sim-token"


class Agent:
    """One agent configuration in its own folder."""

    def __init__(self, folder, accounts, agent_keys=None, extra=""):
        self.folder = folder
        self.db_path = os.path.join(folder, "alerts.db")
        self.conf = os.path.join(folder, "alertd.conf")
        keys = {"database": self.db_path, "listen": "", "interval": "10s"}
        keys.update(agent_keys or {})
        lines = ["[agent]"] + [f"{k} = {v}" for k, v in keys.items()] + [""]
        for acct in accounts:
            name = acct["name"]
            token_file = os.path.join(folder, name + ".token")
            with open(token_file, "w") as f:
                f.write(acct.get("token", SIM_TOKEN) + "\n")
            os.chmod(token_file, 0o600)
            lines += [f"[account {name}]",
                      f"account_sid = {acct.get('sid', SIM_ACCOUNT)}",
                      f"auth_token_file = {token_file}",
                      f"api_base = {acct['api_base']}"]
            for k, v in acct.get("keys", {}).items():
                lines.append(f"{k} = {v}")
            lines.append("")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + extra)
        os.chmod(self.conf, 0o600)

    def cmd(self, *args, timeout=180, env=None):
        """Run the binary with this config; returns CompletedProcess (text)."""
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([ALERTD, "-c", self.conf, *args], capture_output=True,
                              text=True, timeout=timeout, env=e)

    def once(self, *args, **kw):
        return self.cmd(*args, "once", **kw)

    def start(self, *args, **kw):
        """Start `run` in the background (stdout/stderr to files)."""
        with open(os.path.join(self.folder, "run.out"), "w") as out:
            return subprocess.Popen([ALERTD, "-c", self.conf, *args, "run"],
                                    stdout=out, stderr=subprocess.STDOUT, **kw)

    def db(self, rw=False):
        # Read-only while the agent runs; after a SIGKILL only a read-write
        # connection (which never creates the file) may recover the WAL.
        mode = "rw" if rw else "ro"
        con = sqlite3.connect(f"file:{self.db_path}?mode={mode}", uri=True, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def query(self, sql, *params, rw=False):
        con = self.db(rw)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def sids(self, account_sid=None):
        if account_sid:
            rows = self.query("SELECT sid FROM alerts WHERE account_sid = ?", account_sid)
        else:
            rows = self.query("SELECT sid FROM alerts")
        return {r[0] for r in rows}

    def count(self, rw=False):
        """Rows in alerts; 0 while the database or its schema does not exist yet."""
        if not os.path.exists(self.db_path):
            return 0
        try:
            return self.query("SELECT count(*) FROM alerts", rw=rw)[0][0]
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return 0
            raise


def read(path):
    with open(path) as f:
        return f.read()


def stop(proc, sig=signal.SIGTERM, timeout=30):
    """Send @sig and wait (bounded); kill if it does not exit."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise AssertionError(f"process did not exit within {timeout}s of signal {sig}")


def wait_for(pred, timeout=30, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class AgentTest(unittest.TestCase):
    """A temp folder per test, removed afterwards unless KEEP_TEST_DIRS is set."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="alertd-it-")

    def tearDown(self):
        if not os.environ.get("KEEP_TEST_DIRS"):
            shutil.rmtree(self.folder, ignore_errors=True)

    def agent(self, sim, accounts=None, **kw):
        if accounts is None:
            accounts = [{"name": "main", "api_base": sim.url}]
        return Agent(self.folder, accounts, **kw)

    def assertOk(self, proc, msg=""):
        self.assertEqual(proc.returncode, 0,
                         f"{msg} exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
