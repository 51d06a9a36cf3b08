# SPDX-License-Identifier: MIT
"""The status page, JSON API, /metrics and /healthz of `run` against the
simulator: content, shapes, paging, escaping, headers, auth, and /healthz
turning 503 when the API is gone for longer than 3 intervals."""
import os
import re
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
        # Filters: only 11200s.
        page = get(self.port, "/?error_code=11200&log_level=error&account=main")[2].decode()
        self.assertIn(self.xss_sid, page)
        codes = self.agent_.query("SELECT DISTINCT error_code FROM alerts")
        self.assertGreater(len(codes), 1)
        codes_listed = set(re.findall(r'<td class="c">(\d+)</td><td class="msg"><a href="/alerts/',
                                      page))
        self.assertEqual(codes_listed, {"11200"})

    def test_bad_filters_are_400(self):
        """A filter that cannot be applied is refused on the page, never ignored."""
        for query, why in (("error_code=abc", "error code must be a whole number"),
                           ("log_level=fatal", "level must be error"),
                           ("account=nobody", "account is neither"),
                           ("resource_sid=%3Cb%3E", "resource SID must be"),
                           ("since=yesterday", "from is not a date"),
                           ("until=2025-13-45", "until is not a date"),
                           ("since=2025-10-09&until=2025-10-08", "from must be before until"),
                           ("cursor=bogus", "cursor is not one this page gave")):
            status, hdrs, body = get(self.port, "/?" + query)
            page = body.decode()
            self.assertEqual(status, 400, query)
            self.assertIn("text/html", hdrs["content-type"])
            self.assertIn('id="filter-error">Bad filter: ' + why, page, query)
            latest = page[page.index('id="latest"'):]
            self.assertNotIn('href="/alerts/', latest, query)
        # A good filter in the same form is 200 and lists rows.
        status, _, body = get(self.port, "/?since=2000-01-01&until=2100-01-01%2000:00")
        self.assertEqual(status, 200)
        self.assertIn('href="/alerts/', body.decode())

    def latest_rows(self, page):
        """(sid, created) of the rows of the latest-alerts table, in order."""
        latest = page[page.index('id="latest"'):]
        return re.findall(r'<td class="t"><time datetime="([^"]+)">[^<]*</time></td>'
                          r'.*?<a href="/alerts/(NO[0-9a-f]{32})">', latest)

    def test_latest_alerts_paging_and_time_range(self):
        want = [r[0] for r in self.agent_.query(
            "SELECT sid FROM alerts ORDER BY date_created DESC, sid DESC")]
        seen, path = [], "/"
        for _ in range(40):
            status, _, body = get(self.port, path)
            self.assertEqual(status, 200, path)
            page = body.decode()
            rows = self.latest_rows(page)
            self.assertTrue(rows, path)
            seen += [sid for _, sid in rows]
            m = re.search(r'<a rel="next" id="older" href="([^"]+)"', page)
            if not m:
                break
            path = m.group(1).replace("&amp;", "&").split("#")[0]
        self.assertEqual(seen, want)
        # A time range with a filter: the links keep both, every row is inside it.
        since, until = self.agent_.query(
            "SELECT min(date_created), max(date_created) FROM (SELECT date_created FROM alerts"
            " ORDER BY date_created DESC LIMIT 200 OFFSET 100)")[0]
        q = "error_code=11200&since=%s&until=%s" % (since, until)
        want = [r[0] for r in self.agent_.query(
            "SELECT sid FROM alerts WHERE error_code = 11200 AND date_created >= ? AND "
            "date_created < ? ORDER BY date_created DESC, sid DESC", since, until)]
        self.assertGreater(len(want), 0)
        seen, path = [], "/?" + q
        for _ in range(40):
            page = get(self.port, path)[2].decode()
            rows = self.latest_rows(page)
            self.assertTrue(all(since <= d < until for d, _ in rows), path)
            seen += [sid for _, sid in rows]
            m = re.search(r'<a rel="next" id="older" href="([^"]+)"', page)
            if not m:
                break
            path = m.group(1).replace("&amp;", "&").split("#")[0]
            self.assertIn("since=", path)
            self.assertIn("error_code=11200", path)
        self.assertEqual(seen, want)

    def test_alert_page(self):
        status, _, body = get(self.port, "/alerts/" + self.xss_sid)
        page = body.decode()
        self.assertEqual(status, 200)
        self.assertNotIn("<script", page.lower())
        self.assertIn("&lt;script&gt;document.title=&quot;PWNED&quot;&lt;/script&gt;", page)
        self.assertIn("https://hooks.example.com/&lt;b&gt;x&lt;/b&gt;", page)
        # A report: labelled fields, each once; no raw column names, no "null".
        row = self.agent_.query("SELECT date_created, resource_sid FROM alerts WHERE sid = ?",
                                self.xss_sid)[0]
        self.assertIn("<dt>Created (UTC)</dt><dd><time datetime=\"%s\">%s %s</time>"
                      % (row[0], row[0][:10], row[0][11:19]), page)
        self.assertIn("<dt>HTTP status</dt><dd>502</dd>", page)
        self.assertIn("<dt>Kind</dt><dd>Webhook failure", page)
        self.assertEqual(page.count(">502<"), 1, "502 once, as a field")
        self.assertNotIn("<th>httpResponse</th>", page)
        self.assertNotIn("<th>Msg</th>", page)
        self.assertNotIn("null", page)
        for raw in ("request_url", "date_created", "account_sid", "REQUEST_URL"):
            self.assertNotIn(">" + raw + "<", page)
        self.assertIn("https://www.twilio.com/console/voice/calls/logs/" + row[1], page)
        self.assertIn("https://www.twilio.com/console/debugger/" + self.xss_sid, page)
        self.assertIn('href="/?error_code=11200#latest"', page)
        self.assertIn('href="/?resource_sid=%s#latest"' % row[1], page)
        # The resource link lists exactly that resource's alerts.
        listed = self.latest_rows(get(self.port, "/?resource_sid=" + row[1])[2].decode())
        self.assertEqual([sid for _, sid in listed], [self.xss_sid])
        # A generated alert: its other alert_text fields are listed once, decoded.
        sid, text = self.agent_.query("SELECT sid, alert_text FROM alerts WHERE alert_text "
                                      "LIKE '%sourceComponent=%' LIMIT 1")[0]
        page = get(self.port, "/alerts/" + sid)[2].decode()
        self.assertIn("<th>sourceComponent</th>", page)
        self.assertNotIn("<th>ErrorCode</th>", page)
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
        self.assertGreater(want, 0, "the filter has something to find")
        self.assertEqual(doc["count"], want)
        self.assertEqual(len(doc["alerts"]), want)
        self.assertEqual({a["error_code"] for a in doc["alerts"]}, {11200})
        since = self.agent_.query("SELECT date_created FROM alerts ORDER BY date_created "
                                  "DESC LIMIT 1 OFFSET 10")[0][0]
        status, doc = get_json(self.port, "/api/alerts?since=" + since)
        self.assertGreaterEqual(len(doc["alerts"]), 11)
        self.assertEqual([a for a in doc["alerts"] if a["date_created"] < since], [])
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


