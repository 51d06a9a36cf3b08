# SPDX-License-Identifier: MIT
"""The status page, JSON API, /metrics and /healthz of `run` against the
simulator: content, shapes, paging, escaping, headers, auth, and /healthz
turning 503 when the API is gone for longer than 3 intervals."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import SIM_ACCOUNT, Sim, wait_for
from httpd import HttpTest, free_port, get, get_json, request

XSS = '<script>document.title="PWNED"</script><img src=x onerror="document.title=1">'


class HttpTest_(HttpTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim()
        self.sim.start()
        self.addCleanup(self.sim.stop)
        self.sim.generate(SIM_ACCOUNT, 500, days=6, seed=21)
        self.xss_sid = self.sim.add_alerts(SIM_ACCOUNT, [{
            "age": 60, "error_code": "11200", "log_level": "error",
            "alert_text": "Msg=" + XSS.replace(" ", "+") + "&httpResponse=502",
            "request_url": "https://hooks.example.com/<b>x</b>"}])[0]
        self.agent_ = self.start_http(self.sim)
        wait_for(lambda: self.agent_.count() == 501, timeout=60, what="first poll")
        wait_for(lambda: get_json(self.port, "/api/status")[1]["summary"]["rows"] == 501,
                 timeout=30, what="the summary")

    def test_status_page(self):
        status, hdrs, body = get(self.port, "/")
        page = body.decode()
        self.assertEqual(status, 200)
        self.assertIn("text/html", hdrs["content-type"])
        self.assertIn("default-src 'none'", hdrs["content-security-policy"])
        self.assertNotIn("script-src", hdrs["content-security-policy"])
        self.assertEqual(hdrs["x-content-type-options"], "nosniff")
        self.assertIn("<svg", page)
        self.assertIn('http-equiv="refresh"', page)
        self.assertNotIn("<script", page.lower())
        self.assertIn("&lt;script&gt;", page)
        self.assertNotIn("sim-token", page)
        day = self.agent_.query(
            "SELECT count(*) FROM alerts WHERE date_created >= "
            "strftime('%Y-%m-%dT%H:%M:%SZ','now','-1 day')")[0][0]
        self.assertIn('id="count-24h"><div class="muted">Last 24 hours</div>'
                      '<div class="big">%d</div>' % day, page)
        self.assertIn("https://www.twilio.com/docs/errors/11200", page)
        # Filters: only 11200s; a bad value is said, not an error.
        page = get(self.port, "/?error_code=11200&log_level=error&account=main")[2].decode()
        self.assertIn(self.xss_sid, page)
        codes = self.agent_.query("SELECT DISTINCT error_code FROM alerts")
        self.assertGreater(len(codes), 1)
        status, _, body = get(self.port, "/?error_code=abc")
        self.assertEqual(status, 200)
        self.assertIn("error code must be a number", body.decode())

    def test_alert_page(self):
        status, _, body = get(self.port, "/alerts/" + self.xss_sid)
        page = body.decode()
        self.assertEqual(status, 200)
        self.assertNotIn("<script", page.lower())
        self.assertIn("&lt;script&gt;document.title=&quot;PWNED&quot;&lt;/script&gt;", page)
        self.assertIn("<th>httpResponse</th>", page)   # alert_text split into fields
        self.assertIn("https://hooks.example.com/&lt;b&gt;x&lt;/b&gt;", page)
        self.assertEqual(get(self.port, "/alerts/NO" + "0" * 32)[0], 404)
        self.assertEqual(get(self.port, "/alerts/%3Cx%3E")[0], 404)
        status, one = get_json(self.port, "/api/alerts/" + self.xss_sid)
        self.assertEqual(status, 200)
        self.assertEqual(one["sid"], self.xss_sid)
        self.assertEqual(one["error_code"], 11200)
        self.assertEqual(one["http_response"], 502)
        self.assertIn("response_body", one)

    def test_api_status_shape(self):
        status, doc = get_json(self.port, "/api/status")
        self.assertEqual(status, 200)
        self.assertTrue(doc["healthy"])
        self.assertIsNone(doc["problem"])
        acct = doc["accounts"][0]
        for key in ("account", "account_sid", "configured", "state", "last_success",
                    "last_success_age_seconds", "last_attempt", "watermark",
                    "newest_alert_age_seconds", "last_error", "last_error_time", "alerts",
                    "rows", "webhook", "fetch_details"):
            self.assertIn(key, acct)
        self.assertEqual(acct["account"], "main")
        self.assertEqual(acct["state"], "ok")
        self.assertEqual(acct["rows"], 501)
        summ = doc["summary"]
        self.assertEqual(set(summ["alerts"]), {"1h", "24h", "7d"})
        self.assertEqual(summ["alerts"]["7d"]["total"], 501)
        levels = self.agent_.query("SELECT log_level, count(*) FROM alerts GROUP BY 1")
        for level, n in levels:
            self.assertEqual(summ["alerts"]["7d"][level], n)
        self.assertEqual(len(summ["hourly"]["error"]), 168)
        self.assertEqual(sum(summ["hourly"]["error"]) + sum(summ["hourly"]["warning"]) +
                         sum(summ["hourly"]["other"]), 501)
        top = summ["top_error_codes"][0]
        self.assertEqual(set(top), {"error_code", "docs_url", "alerts", "last_seen", "msg"})
        n, = self.agent_.query("SELECT count(*) FROM alerts WHERE error_code = ?",
                               top["error_code"])[0]
        self.assertEqual(top["alerts"]["7d"], n)
        self.assertIn("available", doc["triggers"])

    def test_api_alerts_paging_and_filters(self):
        seen, cursor, pages = [], None, 0
        while pages < 100:
            path = "/api/alerts?limit=37" + ("&cursor=" + cursor if cursor else "")
            status, doc = get_json(self.port, path)
            self.assertEqual(status, 200)
            seen += [a["sid"] for a in doc["alerts"]]
            pages += 1
            cursor = doc["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(seen), 501)
        self.assertEqual(set(seen), self.agent_.sids())
        rows = self.agent_.query("SELECT sid FROM alerts ORDER BY date_created DESC, sid DESC")
        self.assertEqual(seen, [r[0] for r in rows])
        status, doc = get_json(self.port, "/api/alerts?error_code=11200&log_level=error"
                               "&account=main&limit=1000")
        want = self.agent_.query("SELECT count(*) FROM alerts WHERE error_code = 11200 AND "
                                 "log_level = 'error'")[0][0]
        self.assertEqual(doc["count"], want)
        self.assertTrue(all(a["error_code"] == 11200 for a in doc["alerts"]))
        since = self.agent_.query("SELECT date_created FROM alerts ORDER BY date_created "
                                  "DESC LIMIT 1 OFFSET 10")[0][0]
        status, doc = get_json(self.port, "/api/alerts?since=" + since)
        self.assertTrue(all(a["date_created"] >= since for a in doc["alerts"]))
        self.assertGreaterEqual(doc["count"], 11)
        for bad in ("since=yesterday", "limit=0", "limit=1001", "error_code=x",
                    "log_level=fatal", "log_level=rror", "log_level=error|warning",
                    "cursor=bogus", "account=nobody"):
            status, doc = get_json(self.port, "/api/alerts?" + bad)
            self.assertEqual(status, 400, bad)
            self.assertIn("error", doc)

    def test_metrics_promtool(self):
        status, hdrs, body = get(self.port, "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        for name in ("twilio_alertd_polls_total", "twilio_alertd_api_requests_total",
                     "twilio_alertd_alerts_ingested_total", "twilio_alertd_alerts_stored",
                     "twilio_alertd_last_success_timestamp_seconds",
                     "twilio_alertd_notifications_sent_total",
                     "twilio_alertd_notifications_failed_total", "twilio_alertd_healthy"):
            self.assertIn("\n" + name, "\n" + text)
        self.assertIn('twilio_alertd_alerts_ingested_total{account="main",source="poll"} 501',
                      text)
        self.assertNotIn("sim-token", text)
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool (Debian package prometheus) is not installed")
        p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_methods_and_errors(self):
        self.assertEqual(get(self.port, "/nope")[0], 404)
        status, hdrs, _ = request(self.port, "POST", "/", body=b"x")
        self.assertEqual(status, 405)
        self.assertEqual(hdrs["allow"], "GET, HEAD")
        status, hdrs, body = request(self.port, "HEAD", "/api/status")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(get(self.port, "/twilio/debugger")[0], 405)
        # Headers beyond the cap are refused by the server, which stays up.
        status = request(self.port, "GET", "/", headers={"X-Big": "a" * 40000})[0]
        self.assertIn(status, (413, 431))
        self.assertEqual(get(self.port, "/healthz")[0], 200)


class Utf8Test(HttpTest):
    """Text from Twilio that is not valid UTF-8 once decoded (a percent-escaped Msg), or
    that a length cap cut inside a character, still reaches the JSON, as U+FFFD."""

    def test_invalid_utf8_in_json(self):
        with Sim() as sim:
            bad, long_ = sim.add_alerts(SIM_ACCOUNT, [
                {"age": 60, "error_code": "11200", "log_level": "error",
                 "alert_text": "Msg=caf%E9+%FF%C3&httpResponse=502"},
                {"age": 120, "error_code": "12100", "log_level": "warning",
                 "alert_text": "Msg=" + "%C3%A9" * 120}])
            agent = self.start_http(sim)
            wait_for(lambda: agent.count() == 2, timeout=60, what="first poll")
            wait_for(lambda: get_json(self.port, "/api/status")[1]["summary"]["rows"] == 2,
                     timeout=30, what="the summary")
            status, one = get_json(self.port, "/api/alerts/" + bad)
            self.assertEqual(status, 200)
            self.assertEqual(one["msg"], "caf\ufffd \ufffd\ufffd")
            status, doc = get_json(self.port, "/api/alerts")
            self.assertEqual(status, 200)
            self.assertTrue(all("msg" in a for a in doc["alerts"]), doc)
            status, doc = get_json(self.port, "/api/status")
            self.assertEqual(status, 200)
            codes = {c["error_code"]: c["msg"] for c in doc["summary"]["top_error_codes"]}
            self.assertEqual(set(codes), {11200, 12100})
            self.assertEqual(codes[11200], "caf\ufffd \ufffd\ufffd")
            self.assertTrue(codes[12100].startswith("\u00e9" * 70), codes[12100])


class AuthTest(HttpTest):
    def test_basic_auth_everywhere_but_the_webhook(self):
        pw = os.path.join(self.folder, "pw")
        with open(pw, "w") as f:
            f.write("s3cret pass\n")
        os.chmod(pw, 0o600)
        with Sim() as sim:
            self.start_http(sim, agent_keys={"listen_user": "oncall",
                                             "listen_password_file": pw})
            for path in ("/", "/api/status", "/api/alerts", "/metrics", "/healthz",
                         "/alerts/NO" + "0" * 32):
                status, hdrs, _ = get(self.port, path)
                self.assertEqual(status, 401, path)
                self.assertIn("Basic", hdrs["www-authenticate"])
                self.assertEqual(get(self.port, path, auth=("oncall", "wrong"))[0], 401)
            self.assertEqual(get(self.port, "/healthz", auth=("oncall", "s3cret pass"))[0], 200)
            self.assertEqual(get(self.port, "/", auth=("oncall", "s3cret pass"))[0], 200)
            # The webhook has its own check (the signature), not Basic auth.
            status = request(self.port, "POST", "/twilio/debugger", body=b"a=b", headers={
                "Content-Type": "application/x-www-form-urlencoded"})[0]
            self.assertEqual(status, 403)

    def test_non_loopback_needs_auth(self):
        with Sim() as sim:
            agent = self.agent(sim, agent_keys={"listen": "0.0.0.0:%d" % free_port()})
            p = agent.cmd("check-config")
            self.assertEqual(p.returncode, 78, p.stderr)
            self.assertIn("not a loopback address", p.stderr)


class HealthTest(HttpTest):
    def test_healthz_503_when_api_down_for_3_intervals(self):
        sim = Sim()
        sim.start()
        try:
            self.start_http(sim)
            wait_for(lambda: get(self.port, "/healthz")[0] == 200, timeout=60, what="healthy")
        finally:
            sim.stop()
        # interval 10s: unhealthy once the last success is more than 30s old.
        status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(
            (lambda s, h, b: (s, b))(*get(self.port, "/healthz"))), timeout=90, step=1,
            what="/healthz 503")
        self.assertIn(b"account main: no successful poll for", body)
        doc = get_json(self.port, "/api/status")[1]
        self.assertFalse(doc["healthy"])
        self.assertIn("no successful poll", doc["problem"])
        self.assertIn("twilio_alertd_healthy 0", get(self.port, "/metrics")[2].decode())
        self.assertIn("PROBLEM", get(self.port, "/")[2].decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
