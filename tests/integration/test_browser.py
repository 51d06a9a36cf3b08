# SPDX-License-Identifier: MIT
"""Headless Chromium (Debian's chromium, no driver) loads the status page of
`run` against the simulator: a screenshot is taken (kept in the build folder as
status-page.png) and the rendered DOM is checked: the counts, the chart, and
an alert whose text holds <script> shown as text and not executed."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import SIM_ACCOUNT, Sim, wait_for
from httpd import HttpTest, get_json

XSS = ('<script>document.title="PWNED";document.body.setAttribute("data-pwned","1")'
       '</script><img src=x onerror="document.body.setAttribute(\'data-pwned\',\'2\')">')
CHROMIUM_TIMEOUT = 90


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserTest(HttpTest):
    def chromium(self, *args):
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.folder)
        cmd = [find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
               *args]
        p = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace")[-2000:])
        return p.stdout.decode()

    @unittest.skipUnless(find_chromium(), "chromium is not installed (tools/setup.sh test does)")
    def test_page_in_chromium(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 800, days=6, seed=31)
            xss = sim.add_alerts(SIM_ACCOUNT, [{
                "age": 30, "error_code": "11200", "log_level": "error",
                "alert_text": "Msg=" + XSS.replace(" ", "+").replace("&", "%26")}])[0]
            agent = self.start_http(sim)
            wait_for(lambda: agent.count() == 801, timeout=60, what="first poll")
            wait_for(lambda: get_json(self.port, "/api/status")[1]["summary"]["rows"] == 801,
                     timeout=30, what="the summary")
            url = "http://127.0.0.1:%d/" % self.port
            shot_dir = os.environ.get("SCREENSHOT_DIR", self.folder)
            shot = os.path.join(shot_dir, "status-page.png")
            self.chromium("--screenshot=" + shot, "--window-size=1280,2000", url)
            self.assertTrue(os.path.getsize(shot) > 10000, "the screenshot is empty")
            with open(shot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            dom = self.chromium("--dump-dom", "--virtual-time-budget=3000", url)
            doc = get_json(self.port, "/api/status")[1]
            week = doc["summary"]["alerts"]["7d"]["total"]
            day = doc["summary"]["alerts"]["24h"]["total"]
            self.assertEqual(week, 801)
            for what in ('<div class="big">%d</div>' % week, '<div class="big">%d</div>' % day,
                         "<svg", "<rect", "all accounts syncing"):
                self.assertTrue(what in dom, what + " is not on the page")
            # The alert's text is on the page as text; none of it ran (the body has no
            # attribute and the title is the page's own). assertTrue keeps failures short.
            self.assertTrue("&lt;script&gt;document.title=" in dom, "escaped text missing")
            self.assertTrue(xss in dom, "the alert's row is missing")
            self.assertTrue("<title>twilio-alertd</title>" in dom, "the title changed")
            self.assertTrue("<body>" in dom and "<body data-pwned" not in dom, "a script ran")
            self.assertFalse("<script" in dom, "a script element is in the DOM")
            detail = self.chromium("--dump-dom", "http://127.0.0.1:%d/alerts/%s" % (self.port, xss))
            self.assertTrue("&lt;script&gt;" in detail and "<script" not in detail)


if __name__ == "__main__":
    unittest.main(verbosity=2)
