# SPDX-License-Identifier: MIT
"""Behaviour tests of twilio-monitor-sim against the Monitor v1 facts (stdlib only).

Run: SIM_BIN=build/tests/sim/twilio-monitor-sim /usr/bin/python3 tests/sim/test_sim.py
"""

import calendar
import email.utils
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simctl import Sim, SimError, basic_auth  # noqa: E402

ACC_A = ("AC" + "a1" * 16, "token-a")
ACC_B = ("AC" + "b2" * 16, "token-b")
KEY_A = ("SK" + "c3" * 16, "secret-a")
NOW = "2024-06-15T12:00:00Z"
NOW_T = calendar.timegm(time.strptime(NOW, "%Y-%m-%dT%H:%M:%SZ"))

LIST_FIELDS = {
    "account_sid", "alert_text", "api_version", "date_created", "date_generated",
    "date_updated", "error_code", "log_level", "more_info", "request_method", "request_url",
    "resource_sid", "sid", "url", "service_sid",
}
INSTANCE_ONLY = {"request_variables", "response_body", "response_headers", "request_headers"}
META_FIELDS = {"first_page_url", "key", "next_page_url", "page", "page_size",
               "previous_page_url", "url"}


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_iso(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def page_all(sim, first_path, auth, between_pages=None, limit=100000):
    """Follows next_page_url; returns (alerts, pages)."""
    alerts, pages, path = [], [], first_path
    while path:
        status, body = sim.get_json(path, auth=auth)
        if status != 200:
            raise AssertionError("GET %s -> %d %s" % (path, status, body))
        pages.append(body)
        alerts += body["alerts"]
        if between_pages:
            between_pages(len(pages))
        nxt = body["meta"]["next_page_url"]
        path = path_of(nxt) if nxt else None
        if len(pages) > limit:
            raise AssertionError("paging does not end")
    return alerts, pages


def order_key(a):
    return (a["date_created"], a["sid"])


class Base(unittest.TestCase):
    sim = None
    sim_kwargs = {}

    @classmethod
    def setUpClass(cls):
        kw = dict(accounts=[ACC_A, ACC_B], api_keys=[KEY_A + (ACC_A[0],)], now=NOW)
        kw.update(cls.sim_kwargs)
        cls.sim = Sim(**kw)
        cls.sim.start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def get(self, path, auth=ACC_A, **kw):
        return self.sim.get_json(path, auth=auth, **kw)

    def assertTwilioError(self, status, body, want_status, want_code=None):
        self.assertEqual(status, want_status, body)
        self.assertEqual(body["status"], want_status)
        if want_code is not None:
            self.assertEqual(body["code"], want_code)
        self.assertEqual(body["more_info"], "https://www.twilio.com/docs/errors/%d" % body["code"])
        self.assertIsInstance(body["message"], str)


class ListShape(Base):
    """Read-only checks over one generated data set."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim.generate(ACC_A[0], 3000, days=20, seed=7)
        cls.sim.generate(ACC_B[0], 200, days=5, seed=8)

    def test_envelope_and_meta_exact(self):
        status, hdrs, raw = self.sim.get("/v1/Alerts", auth=ACC_A)
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("application/json"))
        body = json.loads(raw)
        self.assertEqual(set(body), {"alerts", "meta"})
        meta = body["meta"]
        self.assertEqual(set(meta), META_FIELDS)
        base = "http://127.0.0.1:%d/v1/Alerts" % self.sim.port
        self.assertEqual(meta["key"], "alerts")
        self.assertEqual(meta["page"], 0)
        self.assertEqual(meta["page_size"], 50)
        self.assertEqual(len(body["alerts"]), 50)
        self.assertEqual(meta["first_page_url"], base + "?PageSize=50&Page=0")
        self.assertEqual(meta["url"], base + "?PageSize=50&Page=0")
        self.assertIsNone(meta["previous_page_url"])
        nxt = urllib.parse.urlsplit(meta["next_page_url"])
        q = urllib.parse.parse_qs(nxt.query)
        self.assertEqual(nxt.scheme + "://" + nxt.netloc + nxt.path, base)
        self.assertEqual(q["PageSize"], ["50"])
        self.assertEqual(q["Page"], ["1"])
        self.assertRegex(q["PageToken"][0], r"^PA[0-9a-f]{48}$")

    def test_meta_keeps_filters(self):
        path = ("/v1/Alerts?LogLevel=error&StartDate=%s&EndDate=%s&PageSize=20"
                % (iso(NOW_T - 10 * 86400), urllib.parse.quote(iso(NOW_T), safe="")))
        status, body = self.get(path)
        self.assertEqual(status, 200)
        meta = body["meta"]
        for url in (meta["first_page_url"], meta["next_page_url"], meta["url"]):
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            self.assertEqual(q["LogLevel"], ["error"])
            self.assertEqual(q["StartDate"], [iso(NOW_T - 10 * 86400)])
            self.assertEqual(q["EndDate"], [iso(NOW_T)])
            self.assertEqual(q["PageSize"], ["20"])
        # Filters come first, as in Twilio's example URLs.
        self.assertIn("?LogLevel=error&StartDate=", meta["first_page_url"])
        status, page2 = self.get(path_of(meta["next_page_url"]))
        self.assertEqual(page2["meta"]["page"], 1)
        self.assertIn("PageToken=", page2["meta"]["url"])
        self.assertTrue(all(a["log_level"] == "error" for a in page2["alerts"]))

    def test_absolute_urls_from_host_header(self):
        status, body = self.get("/v1/Alerts?PageSize=3",
                                headers={"Host": "monitor.example.test:8443"})
        self.assertEqual(status, 200)
        base = "http://monitor.example.test:8443/v1/Alerts"
        for key in ("first_page_url", "next_page_url", "url"):
            self.assertTrue(body["meta"][key].startswith(base + "?"), body["meta"][key])
        for a in body["alerts"]:
            self.assertEqual(a["url"], base + "/" + a["sid"])

    def test_list_items_lack_instance_fields_fetch_has_them(self):
        status, body = self.get("/v1/Alerts?PageSize=200")
        self.assertEqual(status, 200)
        for a in body["alerts"]:
            self.assertEqual(set(a), LIST_FIELDS)
        some = body["alerts"][17]
        status, inst = self.get("/v1/Alerts/" + some["sid"])
        self.assertEqual(status, 200)
        self.assertEqual(set(inst), LIST_FIELDS | INSTANCE_ONLY)
        for k in LIST_FIELDS:
            self.assertEqual(inst[k], some[k], k)
        for k in INSTANCE_ONLY:
            self.assertIsInstance(inst[k], str)

    def test_instance_details_are_realistic(self):
        status, body = self.get("/v1/Alerts?PageSize=1000")
        webhook = [a for a in body["alerts"] if a["error_code"] == "11200"]
        self.assertTrue(webhook)
        status, inst = self.get("/v1/Alerts/" + webhook[0]["sid"])
        rv = urllib.parse.parse_qs(inst["request_variables"])
        self.assertEqual(rv["AccountSid"], [ACC_A[0]])
        self.assertRegex(rv["CallSid"][0], r"^CA[0-9a-f]{32}$")
        rh = urllib.parse.parse_qs(inst["response_headers"])
        self.assertIn("Content-Type", rh)
        self.assertEqual(rh["Content-Length"], [str(len(inst["response_body"].encode()))])
        self.assertIn("X-Twilio-Signature", urllib.parse.parse_qs(inst["request_headers"]))

    def test_page_size_bounds(self):
        status, body = self.get("/v1/Alerts?PageSize=1000")
        self.assertEqual((status, len(body["alerts"]), body["meta"]["page_size"]),
                         (200, 1000, 1000))
        status, body = self.get("/v1/Alerts?PageSize=1")
        self.assertEqual(len(body["alerts"]), 1)
        for bad in ("1001", "0", "abc", "-5", "", "10.5"):
            status, body = self.get("/v1/Alerts?PageSize=" + bad)
            self.assertTwilioError(status, body, 400, 20001)
            self.assertIn("PageSize", body["message"])

    def test_bad_page_and_token(self):
        for q in ("Page=-1", "Page=x", "PageToken=PAxyz", "PageToken=NO" + "0" * 48):
            status, body = self.get("/v1/Alerts?" + q)
            self.assertTwilioError(status, body, 400, 20001)

    def test_ordering_newest_first(self):
        alerts, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_A)
        self.assertEqual(len(alerts), 3000)
        keys = [order_key(a) for a in alerts]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertEqual(len({a["sid"] for a in alerts}), 3000)
        self.assertEqual([a["sid"] for a in alerts], self.sim.sids(ACC_A[0]))

    def test_generated_fields(self):
        alerts, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_A)
        codes, levels, null_svc = {}, {}, 0
        for a in alerts:
            self.assertIsInstance(a["error_code"], str)
            self.assertRegex(a["sid"], r"^NO[0-9a-f]{32}$")
            self.assertEqual(a["account_sid"], ACC_A[0])
            self.assertRegex(a["resource_sid"], r"^[A-Z]{2}[0-9a-f]{32}$")
            self.assertIn(a["request_method"], ("GET", "POST"))
            self.assertIn(a["api_version"], ("2010-04-01", ""))
            self.assertEqual(a["more_info"], "https://www.twilio.com/docs/errors/" + a["error_code"])
            created = parse_iso(a["date_created"])
            self.assertLess(parse_iso(a["date_generated"]), created)
            self.assertGreaterEqual(created - parse_iso(a["date_generated"]), 1)
            self.assertLessEqual(created - parse_iso(a["date_generated"]), 10)
            self.assertGreaterEqual(parse_iso(a["date_updated"]), created)
            text = urllib.parse.parse_qs(a["alert_text"])
            self.assertEqual(text["ErrorCode"], [a["error_code"]])
            self.assertEqual(text["LogLevel"], [a["log_level"].upper()])
            self.assertTrue(text["Msg"][0])
            if a["error_code"] in ("11200", "11205", "12100", "12300"):
                self.assertIn("httpResponse", text)
                self.assertEqual(text["url"], [a["request_url"]])
            if a["service_sid"] is None:
                null_svc += 1
            else:
                self.assertRegex(a["service_sid"], r"^[A-Z]{2}[0-9a-f]{32}$")
            codes[a["error_code"]] = codes.get(a["error_code"], 0) + 1
            levels[a["log_level"]] = levels.get(a["log_level"], 0) + 1
        self.assertGreater(null_svc, 0)
        self.assertLess(null_svc, len(alerts))
        for code in ("11200", "11205", "11750", "12100", "12300", "13227", "21610", "30003",
                     "30005", "30007", "30008", "32015", "82002"):
            self.assertIn(code, codes)
        self.assertEqual(max(codes, key=codes.get), "11200")  # realistic skew
        self.assertGreater(levels["error"], levels["warning"])
        self.assertGreater(levels["warning"], levels.get("notice", 0))
        self.assertGreater(levels.get("notice", 0) + levels.get("debug", 0), 0)

    def test_log_level_filter(self):
        for level in ("warning", "notice", "WARNING"):
            alerts, _ = page_all(self.sim, "/v1/Alerts?PageSize=100&LogLevel=" + level, ACC_A)
            self.assertTrue(alerts)
            self.assertTrue(all(a["log_level"] == level.lower() for a in alerts))
        total = sum(len(page_all(self.sim, "/v1/Alerts?PageSize=1000&LogLevel=" + lv, ACC_A)[0])
                    for lv in ("error", "warning", "notice", "debug"))
        self.assertEqual(total, 3000)
        status, body = self.get("/v1/Alerts?LogLevel=bogus")
        self.assertEqual((status, body["alerts"]), (200, []))

    def test_previous_page_url(self):
        status, p0 = self.get("/v1/Alerts?PageSize=7")
        status, p1 = self.get(path_of(p0["meta"]["next_page_url"]))
        self.assertEqual(p1["meta"]["page"], 1)
        prev = p1["meta"]["previous_page_url"]
        self.assertIn("Page=0", prev)
        status, back = self.get(path_of(prev))
        self.assertEqual([a["sid"] for a in back["alerts"]], [a["sid"] for a in p0["alerts"]])

    def test_keep_alive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=10)
        try:
            for _ in range(5):
                conn.request("GET", "/v1/Alerts?PageSize=5",
                             headers={"Authorization": basic_auth(*ACC_A)})
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                self.assertEqual(len(json.loads(resp.read())["alerts"]), 5)
                self.assertNotEqual((resp.getheader("Connection") or "").lower(), "close")
        finally:
            conn.close()


class RawFields(Base):
    def test_raw_field_bytes_are_served_as_given(self):
        raw = b'"caf\xe9 \\u0000"'
        sid = self.sim.add_alerts(ACC_A[0], [{"age": 5, "raw": {"response_body": raw.hex()}}])[0]
        status, _, body = self.sim.get("/v1/Alerts/" + sid, auth=ACC_A)
        self.assertEqual(status, 200)
        self.assertIn(b'"response_body":' + raw, body)
        # Refused: odd or non-hex digits, a NUL byte, unknown or numeric fields.
        for bad in ({"response_body": "2"}, {"response_body": "zz"},
                    {"response_body": "2200"}, {"nope": "22"}, {"error_code": "31"}):
            with self.subTest(raw=bad), self.assertRaises(SimError):
                self.sim.add_alerts(ACC_A[0], [{"age": 5, "raw": bad}])


class Auth(Base):
    def test_wrong_token_no_auth_garbage(self):
        for auth_hdr in (basic_auth(ACC_A[0], "nope"), None, "Basic !!!", "Bearer x",
                         basic_auth(ACC_A[0], ACC_B[1]), basic_auth(KEY_A[0], "nope")):
            headers = {"Authorization": auth_hdr} if auth_hdr else {}
            status, hdrs, raw = self.sim.get("/v1/Alerts", headers=headers)
            self.assertEqual(status, 401)
            self.assertEqual(hdrs["www-authenticate"], 'Basic realm="Twilio API"')
            self.assertEqual(json.loads(raw), {
                "code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.",
                "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401})
        status, _, _ = self.sim.get("/v1/Alerts/NO" + "0" * 32)
        self.assertEqual(status, 401)

    def test_api_key_maps_to_account(self):
        sids = self.sim.add_alerts(ACC_A[0], [{"age": 60}])
        status, body = self.get("/v1/Alerts", auth=KEY_A[:2])
        self.assertEqual(status, 200)
        self.assertIn(sids[0], [a["sid"] for a in body["alerts"]])
        self.assertTrue(all(a["account_sid"] == ACC_A[0] for a in body["alerts"]))
        status, inst = self.get("/v1/Alerts/" + sids[0], auth=KEY_A[:2])
        self.assertEqual(status, 200)

    def test_control_added_account_and_key(self):
        acc = "AC" + "d4" * 16
        key = "SK" + "e5" * 16
        self.sim.add_account(acc, "tok-d", api_keys=[(key, "sec-d")])
        sids = self.sim.add_alerts(acc, [{"age": 5}, {"age": 6}])
        for auth in ((acc, "tok-d"), (key, "sec-d")):
            status, body = self.get("/v1/Alerts", auth=auth)
            self.assertEqual(sorted(a["sid"] for a in body["alerts"]), sorted(sids))

    def test_account_isolation(self):
        sa = self.sim.add_alerts(ACC_A[0], [{"age": 30, "alert_text": "only-a"}])[0]
        sb = self.sim.add_alerts(ACC_B[0], [{"age": 30, "alert_text": "only-b"}])[0]
        a_list, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_A)
        b_list, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_B)
        self.assertIn(sa, {a["sid"] for a in a_list})
        self.assertNotIn(sb, {a["sid"] for a in a_list})
        self.assertIn(sb, {a["sid"] for a in b_list})
        self.assertNotIn(sa, {a["sid"] for a in b_list})
        self.assertTrue(all(a["account_sid"] == ACC_B[0] for a in b_list))
        status, body = self.get("/v1/Alerts/" + sa, auth=ACC_B)
        self.assertTwilioError(status, body, 404, 20404)
        self.assertEqual(self.sim.sids(ACC_B[0]).count(sa), 0)

    def test_404_shapes(self):
        sid = "NO" + "f" * 32
        status, body = self.get("/v1/Alerts/" + sid)
        self.assertEqual((status, body), (404, {
            "code": 20404,
            "message": "The requested resource /v1/Alerts/%s was not found" % sid,
            "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}))
        for path in ("/v1/Alerts/NOnothex", "/v1/Events", "/v2/Alerts", "/"):
            status, body = self.get(path)
            self.assertTwilioError(status, body, 404, 20404)
            self.assertIn(path, body["message"])


class NoControl(unittest.TestCase):
    def test_control_is_off_by_default(self):
        with Sim(control=False, extra_args=["--generate", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:5:1"]) as sim:
            status, _, raw = sim.request("GET", "/_sim/clock")
            self.assertEqual(status, 404)
            self.assertEqual(json.loads(raw)["code"], 20404)
            status, _, raw = sim.request("POST", "/_sim/faults", body={"faults": [{"type": "500"}]})
            self.assertEqual(status, 404)
            status, body = sim.get_json("/v1/Alerts", auth=("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                                            "sim-token"))
            self.assertEqual((status, len(body["alerts"])), (200, 5))
            self.assertIn("listening on http://127.0.0.1:%d" % sim.port, sim.banner)

    def test_sigterm_exits_cleanly(self):
        sim = Sim()
        sim.start()
        t0 = time.monotonic()
        sim.proc.send_signal(signal.SIGTERM)
        self.assertEqual(sim.proc.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - t0, 5)
        sim.stop()

    def test_bad_cli(self):
        binary = os.environ["SIM_BIN"]
        for args in (["--port", "x"], ["--account", "nope"], ["--generate", "AC1:2"],
                     ["--bogus"]):
            r = subprocess.run([binary] + args, capture_output=True, timeout=10)
            self.assertNotEqual(r.returncode, 0, args)


class Dates(Base):
    """Explicit alerts at known times against a fixed clock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        day = NOW_T - NOW_T % 86400  # 2024-06-15T00:00:00Z
        cls.day = day
        cls.times = {
            "y_last": day - 1,             # 2024-06-14T23:59:59Z
            "d_first": day,                # 2024-06-15T00:00:00Z
            "d_mid": day + 6 * 3600,
            "d_noon": day + 12 * 3600 - 60,
            "old29": NOW_T - 29 * 86400,
            "old31": NOW_T - 31 * 86400,
        }
        alerts = [{"date_created": iso(t), "alert_text": k} for k, t in cls.times.items()]
        sids = cls.sim.add_alerts(ACC_A[0], alerts)
        cls.sid = dict(zip(cls.times, sids))

    def listed(self, query):
        alerts, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000&" + query, ACC_A)
        by_sid = {v: k for k, v in self.sid.items()}
        return {by_sid[a["sid"]] for a in alerts}

    def test_date_only_covers_whole_day(self):
        self.assertEqual(self.listed("StartDate=2024-06-15&EndDate=2024-06-15"),
                         {"d_first", "d_mid", "d_noon"})
        self.assertEqual(self.listed("EndDate=2024-06-14"), {"y_last", "old29"})
        self.assertEqual(self.listed("StartDate=2024-06-14"),
                         {"y_last", "d_first", "d_mid", "d_noon"})

    def test_datetime_forms_and_percent_encoding(self):
        start = iso(self.day)
        end = iso(self.day + 6 * 3600)
        want = {"d_first", "d_mid"}  # both bounds inclusive
        self.assertEqual(self.listed("StartDate=%s&EndDate=%s" % (start, end)), want)
        self.assertEqual(self.listed("StartDate=%s&EndDate=%s" % (
            urllib.parse.quote(start, safe=""), urllib.parse.quote(end, safe=""))), want)
        self.assertEqual(self.listed("StartDate=" + iso(self.day + 1)), {"d_mid", "d_noon"})

    def test_bad_dates(self):
        for q in ("StartDate=2024-13-01", "StartDate=yesterday", "EndDate=2024-06-15T25:00:00Z",
                  "StartDate=2024-06-15T10:00:00", "EndDate=2024-02-30"):
            status, body = self.get("/v1/Alerts?" + q)
            self.assertTwilioError(status, body, 400, 20001)

    def test_30_day_refusal(self):
        for q in ("StartDate=" + iso(NOW_T - 31 * 86400), "EndDate=" + iso(NOW_T - 40 * 86400),
                  "StartDate=2024-05-01"):
            status, body = self.get("/v1/Alerts?" + q)
            self.assertTwilioError(status, body, 400)
            self.assertIn("30 days", body["message"])
        status, body = self.get("/v1/Alerts?StartDate=" + iso(NOW_T - 29 * 86400))
        self.assertEqual(status, 200)

    def test_older_than_30_days_hidden(self):
        everything = self.listed("")
        self.assertIn("old29", everything)
        self.assertNotIn("old31", everything)
        status, body = self.get("/v1/Alerts/" + self.sid["old31"])
        self.assertEqual(status, 404)
        self.assertNotIn(self.sid["old31"], self.sim.sids(ACC_A[0]))


class Mutations(Base):
    """Tests that add data or move the clock use their own simulator."""

    def setUp(self):
        type(self).tearDownClass()
        type(self).setUpClass()

    def test_stable_paging_while_alerts_arrive(self):
        self.sim.generate(ACC_A[0], 2000, days=3, seed=3)
        before = set(self.sim.sids(ACC_A[0]))
        added = []

        def churn(page_no):
            # New alerts at the top and late ones deep in the past, between every page.
            added.extend(self.sim.add_alerts(ACC_A[0], [{"age": 0}, {"age": 1},
                                                        {"age": 2 * 86400 + page_no}]))
            self.sim.generate(ACC_A[0], 5, days=3)

        alerts, pages = page_all(self.sim, "/v1/Alerts?PageSize=100", ACC_A, churn)
        got = [a["sid"] for a in alerts]
        self.assertEqual(len(got), len(set(got)), "duplicates while paging")
        self.assertTrue(before <= set(got), "alerts skipped while paging")
        self.assertGreaterEqual(len(pages), 20)
        keys = [order_key(a) for a in alerts]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertTrue(set(got) <= set(self.sim.sids(ACC_A[0])))

    def test_late_alert_ordering(self):
        self.sim.generate(ACC_A[0], 500, days=2, seed=4)
        late_t = NOW_T - 86400 - 17
        sid = self.sim.add_alerts(ACC_A[0], [{"date_created": iso(late_t),
                                              "error_code": "30007", "log_level": "warning"}])[0]
        alerts, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_A)
        keys = [order_key(a) for a in alerts]
        self.assertEqual(keys, sorted(keys, reverse=True))
        mine = [a for a in alerts if a["sid"] == sid]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["date_created"], iso(late_t))
        self.assertEqual(mine[0]["log_level"], "warning")
        self.assertEqual(mine[0]["more_info"], "https://www.twilio.com/docs/errors/30007")
        self.assertIn("ErrorCode=30007", mine[0]["alert_text"])

    def test_ties_order_by_sid_desc(self):
        t = iso(NOW_T - 100)
        sids = ["NO" + c * 32 for c in "3a1f"]
        self.sim.add_alerts(ACC_A[0], [{"sid": s, "date_created": t} for s in sids])
        status, body = self.get("/v1/Alerts?PageSize=2")
        self.assertEqual([a["sid"] for a in body["alerts"]], ["NO" + "f" * 32, "NO" + "a" * 32])
        status, body = self.get(path_of(body["meta"]["next_page_url"]))
        self.assertEqual([a["sid"] for a in body["alerts"]], ["NO" + "3" * 32, "NO" + "1" * 32])
        self.assertIsNone(body["meta"]["next_page_url"])

    def test_explicit_fields_round_trip(self):
        text = 'Msg=<script>alert("x")</script>&\\u00e9\n\t\x01 ünïcode'
        given = {"alert_text": text, "error_code": 12345, "service_sid": None,
                 "request_variables": "A=1&B=2", "response_body": "<Response/>",
                 "response_headers": "", "request_headers": "X=1", "request_method": "GET",
                 "request_url": "https://x.example/a?b=c&d=e", "resource_sid": "CA" + "1" * 32,
                 "api_version": "", "log_level": "notice", "age": 10,
                 "date_generated": iso(NOW_T - 20), "date_updated": iso(NOW_T - 5)}
        sid = self.sim.add_alerts(ACC_A[0], [given])[0]
        self.assertRegex(sid, r"^NO[0-9a-f]{32}$")
        status, inst = self.get("/v1/Alerts/" + sid)
        self.assertEqual(status, 200)
        for k, v in given.items():
            if k == "age":
                continue
            self.assertEqual(inst[k], str(v) if k == "error_code" else v, k)
        created = parse_iso(inst["date_created"])
        self.assertLessEqual(abs(created - (NOW_T - 10)), 5)
        # Minimal alerts get realistic generated fields.
        sid2 = self.sim.add_alerts(ACC_A[0], [{"error_code": "11205", "age": 1}])[0]
        status, inst = self.get("/v1/Alerts/" + sid2)
        self.assertIn("Read+timed+out", inst["alert_text"])
        self.assertTrue(inst["request_url"].startswith("https://"))

    def test_bad_control_bodies(self):
        bad = [("alerts", {"alerts": [{"sid": "NOxyz"}]}),
               ("alerts", {"alerts": [{"log_level": "loud"}]}),
               ("alerts", {"alerts": [{"nonsense": 1}]}),
               ("alerts", {"alerts": "no"}),
               ("generate", {"count": -1}),
               ("clock", {"now": "soon"}),
               ("faults", {"faults": [{"type": "teapot"}]}),
               ("config", {"max_results": 0}),
               ("accounts", {"sid": "ACnope", "token": "x"})]
        for path, body in bad:
            with self.assertRaises(SimError, msg=path):
                self.sim.ctl("POST", path, body)
        sid = "NO" + "9" * 32
        self.sim.add_alerts(ACC_A[0], [{"sid": sid}])
        with self.assertRaises(SimError):
            self.sim.add_alerts(ACC_A[0], [{"sid": sid}])
        with self.assertRaises(SimError):
            self.sim.add_alerts(ACC_A[0], [{"sid": "NO" + "8" * 32}, {"sid": "NO" + "8" * 32}])
        self.assertEqual(self.sim.sids(ACC_A[0]).count(sid), 1)
        self.assertNotIn("NO" + "8" * 32, self.sim.sids(ACC_A[0]))

    def test_max_results_cap(self):
        self.sim.generate(ACC_A[0], 12000, days=10, seed=5)
        alerts, pages = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_A)
        self.assertEqual(len(alerts), 10000)
        self.assertEqual(len(pages), 10)
        self.assertIsNone(pages[-1]["meta"]["next_page_url"])
        self.sim.set_max_results(25)
        alerts, pages = page_all(self.sim, "/v1/Alerts?PageSize=10", ACC_A)
        self.assertEqual([len(p["alerts"]) for p in pages], [10, 10, 5])
        self.assertEqual(len({a["sid"] for a in alerts}), 25)
        # Slicing the time window is how a client gets past the cap.
        self.sim.set_max_results(2000)
        total = 0
        t = NOW_T + 3600
        while t > NOW_T - 11 * 86400:
            q = "StartDate=%s&EndDate=%s" % (iso(t - 86400), iso(t - 1))
            got, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000&" + q, ACC_A)
            self.assertLess(len(got), 2000, "window too wide for this test")
            total += len(got)
            t -= 86400
        self.assertEqual(total, 12000)

    def test_clock_moves_the_window(self):
        sid = self.sim.add_alerts(ACC_A[0], [{"age": 29 * 86400}])[0]
        self.assertIn(sid, self.sim.sids(ACC_A[0]))
        clock = self.sim.advance(2 * 86400)
        self.assertLessEqual(abs(clock["epoch"] - (NOW_T + 2 * 86400)), 5)
        self.assertNotIn(sid, self.sim.sids(ACC_A[0]))
        status, _ = self.get("/v1/Alerts/" + sid)
        self.assertEqual(status, 404)
        clock = self.sim.set_clock(NOW)
        self.assertLessEqual(abs(clock["epoch"] - NOW_T), 2)
        self.assertEqual(self.sim.clock()["now"][:10], NOW[:10])
        self.assertIn(sid, self.sim.sids(ACC_A[0]))

    def test_determinism(self):
        acc = ("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sim-token")

        def snapshot(seed):
            with Sim(seed=seed, now=NOW, extra_args=["--generate", acc[0] + ":300:5"]) as s:
                alerts, _ = page_all(s, "/v1/Alerts?PageSize=1000", acc)
                inst = s.get_json("/v1/Alerts/" + alerts[5]["sid"], auth=acc)[1]
                port = ":%d/" % s.port
            # The clock ticks on from --now, so two runs may start a second apart:
            # express every date relative to the newest alert.
            base = parse_iso(alerts[0]["date_created"])
            for a in alerts + [inst]:
                for k in ("date_created", "date_generated", "date_updated"):
                    a[k] = parse_iso(a[k]) - base
                a["url"] = a["url"].replace(port, ":PORT/")
            del inst["response_headers"]  # carries an HTTP date
            return alerts, inst

        a, b, c = snapshot(42), snapshot(42), snapshot(43)
        self.assertEqual(len(a[0]), 300)
        self.assertEqual(a, b)
        self.assertNotEqual({x["sid"] for x in a[0]}, {x["sid"] for x in c[0]})
        self.assertNotEqual([x["date_created"] for x in a[0]], [x["date_created"] for x in c[0]])


