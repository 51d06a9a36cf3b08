# SPDX-License-Identifier: MIT
"""The official twilio-python library (Debian python3-twilio) against the simulator.

The SDK builds URLs as client.monitor.base_url + "/v1/Alerts" and then follows
meta.next_page_url verbatim, so pointing base_url at the simulator is enough.
Run with /usr/bin/python3 (the interpreter that has the twilio package).
"""

import datetime
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simctl import Sim  # noqa: E402

try:
    from twilio.base.exceptions import TwilioException, TwilioRestException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client
except ImportError:  # pragma: no cover - reported as a skip, exit code 77 below
    Client = None

ACC = ("AC" + "5e" * 16, "sdk-token")
OTHER = ("AC" + "6f" * 16, "other-token")
KEY = ("SK" + "7a" * 16, "sdk-secret")
NOW = "2024-06-15T12:00:00Z"


def make_client(sim, user, password, account_sid=None):
    http = TwilioHttpClient(timeout=30)
    http.session.trust_env = False  # never send loopback traffic through a proxy
    client = Client(user, password, account_sid, http_client=http)
    client.monitor.base_url = sim.url
    return client


@unittest.skipIf(Client is None, "python3-twilio is not installed")
class Sdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(accounts=[ACC, OTHER], api_keys=[KEY + (ACC[0],)], now=NOW)
        cls.sim.start()
        cls.sim.generate(ACC[0], 3500, days=10, seed=21)
        cls.sim.generate(OTHER[0], 100, days=10, seed=22)
        cls.detail_sid = cls.sim.add_alerts(ACC[0], [{
            "age": 120, "error_code": "11200", "log_level": "error",
            "request_variables": "CallSid=CA" + "1" * 32 + "&CallStatus=ringing",
            "response_body": "<html>502</html>",
        }])[0]

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.sim.clear_requests()

    def test_list_all_pages(self):
        client = make_client(self.sim, *ACC)
        alerts = client.monitor.alerts.list(page_size=1000)
        truth = self.sim.sids(ACC[0])
        self.assertEqual(len(alerts), 3501)
        self.assertEqual(len(alerts), len(truth))
        self.assertEqual({a.sid for a in alerts}, set(truth))
        self.assertEqual([a.sid for a in alerts], truth)  # same newest-first order
        pages = [r for r in self.sim.requests() if r["path"].startswith("/v1/Alerts")]
        self.assertEqual(len(pages), 4)
        self.assertIn("PageToken=PA", pages[1]["path"])
        self.assertTrue(all(r["status"] == 200 and r["account"] == ACC[0] for r in pages))
        a = alerts[0]
        self.assertIsInstance(a.date_created, datetime.datetime)  # parsed as ISO 8601
        self.assertIsInstance(a.error_code, str)
        self.assertIsNone(a.request_variables)  # list items do not carry it

    def test_filters_serialised_by_sdk(self):
        client = make_client(self.sim, *ACC)
        end = datetime.datetime(2024, 6, 14, 0, 0, 0)
        start = end - datetime.timedelta(days=2)
        alerts = client.monitor.alerts.list(log_level="warning", start_date=start,
                                            end_date=end, page_size=100)
        self.assertTrue(alerts)
        for a in alerts:
            self.assertEqual(a.log_level, "warning")
            created = a.date_created.replace(tzinfo=None)
            self.assertTrue(start <= created <= end, created)
        path = self.sim.requests()[0]["path"]
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        self.assertEqual(q["StartDate"], ["2024-06-12T00:00:00Z"])
        self.assertEqual(q["EndDate"], ["2024-06-14T00:00:00Z"])

    def test_fetch_one(self):
        client = make_client(self.sim, *ACC)
        alert = client.monitor.alerts(self.detail_sid).fetch()
        self.assertEqual(alert.sid, self.detail_sid)
        self.assertEqual(alert.account_sid, ACC[0])
        self.assertEqual(alert.error_code, "11200")
        self.assertEqual(alert.response_body, "<html>502</html>")
        rv = urllib.parse.parse_qs(alert.request_variables)
        self.assertEqual(rv["CallStatus"], ["ringing"])
        self.assertIsInstance(alert.response_headers, str)
        self.assertIsInstance(alert.request_headers, str)
        self.assertIsInstance(alert.date_generated, datetime.datetime)
        self.assertIn("Msg=", alert.alert_text)
        self.assertEqual(alert.url, self.sim.url + "/v1/Alerts/" + self.detail_sid)
        generated = client.monitor.alerts(self.sim.sids(ACC[0])[7]).fetch()
        self.assertIn("AccountSid=" + ACC[0], generated.request_variables)

    def test_api_key_auth(self):
        client = make_client(self.sim, KEY[0], KEY[1], ACC[0])
        alerts = client.monitor.alerts.list(page_size=1000, limit=1500)
        self.assertEqual(len(alerts), 1500)
        self.assertTrue(all(a.account_sid == ACC[0] for a in alerts))
        self.assertEqual(client.monitor.alerts(self.detail_sid).fetch().sid, self.detail_sid)

    def test_errors_surface(self):
        bad = make_client(self.sim, ACC[0], "wrong")
        with self.assertRaises(TwilioException):
            bad.monitor.alerts.list(page_size=10, limit=10)
        other = make_client(self.sim, *OTHER)
        with self.assertRaises(TwilioRestException) as cm:
            other.monitor.alerts(self.detail_sid).fetch()
        self.assertEqual(cm.exception.status, 404)
        self.assertEqual(cm.exception.code, 20404)
        self.assertEqual(len(other.monitor.alerts.list(page_size=1000)), 100)


if __name__ == "__main__":
    if Client is None:
        print("python3-twilio missing: skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
