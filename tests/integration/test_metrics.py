# SPDX-License-Identifier: MIT
"""Every metric README.md documents moves when its event happens (issue 9,
item 2): the real daemon against the simulator, each event caused for real
(a poll, new alerts, a push, a refused push, a 503, a fired trigger, a
delivery that works and one that fails, an old notification, a channel
removed by a reload), /metrics scraped before and after. The one metric
without an event, build_info, is checked for its value. The list of metrics
is read from README.md, so a metric documented later without a test here
fails this test."""
import os
import re
import signal
import sqlite3
import unittest

from harness import SIM_ACCOUNT, SIM_TOKEN, Sim, wait_for
from httpd import HttpTest, form, get, request, twilio_signature

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXEC = os.path.join(HERE, "trig_exec.py")
PUBLIC_URL = "https://alerts.example.com/twilio/debugger"
CODE = 64999
PUSH_SID = "NO" + "7d" * 16
OLD = "2000-01-01T00:00:00Z"


def documented():
    """The metric names in README.md's /metrics row."""
    with open(os.path.join(ROOT, "README.md")) as f:
        row = [line for line in f if line.startswith("| `GET /metrics`")]
    assert len(row) == 1, "README.md has one /metrics row"
    names = set()
    for m in re.finditer(r"`(twilio_alertd)?(_[a-z_]+)(\{[^}]*\})?`", row[0]):
        names.add("twilio_alertd" + m.group(2))
    return names


