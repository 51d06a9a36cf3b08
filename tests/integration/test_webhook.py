# SPDX-License-Identifier: MIT
"""POST /twilio/debugger: signed pushes are stored at once (source 'push'),
forged, replayed-with-a-change, unsigned and unknown-account requests are
refused with 403 and store nothing, a malformed Payload is a 400 with the
reason, an oversized body a 413; a push and then a poll of the same SID
leave one row. Signatures come from twilio-python's own RequestValidator
when it is installed, and from an independent hmac computation."""
import json
import os
import signal
import unittest

from harness import SIM_ACCOUNT, SIM_TOKEN, Sim, wait_for
from httpd import HttpTest, form, request, twilio_signature

PUBLIC_URL = "https://alerts.example.com/twilio/debugger"
SID = "NO" + "5e" * 16
OTHER = "AC" + "b" * 32


def official_signature(url, params):
    try:
        from twilio.request_validator import RequestValidator
    except ImportError:
        return None
    return RequestValidator(SIM_TOKEN).compute_signature(url, dict(params))


def push_params(sid=SID, payload=None, **extra):
    if payload is None:
        payload = json.dumps({
            "resource_sid": "CA" + "1" * 32, "service_sid": None, "error_code": "11200",
            "more_info": {"Msg": "HTTP retrieval failure", "sourceComponent": "14100"},
            "webhook": {"type": "application/json",
                        "request": {"url": "https://hooks.example.com/voice", "method": "POST"},
                        "response": {"status_code": 502, "body": "bad gateway"}}})
    p = [("Sid", sid), ("AccountSid", SIM_ACCOUNT), ("Timestamp", "2026-01-02T03:04:05.123Z"),
         ("Level", "Error"), ("PayloadType", "application/json"), ("Payload", payload)]
    return p + list(extra.items())


class WebhookTest(HttpTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim()
        self.sim.start()
        self.addCleanup(self.sim.stop)
        acct = {"name": "main", "api_base": self.sim.url,
                "keys": {"webhook": "yes", "public_url": PUBLIC_URL}}
        self.a = self.start_http(self.sim, accounts=[acct], agent_keys={"overlap": "30d"})
        wait_for(lambda: self.a.query("SELECT count(*) FROM sync_state")[0][0] == 1,
                 timeout=60, what="first poll")

    def post(self, params, signature=None, body=None, content_type=None):
        hdrs = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
        if signature is not False:
            hdrs["X-Twilio-Signature"] = signature or twilio_signature(SIM_TOKEN, PUBLIC_URL,
                                                                       params)
        status, _, data = request(self.port, "POST", "/twilio/debugger",
                                  body=body if body is not None else form(params), headers=hdrs)
        return status, data.decode()

    def rows(self):
        return self.a.query("SELECT * FROM alerts")

    def test_signed_push_is_stored(self):
        params = push_params()
        sig = twilio_signature(SIM_TOKEN, PUBLIC_URL, params)
        official = official_signature(PUBLIC_URL, params)
        if official:
            self.assertEqual(sig, official)
        status, body = self.post(params, sig)
        self.assertEqual(status, 200, body)
        self.assertIn("stored", body)
        row, = self.rows()
        self.assertEqual(row["sid"], SID)
        self.assertEqual(row["source"], "push")
        self.assertEqual(row["account_sid"], SIM_ACCOUNT)
        self.assertEqual(row["error_code"], 11200)
        self.assertEqual(row["log_level"], "error")
        self.assertEqual(row["date_created"], "2026-01-02T03:04:05Z")
        self.assertEqual(row["resource_sid"], "CA" + "1" * 32)
        self.assertEqual(row["request_url"], "https://hooks.example.com/voice")
        self.assertEqual(row["request_host"], "hooks.example.com")
        self.assertEqual(row["http_response"], 502)
        self.assertEqual(row["msg"], "HTTP retrieval failure")
        self.assertEqual(row["more_info"], "https://www.twilio.com/docs/errors/11200")
        # The same push again (Twilio retries): still one row, 200.
        status, body = self.post(params, sig)
        self.assertEqual(status, 200)
        self.assertIn("already stored", body)
        self.assertEqual(len(self.rows()), 1)
        metrics = request(self.port, "GET", "/metrics")[2].decode()
        self.assertIn('twilio_alertd_alerts_ingested_total{account="main",source="push"} 1',
                      metrics)

    def test_port_variant_is_accepted(self):
        params = push_params()
        sig = twilio_signature(SIM_TOKEN, PUBLIC_URL.replace(".com/", ".com:443/"), params)
        self.assertEqual(self.post(params, sig)[0], 200)

    def test_forged_and_replayed_are_refused(self):
        params = push_params()
        good = twilio_signature(SIM_TOKEN, PUBLIC_URL, params)
        cases = {
            "forged": (params, twilio_signature("not-the-token", PUBLIC_URL, params)),
            "wrong url": (params, twilio_signature(SIM_TOKEN, "https://evil.example/x", params)),
            "replay, Level changed": ([p if p[0] != "Level" else ("Level", "Warning")
                                       for p in params], good),
            "replay, parameter added": (params + [("Extra", "1")], good),
            "replay, parameter dropped": (params[:-1], good),
            "no signature": (params, False),
            "empty signature": (params, ""),
        }
        answers = set()
        for what, (p, sig) in cases.items():
            status, body = self.post(p, sig if sig != "" else "x")
            self.assertEqual(status, 403, what + ": " + body)
            answers.add(body)
        unknown = [(k, OTHER if k == "AccountSid" else v) for k, v in params]
        status, body = self.post(unknown)
        self.assertEqual(status, 403)
        answers.add(body)
        # One text for every refusal: nothing tells which AccountSids have the receiver on.
        self.assertEqual(len(answers), 1, answers)
        self.assertEqual(self.rows(), [])
        # The log has each reason.
        out = self.run_out()
        self.assertIn("does not match", out)
        self.assertIn("no [account] with webhook = yes has AccountSid " + OTHER, out)

    def test_malformed_payload_and_oversize(self):
        status, body = self.post(push_params(payload='{"error_code": 11200,'))
        self.assertEqual(status, 400)
        self.assertIn("Payload is not JSON", body)
        status, body = self.post(push_params(payload='[1, 2]'))
        self.assertEqual(status, 400)
        self.assertIn("not a JSON object", body)
        status, body = self.post([p for p in push_params() if p[0] != "Payload"])
        self.assertEqual(status, 400)
        self.assertIn("Payload is missing", body)
        status, body = self.post(push_params(sid="not-a-sid"))
        self.assertEqual(status, 400)
        status, body = self.post(push_params(), content_type="application/json")
        self.assertEqual(status, 400)
        big = push_params(payload=json.dumps({"error_code": 1, "x": "y" * 300000}))
        status, body = self.post(big)
        self.assertEqual(status, 413)
        self.assertEqual(self.rows(), [])
        # The server is still fine.
        self.assertEqual(request(self.port, "GET", "/healthz")[0], 200)

    def test_push_then_poll_is_one_row(self):
        status, body = self.post(push_params())
        self.assertEqual(status, 200, body)
        # Twilio's list then carries the same alert: the next poll reconciles the row.
        self.sim.add_alerts(SIM_ACCOUNT, [{
            "sid": SID, "age": 30, "error_code": "11200", "log_level": "error",
            "alert_text": "Msg=HTTP+retrieval+failure&httpResponse=502",
            "request_url": "https://hooks.example.com/voice"}])
        wait_for(lambda: (self.a.query("SELECT alert_text FROM alerts WHERE sid = ?", SID)[0][0]
                          or "").startswith("Msg="), timeout=60, step=0.5, what="the poll")
        rows = self.a.query("SELECT sid, source, first_seen, alert_text FROM alerts")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["source"], "push")   # how the agent first got it
        self.assertEqual(rows[0]["alert_text"], "Msg=HTTP+retrieval+failure&httpResponse=502")


    def test_read_write_readers_after_a_push_see_every_commit(self):
        """The push opens the agent's second read-write connection. A user's
        `sqlite3` (read-write by default) closing its connection must not take
        the WAL from the agent: POSIX locks vanish when any descriptor of the
        file is closed, so the agent must never open and close the database
        file itself while SQLite has it open."""
        status, body = self.post(push_params())
        self.assertEqual(status, 200, body)
        path = self.a.db_path
        for round_ in range(2):
            for _ in range(20):
                self.a.query("SELECT count(*) FROM alerts", rw=True)
            self.assertTrue(os.path.exists(path + "-wal"),
                            "a reader's close removed the running agent's WAL")
            new = self.sim.add_alerts(SIM_ACCOUNT, [{"age": 0}])
            wait_for(lambda: self.a.query("SELECT count(*) FROM alerts WHERE sid = ?",
                                          new[0], rw=True)[0][0] == 1,
                     timeout=40, step=0.5, what="a poll's row seen by a read-write reader")
        # A crash now loses nothing that was committed (the push itself, dated
        # January, may already be pruned by the 30-day retention).
        before = self.a.query("SELECT count(*) FROM alerts", rw=True)[0][0]
        self.assertGreaterEqual(before, 2)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None
        self.assertEqual(self.a.query("SELECT count(*) FROM alerts", rw=True)[0][0], before)