class OriginTest(HttpTest):
    """Webhook failures (your URLs) apart from REST API errors (Twilio's API hosts)."""

    def test_failing_webhooks_and_api_errors(self):
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, [
                {"age": 100, "error_code": "11200", "alert_text": "Msg=Bad&httpResponse=502",
                 "request_url": "https://down.example/voice"},
                {"age": 200, "error_code": "12100", "alert_text": "Msg=Parse&httpResponse=200",
                 "request_url": "https://twiml.example/voice"},
                {"age": 300, "error_code": "30003", "alert_text": "Msg=Unreachable",
                 "request_url": "https://fine.example/status"},
                {"age": 400, "error_code": "82002", "alert_text": "Msg=Fn&httpResponse=200",
                 "request_url": "https://fine.example/fn"},
                {"age": 500, "error_code": "13227", "alert_text": "Msg=Dial",
                 "request_url": "https://fine.example/dial"},
                {"age": 600, "error_code": "21610", "alert_text": "Msg=Unsubscribed",
                 "request_url": "https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json"
                 % SIM_ACCOUNT, "request_method": "POST"},
                {"age": 700, "error_code": "21610", "alert_text": "Msg=Unsubscribed",
                 "request_url": "https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json"
                 % SIM_ACCOUNT, "request_method": "POST"},
            ])
            agent = self.start_http(sim)
            wait_for(lambda: agent.count() == 7, timeout=60, what="first poll")
            wait_for(lambda: get_json(self.port, "/api/status")[1]["summary"]["rows"] == 7,
                     timeout=30, what="the summary")
            summ = get_json(self.port, "/api/status")[1]["summary"]
            hosts = {h["request_host"]: h for h in summ["failing_hosts"]}
            self.assertEqual(set(hosts), {"down.example", "twiml.example"})
            self.assertEqual((hosts["twiml.example"]["last_http_response"],
                              hosts["twiml.example"]["last_error_code"]), (200, 12100))
            self.assertEqual(hosts["down.example"]["alerts"]["24h"], 1)
            api = summ["rest_api_errors"]
            self.assertEqual([(a["error_code"], a["alerts"]["24h"]) for a in api], [(21610, 2)])
            self.assertEqual(api[0]["request_method"], "POST")
            # The page and the views say the same.
            page = get(self.port, "/")[2].decode()
            hosts_html = page[page.index('id="hosts"'):page.index('id="api"')]
            api_html = page[page.index('id="api"'):page.index('id="triggers"')]
            self.assertIn("down.example", hosts_html)
            self.assertIn("twiml.example", hosts_html)
            self.assertNotIn("fine.example", hosts_html)
            self.assertNotIn("api.twilio.com", hosts_html)
            self.assertIn("api.twilio.com", api_html)
            self.assertEqual(sorted(r[0] for r in agent.query(
                "SELECT DISTINCT request_host FROM failing_webhooks")),
                ["down.example", "twiml.example"])
            self.assertEqual([tuple(r) for r in agent.query(
                "SELECT error_code, alerts FROM failing_api_calls")], [(21610, 2)])


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
            self.assertEqual(len(doc["alerts"]), 2, doc)
            self.assertEqual([a for a in doc["alerts"] if "msg" not in a], [], doc)
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