class Faults(Base):
    def setUp(self):
        self.sim.clear_faults()
        self.sim.clear_requests()
        if not self.sim.sids(ACC_A[0]):
            self.sim.generate(ACC_A[0], 300, days=1, seed=9)

    def test_429_with_retry_after(self):
        self.sim.faults([{"type": "429", "retry_after": 3, "ratelimit_headers": True}])
        status, hdrs, raw = self.sim.get("/v1/Alerts", auth=ACC_A)
        self.assertEqual(status, 429)
        self.assertEqual(hdrs["retry-after"], "3")
        self.assertIn("x-ratelimit-reset", hdrs)
        body = json.loads(raw)
        self.assertEqual((body["code"], body["status"]), (20429, 429))
        status, _, _ = self.sim.get("/v1/Alerts", auth=ACC_A)
        self.assertEqual(status, 200)
        self.sim.faults([{"type": 429}])
        status, hdrs, _ = self.sim.get("/v1/Alerts", auth=ACC_A)
        self.assertEqual(status, 429)
        self.assertNotIn("retry-after", hdrs)

    def test_500_503_fifo_and_count(self):
        self.sim.faults([{"type": "500"}, {"type": "503", "count": 2}])
        self.assertEqual([f["type"] for f in self.sim.pending_faults()], ["500", "503", "503"])
        got = [self.sim.get("/v1/Alerts", auth=ACC_A)[0] for _ in range(4)]
        self.assertEqual(got, [500, 503, 503, 200])
        self.assertEqual(self.sim.pending_faults(), [])

    def test_faults_skip_control_and_clear(self):
        self.sim.faults([{"type": "500"}])
        self.sim.sids(ACC_A[0])  # control requests do not consume faults
        self.assertEqual(len(self.sim.pending_faults()), 1)
        self.sim.clear_faults()
        self.assertEqual(self.sim.get("/v1/Alerts", auth=ACC_A)[0], 200)

    def test_slow(self):
        self.sim.faults([{"type": "slow", "ms": 700}])
        t0 = time.monotonic()
        status, body = self.get("/v1/Alerts?PageSize=5")
        self.assertGreaterEqual(time.monotonic() - t0, 0.65)
        self.assertEqual((status, len(body["alerts"])), (200, 5))
        # A client with a shorter timeout gives up.
        self.sim.faults([{"type": "slow", "ms": 1500}])
        with self.assertRaises(socket.timeout):
            self.sim.get("/v1/Alerts", auth=ACC_A, timeout=0.3)

    def test_cut(self):
        self.sim.faults([{"type": "cut"}])
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=10)
        conn.request("GET", "/v1/Alerts?PageSize=100", headers={"Authorization": basic_auth(*ACC_A)})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        length = int(resp.getheader("Content-Length"))
        with self.assertRaises(http.client.IncompleteRead) as cm:
            resp.read()
        self.assertEqual(len(cm.exception.partial), length // 2)
        conn.close()

    def test_badjson(self):
        self.sim.faults([{"type": "badjson"}])
        status, hdrs, raw = self.sim.get("/v1/Alerts", auth=ACC_A)
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("application/json"))
        with self.assertRaises(ValueError):
            json.loads(raw)

    def test_reset(self):
        self.sim.faults([{"type": "reset"}])
        with socket.create_connection(("127.0.0.1", self.sim.port), timeout=10) as s:
            s.sendall(b"GET /v1/Alerts HTTP/1.1\r\nHost: x\r\nAuthorization: "
                      + basic_auth(*ACC_A).encode() + b"\r\n\r\n")
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
        self.assertEqual(data, b"")
        self.assertEqual(self.sim.get("/v1/Alerts", auth=ACC_A)[0], 200)

    def test_date_header_follows_the_clock(self):
        status, hdrs, _ = self.sim.get("/v1/Alerts?PageSize=1", auth=ACC_A)
        self.assertEqual(status, 200)
        sent = email.utils.parsedate_to_datetime(hdrs["date"]).timestamp()
        self.assertLessEqual(abs(sent - self.sim.clock()["epoch"]), 5)
        self.assertGreater(abs(sent - time.time()), 86400, "the sim clock, not the real one")

    def test_step_moves_clock_and_date(self):
        before = self.sim.clock()["epoch"]
        self.sim.faults([{"type": "step", "seconds": 7200}, {"type": "step", "seconds": -600}])
        self.assertEqual([(f["type"], f["seconds"]) for f in self.sim.pending_faults()],
                         [("step", 7200), ("step", -600)])
        status, hdrs, _ = self.sim.get("/v1/Alerts?PageSize=1", auth=ACC_A)
        self.assertEqual(status, 200)
        sent = email.utils.parsedate_to_datetime(hdrs["date"]).timestamp()
        self.assertLessEqual(abs(sent - (before + 7200)), 5)
        self.assertEqual(self.sim.get("/v1/Alerts?PageSize=1", auth=ACC_A)[0], 200)
        self.assertLessEqual(abs(self.sim.clock()["epoch"] - (before + 6600)), 5)
        self.sim.advance(-6600)

    def test_late_alert_added_after_the_reply(self):
        before = self.sim.alert_dates(ACC_A[0])
        self.sim.faults([{"type": "late", "age": 240}])
        status, body = self.get("/v1/Alerts?PageSize=1000")
        self.assertEqual(status, 200)
        self.assertEqual({a["sid"] for a in body["alerts"]}, set(before))
        after = self.sim.alert_dates(ACC_A[0])
        new = set(after) - set(before)
        self.assertEqual(len(new), 1)
        age = self.sim.clock()["epoch"] - parse_iso(after[new.pop()])
        self.assertTrue(238 <= age <= 245, age)
        self.assertEqual(self.sim.alert_dates(ACC_B[0]), {}, "the requesting account only")
        self.assertEqual(self.sim.requests()[-1]["fault"], "late")

    def test_delay_before_any_fault(self):
        self.sim.faults([{"type": "503", "ms": 600}])
        t0 = time.monotonic()
        self.assertEqual(self.sim.get("/v1/Alerts", auth=ACC_A)[0], 503)
        self.assertGreaterEqual(time.monotonic() - t0, 0.55)
        for bad in ({"type": "slow"}, {"type": "cut", "ms": -1}, {"type": "step"},
                    {"type": "late", "age": "x"}, {"type": "step", "seconds": 10 ** 9}):
            with self.assertRaises(SimError, msg=bad):
                self.sim.faults([bad])
        self.assertEqual(self.sim.pending_faults(), [])

    def test_alert_dates_match_the_api(self):
        dates = self.sim.alert_dates(ACC_A[0])
        alerts, _ = page_all(self.sim, "/v1/Alerts?PageSize=1000", ACC_A)
        self.assertGreater(len(alerts), 0)
        self.assertEqual(dates, {a["sid"]: a["date_created"] for a in alerts})

    def test_request_log(self):
        self.sim.faults([{"type": "503"}])
        self.sim.get("/v1/Alerts?PageSize=3&LogLevel=error", auth=ACC_A)
        self.sim.get("/v1/Alerts?PageSize=3", auth=ACC_A)
        self.sim.get("/v1/Alerts", auth=(ACC_A[0], "wrong"))
        self.sim.get("/v1/Alerts/NO" + "0" * 32, auth=KEY_A[:2])
        log = self.sim.requests()
        self.assertEqual(len(log), 4)
        self.assertEqual([e["status"] for e in log], [503, 200, 401, 404])
        self.assertEqual([e["fault"] for e in log], ["503", None, None, None])
        self.assertEqual(log[0]["path"], "/v1/Alerts?PageSize=3&LogLevel=error")
        self.assertEqual(log[0]["method"], "GET")
        self.assertEqual([e["account"] for e in log[1:]], [ACC_A[0], None, ACC_A[0]])
        self.sim.faults([{"type": "reset"}])
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.sim.get("/v1/Alerts", auth=ACC_A)
        self.assertEqual(self.sim.requests()[-1]["fault"], "reset")
        self.assertIsNone(self.sim.requests()[-1]["status"])
        self.sim.clear_requests()
        self.assertEqual(self.sim.requests(), [])