def scrape(port):
    """{series: value} of one scrape; a series is the name and its labels as printed."""
    status, _, body = get(port, "/metrics")
    assert status == 200, body
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def total(m, name, **labels):
    """Sum of @name's series whose labels include @labels."""
    n = 0.0
    for key, v in m.items():
        if key.split("{")[0] != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:\\.|[^"\\])*)"', key))
        if all(have.get(k) == str(x) for k, x in labels.items()):
            n += v
    return n


class MetricsTest(HttpTest):
    def config(self, bad_channel):
        good = os.path.join(self.folder, "good")
        bad = os.path.join(self.folder, "bad")
        text = f"[notify good]\ntype = exec\ncommand = /usr/bin/python3 {EXEC} {good}\n"
        notify = "good"
        if bad_channel:
            text += f"[notify bad]\ntype = exec\ncommand = /usr/bin/python3 {EXEC} {bad}\n"
            notify = "good, bad"
        return text + (f"[trigger t]\nerror_code = {CODE}\nthreshold = 2\nwindow = 1h\n"
                       f"notify = {notify}\n")

    def test_every_documented_metric_moves(self):
        names = documented()
        self.assertGreaterEqual(len(names), 20, names)
        moved = set()

        def saw(name, before, after, **labels):
            b, a = total(before, name, **labels), total(after, name, **labels)
            self.assertNotEqual(a, b, f"{name}{labels} did not move ({b})")
            moved.add(name)
            return b, a

        for d in ("good", "bad"):
            os.mkdir(os.path.join(self.folder, d))
        open(os.path.join(self.folder, "bad", "fail"), "w").close()
        sim = Sim()
        sim.start()
        self.addCleanup(sim.stop)
        sim.add_alerts(SIM_ACCOUNT, [{"age": 3600, "error_code": "12100",
                                      "log_level": "warning"} for _ in range(5)])
        acct = {"name": "main", "api_base": sim.url,
                "keys": {"webhook": "yes", "public_url": PUBLIC_URL}}
        agent = self.start_http(sim, accounts=[acct], agent_keys={"max_retries": "1"},
                                extra=self.config(True))
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_polls_total", outcome="ok"),
                 timeout=60, what="first poll")
        m0 = scrape(self.port)
        self.assertEqual(total(m0, "twilio_alertd_build_info", version=self.version()), 1)
        moved.add("twilio_alertd_build_info")
        self.assertEqual(total(m0, "twilio_alertd_healthy"), 1)

        # New alerts that fire the trigger: one channel delivers, one fails.
        polls = total(m0, "twilio_alertd_polls_total", outcome="ok")
        sim.add_alerts(SIM_ACCOUNT, [{"age": 1, "error_code": str(CODE), "log_level": "error"}
                                     for _ in range(2)])
        def delivered():
            m = scrape(self.port)
            return (total(m, "twilio_alertd_notifications_sent_total", channel="good") and
                    total(m, "twilio_alertd_notifications_failed_total", channel="bad"))
        # Both channels: they are delivered one after the other, in either order.
        wait_for(delivered, timeout=60, what="the deliveries")
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_alerts_stored") == 7,
                 timeout=30, what="the counts")
        m1 = scrape(self.port)
        saw("twilio_alertd_polls_total", m0, m1, outcome="ok")
        saw("twilio_alertd_api_requests_total", m0, m1, status_class="2xx")
        saw("twilio_alertd_alerts_ingested_total", m0, m1, source="poll")
        saw("twilio_alertd_alerts_stored", m0, m1, account="main")
        saw("twilio_alertd_alerts_recent", m0, m1, window="1h", log_level="error")
        saw("twilio_alertd_last_success_timestamp_seconds", m0, m1, account="main")
        b, a = saw("twilio_alertd_newest_alert_age_seconds", m0, m1, account="main")
        self.assertLess(a, b, "a newer alert: younger")
        saw("twilio_alertd_triggers_firing", m0, m1)
        self.assertEqual(saw("twilio_alertd_notifications_sent_total", m0, m1,
                             channel="good")[1], 1)
        self.assertEqual(saw("twilio_alertd_notifications_failed_total", m0, m1,
                             channel="bad")[1], 1)
        self.assertEqual(saw("twilio_alertd_outbox_backlog", m0, m1)[1], 1)
        saw("twilio_alertd_http_requests_total", m0, m1, status_class="2xx")
        self.assertGreater(total(m1, "twilio_alertd_polls_total", outcome="ok"), polls)

        # A signed push, and one refused; then the poll finds the pushed alert changed.
        params = [("Sid", PUSH_SID), ("AccountSid", SIM_ACCOUNT),
                  ("Timestamp", "2026-01-02T03:04:05.123Z"), ("Level", "Warning"),
                  ("PayloadType", "application/json"), ("Payload", '{"error_code": "12300"}')]
        hdrs = {"Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(SIM_TOKEN, PUBLIC_URL, params)}
        self.assertEqual(request(self.port, "POST", "/twilio/debugger", body=form(params),
                                 headers=hdrs)[0], 200)
        hdrs["X-Twilio-Signature"] = "forged"
        self.assertEqual(request(self.port, "POST", "/twilio/debugger", body=form(params),
                                 headers=hdrs)[0], 403)
        m2 = scrape(self.port)
        saw("twilio_alertd_alerts_ingested_total", m1, m2, source="push")
        saw("twilio_alertd_webhook_requests_total", m1, m2, status_class="2xx")
        saw("twilio_alertd_webhook_requests_total", m1, m2, status_class="4xx")
        sim.add_alerts(SIM_ACCOUNT, [{"sid": PUSH_SID, "age": 30, "error_code": "12300",
                                      "log_level": "warning"}])
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_alerts_updated_total"),
                 timeout=60, what="the poll that reconciles the pushed row")
        saw("twilio_alertd_alerts_updated_total", m2, scrape(self.port), account="main")

        # One 503 is retried (max_retries 1); two in a row fail the poll.
        m3 = scrape(self.port)
        sim.faults([{"type": "503"}])
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_api_retries_total") >
                 total(m3, "twilio_alertd_api_retries_total"), timeout=60, what="a retry")
        m4 = scrape(self.port)
        saw("twilio_alertd_api_retries_total", m3, m4, account="main")
        saw("twilio_alertd_api_requests_total", m3, m4, status_class="5xx")
        sim.faults([{"type": "503"}] * 4)
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_polls_total",
                               outcome="unavailable"), timeout=60, what="a failed poll")
        m5 = scrape(self.port)
        saw("twilio_alertd_polls_total", m4, m5, outcome="unavailable")
        # The age of the last success grows while polls fail, and drops with the next success.
        self.assertGreaterEqual(total(m5, "twilio_alertd_last_success_age_seconds",
                                      account="main"), 1)
        sim.clear_faults()
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_polls_total", outcome="ok") >
                 total(m5, "twilio_alertd_polls_total", outcome="ok"), timeout=60,
                 what="a good poll again")
        b, a = saw("twilio_alertd_last_success_age_seconds", m5, scrape(self.port),
                   account="main")
        self.assertLess(a, b)

        # A notification waiting since long ago: the outbox's age, and the verdict. The
        # failing row is first dated ahead (so its real age, which grows with the machine's
        # speed, cannot have made the agent unhealthy already), then long ago.
        def queued(when):
            con = sqlite3.connect(agent.db_path, timeout=30)
            con.execute("UPDATE outbox SET created = ? WHERE delivered IS NULL", (when,))
            con.commit()
            con.close()

        queued("2999-01-01T00:00:00Z")
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_healthy") == 1, timeout=30,
                 what="healthy")
        m5 = scrape(self.port)
        queued(OLD)
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_healthy") == 0, timeout=30,
                 what="unhealthy")
        m6 = scrape(self.port)
        self.assertGreater(saw("twilio_alertd_outbox_oldest_age_seconds", m5, m6)[1], 86400)
        saw("twilio_alertd_healthy", m5, m6)
        self.assertIn(b"outbox not draining: channel bad", get(self.port, "/healthz")[2])

        # The failing channel leaves the configuration: its row is orphaned, the agent healthy.
        with open(agent.conf) as f:
            text = f.read().split("[notify")[0]
        with open(agent.conf, "w") as f:
            f.write(text + self.config(False))
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_outbox_orphaned") == 1,
                 timeout=30, what="the reload")
        m7 = scrape(self.port)
        saw("twilio_alertd_outbox_orphaned", m6, m7)
        self.assertEqual(total(m7, "twilio_alertd_outbox_backlog"), 0)
        self.assertEqual(total(m7, "twilio_alertd_outbox_oldest_age_seconds"), 0)
        wait_for(lambda: total(scrape(self.port), "twilio_alertd_healthy") == 1, timeout=30,
                 what="healthy again")

        self.assertEqual(names - moved, set(), "documented metrics this test did not move")
        self.assertEqual(moved - names, set(), "metrics moved here but not in README.md")

    def version(self):
        import subprocess
        from harness import ALERTD
        out = subprocess.run([ALERTD, "--version"], capture_output=True, text=True).stdout
        return out.split()[-1]


if __name__ == "__main__":
    unittest.main(verbosity=2)
