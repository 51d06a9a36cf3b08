# SPDX-License-Identifier: MIT
"""`twilio-alertd demo --once` syncs, prints the status and exits 0; `demo`
then serves the status page until SIGTERM, and exits 0."""
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

from harness import ALERTD, stop, wait_for
from httpd import get


class DemoTest(unittest.TestCase):
    def env(self):
        e = dict(os.environ)
        e["TWILIO_ALERTD_SIM"] = os.environ["SIM_BIN"]
        return e

    def test_demo_once(self):
        p = subprocess.run([ALERTD, "demo", "--once"], capture_output=True, text=True,
                           timeout=240, env=self.env())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("status", p.stdout)
        self.assertIn("== done", p.stdout)
        self.assertNotIn("status page:", p.stdout)

    def test_demo_serves_until_sigterm(self):
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen([ALERTD, "demo"], stdout=out, stderr=subprocess.STDOUT,
                                    env=self.env(), stdin=subprocess.DEVNULL)
            try:
                def url():
                    out.seek(0)
                    m = re.search(r"status page: http://127\.0\.0\.1:(\d+)/", out.read())
                    if proc.poll() is not None:
                        raise AssertionError("demo exited early")
                    return m and int(m.group(1))
                port = wait_for(url, timeout=240, step=0.2, what="the status page URL")
                wait_for(lambda: self.healthy(port), timeout=60, step=0.2, what="/healthz 200")
                self.assertEqual(get(port, "/")[0], 200)
                self.assertEqual(stop(proc, signal.SIGTERM, timeout=60), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
            out.seek(0)
            self.assertIn("== stopped", out.read())

    def test_no_build_path_in_the_binary(self):
        # A packaged agent must not look for the simulator where it was built.
        with open(ALERTD, "rb") as f:
            self.assertNotIn(os.environ["SIM_BIN"].encode(), f.read())

    def test_without_the_variable_names_it(self):
        installed = os.path.join(os.environ["ALERTD_LIBEXECDIR"], "twilio-monitor-sim")
        if os.access(installed, os.X_OK):
            self.skipTest(f"{installed} is installed")
        e = dict(os.environ)
        e.pop("TWILIO_ALERTD_SIM", None)
        p = subprocess.run([ALERTD, "demo", "--once"], capture_output=True, text=True,
                           timeout=60, env=e)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"no simulator at {installed}", p.stderr)
        self.assertIn("TWILIO_ALERTD_SIM", p.stderr)

    @staticmethod
    def healthy(port):
        try:
            return get(port, "/healthz", timeout=5)[0] == 200
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main(verbosity=2)