class Scale(unittest.TestCase):
    def test_million_alerts_compact(self):
        with Sim(now=NOW) as sim:
            acc = ("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sim-token")
            sim.generate(acc[0], 1000000, days=29, seed=11)
            with open("/proc/%d/status" % sim.proc.pid) as f:
                rss_kb = int([ln for ln in f if ln.startswith("VmRSS:")][0].split()[1])
            # 32-byte records plus the sid index; rendered JSON would be ~900 MB.
            with open(sim.binary, "rb") as f:
                exe = f.read()
            sanitized = b"__asan_init" in exe or b"__tsan_init" in exe
            limit_mb = 1500 if sanitized else 300
            self.assertLess(rss_kb / 1024, limit_mb)
            status, body = sim.get_json("/v1/Alerts?PageSize=1000", auth=acc)
            self.assertEqual((status, len(body["alerts"])), (200, 1000))
            status, inst = sim.get_json("/v1/Alerts/" + body["alerts"][-1]["sid"], auth=acc)
            self.assertEqual(status, 200)
            mid = iso(NOW_T - 15 * 86400)
            status, body = sim.get_json("/v1/Alerts?PageSize=5&EndDate=" + mid, auth=acc)
            self.assertTrue(all(a["date_created"] <= mid for a in body["alerts"]))
            self.assertEqual(len(sim.sids(acc[0])), 1000000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
