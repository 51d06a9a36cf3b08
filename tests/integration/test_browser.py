# SPDX-License-Identifier: MIT
"""Headless Chromium (Debian's chromium, no driver) loads the status page of
`run` against the simulator: a screenshot is taken (kept in the build folder as
status-page.png) and the rendered DOM is checked: the counts, the chart, and
an alert whose text holds <script> shown as text and not executed. Then, over
the DevTools protocol on a pipe (--remote-debugging-pipe, no extra package),
the status page and an alert page at 1280 px and at a 390 px phone width:
screenshots (status-*.png, alert-*.png) and, measured in the page, no
horizontal overflow of the document and no cell wider than its table."""
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import SIM_ACCOUNT, Sim, wait_for
from httpd import HttpTest, get_json

XSS = ('<script>document.title="PWNED";document.body.setAttribute("data-pwned","1")'
       '</script><img src=x onerror="document.body.setAttribute(\'data-pwned\',\'2\')">')
CHROMIUM_TIMEOUT = 90
LONG_URL = "https://hooks.example.com/" + "averyveryverylongpathsegmentwithoutanybreak" * 6
PHONE = 390


class Cdp:
    """Chromium driven over the DevTools protocol on fds 3 and 4 (NUL-separated JSON)."""

    def __init__(self, chromium, profile):
        r1, self.w = os.pipe()
        self.r, w2 = os.pipe()

        def fds():
            # Out of the way first: r1 or w2 may already be 3 or 4 (and close-on-exec).
            a, b = os.dup(r1), os.dup(w2)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--remote-debugging-pipe", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             "--user-data-dir=" + profile, "about:blank"],
            preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r1)
        os.close(w2)
        self.buf, self.n, self.events = b"", 0, []

    def recv(self):
        deadline = time.monotonic() + CHROMIUM_TIMEOUT
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no answer from chromium in %ds" % CHROMIUM_TIMEOUT)
            if select.select([self.r], [], [], left)[0]:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise AssertionError("chromium closed the DevTools pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, session=None, **params):
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        for _ in range(100000):
            m = self.recv()
            if m.get("id") == self.n:
                if "error" in m:
                    raise AssertionError("%s: %s" % (method, m["error"]))
                return m["result"]
            self.events.append(m)
        raise AssertionError("no answer to " + method)

    def wait_event(self, method, session):
        for _ in range(100000):
            for i, m in enumerate(self.events):
                if m.get("method") == method and m.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self.recv())
        raise AssertionError("no " + method)

    def load(self, url, width, height, mobile):
        """A new tab of @width CSS px showing @url, loaded; returns its session."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride", session=session, width=width,
                  height=height, deviceScaleFactor=1, mobile=mobile)
        self.send("Page.navigate", session=session, url=url)
        self.wait_event("Page.loadEventFired", session)
        return session

    def eval(self, session, expr):
        res = self.send("Runtime.evaluate", session=session, expression=expr,
                        returnByValue=True)
        if "exceptionDetails" in res:
            raise AssertionError("%s: %s" % (expr, res["exceptionDetails"]))
        return res["result"]["value"]

    def screenshot(self, session, path):
        data = self.send("Page.captureScreenshot", session=session, format="png",
                         captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        os.close(self.w)
        os.close(self.r)


# Measured in the page: the document's width against the window's, and every
# element that sticks out to the right of the document (none may).
LAYOUT_JS = """(() => {
  const d = document.documentElement, out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    let p = e.parentElement, clipped = false;
    for (; p && p !== document.body; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; }
    if (!clipped && r.right > innerWidth + 0.5) out.push(e.tagName + '.' + e.className);
  }
  return {scrollWidth: d.scrollWidth, innerWidth: innerWidth, overflowing: out.slice(0, 5),
          cells: document.querySelectorAll('td').length};
})()"""


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

    @unittest.skipUnless(find_chromium(), "chromium is not installed (tools/setup.sh test does)")
    def test_layout_desktop_and_phone(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 300, days=6, seed=32)
            long_sid = sim.add_alerts(SIM_ACCOUNT, [{
                "age": 20, "error_code": "11200", "log_level": "error",
                "alert_text": "Msg=HTTP+retrieval+failure&httpResponse=502&url=" + LONG_URL,
                "request_url": LONG_URL}])[0]
            agent = self.start_http(sim, accounts=[{"name": "main", "api_base": sim.url,
                                                    "keys": {"fetch_details": "yes"}}])
            wait_for(lambda: agent.count() == 301, timeout=60, what="first poll")
            wait_for(lambda: get_json(self.port, "/api/status")[1]["summary"]["rows"] == 301,
                     timeout=30, what="the summary")
            shot_dir = os.environ.get("SCREENSHOT_DIR", self.folder)
            base = "http://127.0.0.1:%d" % self.port
            cdp = Cdp(find_chromium(), tempfile.mkdtemp(prefix="cdp-", dir=self.folder))
            try:
                for name, path in (("status", "/"), ("alert", "/alerts/" + long_sid)):
                    for label, width, mobile in (("desktop", 1280, False),
                                                 ("phone", PHONE, True)):
                        session = cdp.load(base + path, width, 900, mobile)
                        shot = os.path.join(shot_dir, "%s-%s.png" % (name, label))
                        cdp.screenshot(session, shot)
                        with open(shot, "rb") as f:
                            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
                        m = cdp.eval(session, LAYOUT_JS)
                        self.assertGreater(m["cells"], 0, name)
                        self.assertEqual(m["innerWidth"], width, (name, label, m))
                        self.assertLessEqual(m["scrollWidth"], m["innerWidth"],
                                             (name, label, m))
                        self.assertEqual(m["overflowing"], [], (name, label))
                        # The long URL is on the page, broken inside its cell.
                        self.assertTrue(cdp.eval(session, "document.body.innerText.includes("
                                                 + json.dumps(LONG_URL[:60]) + ")"), name)
            finally:
                cdp.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