class PushTriggerTest(HttpTest):
    def test_trigger_fires_within_seconds_of_a_push(self):
        import os
        import time
        out = os.path.join(self.folder, "notified.json")
        hook = os.path.join(self.folder, "hook.sh")
        with open(hook, "w") as f:
            f.write("#!/bin/sh\ncat > %s.tmp && mv %s.tmp %s\n" % (out, out, out))
        os.chmod(hook, 0o700)
        extra = ("\n[trigger webhook-failures]\nerror_code = 11200\nthreshold = 1\n"
                 "window = 1h\nnotify = hook\n\n[notify hook]\ntype = exec\n"
                 "command = %s\n" % hook)
        with Sim() as sim:
            acct = {"name": "main", "api_base": sim.url,
                    "keys": {"webhook": "yes", "public_url": PUBLIC_URL}}
            # A long interval: only the push can make the trigger fire during the test.
            a = self.start_http(sim, accounts=[acct], agent_keys={"interval": "10m"},
                                extra=extra)
            wait_for(lambda: a.query("SELECT count(*) FROM sync_state")[0][0] == 1,
                     timeout=60, what="first poll")
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            params = [p if p[0] != "Timestamp" else ("Timestamp", now) for p in push_params()]
            status, _, body = request(self.port, "POST", "/twilio/debugger", body=form(params),
                                      headers={"Content-Type":
                                               "application/x-www-form-urlencoded",
                                               "X-Twilio-Signature": twilio_signature(
                                                   SIM_TOKEN, PUBLIC_URL, params)})
            self.assertEqual(status, 200, body)
            t0 = time.monotonic()
            wait_for(lambda: os.path.exists(out), timeout=15, step=0.1, what="the notification")
            self.assertLess(time.monotonic() - t0, 5)
            with open(out) as f:
                note = json.load(f)
            self.assertIn(SID, json.dumps(note))


if __name__ == "__main__":
    unittest.main(verbosity=2)
