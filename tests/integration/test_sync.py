# SPDX-License-Identifier: MIT
"""Sync against the simulator: backfill over several pages, every field
round-trips, incremental runs fetch only what is new (one request when
quiet), late alerts inside the overlap are caught, nothing is duplicated,
and queries that reach Twilio's 10,000-alert cap are split."""
import json
import os
import random
import unittest
from urllib.parse import unquote_plus, urlparse

from harness import SIM_ACCOUNT, SIM_TOKEN, Agent, AgentTest, Sim

LIST_FIELDS = ["account_sid", "alert_text", "api_version", "date_created", "date_generated",
               "date_updated", "log_level", "more_info", "request_method", "request_url",
               "resource_sid", "service_sid", "sid", "url"]


def api_list(sim):
    """Every alert as the API lists it, paging like a client."""
    out, path = [], "/v1/Alerts?PageSize=1000"
    while path:
        status, page = sim.get_json(path, auth=(SIM_ACCOUNT, SIM_TOKEN))
        assert status == 200, page
        out += page["alerts"]
        nxt = page["meta"]["next_page_url"]
        path = nxt[nxt.index("/v1/"):] if nxt else None
    return out


def form_value(text, key):
    for part in (text or "").split("&"):
        k, _, v = part.partition("=")
        if k == key:
            return unquote_plus(v)
    return None


def api_requests(sim):
    return [r for r in sim.requests() if r["path"].startswith("/v1/")]


class SyncTest(AgentTest):
    def test_backfill_round_trip(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 3500, days=5, seed=7)
            agent = self.agent(sim)
            p = agent.once()
            self.assertOk(p)
            self.assertEqual(p.stdout + p.stderr, "", "a successful once is silent")
            truth = api_list(sim)
            self.assertEqual(len(truth), 3500)
            self.assertEqual(agent.sids(), {a["sid"] for a in truth})
            self.assertGreaterEqual(len([r for r in api_requests(sim) if "PageToken" in r["path"]]), 1,
                                    "several pages were followed")
            rows = {r["sid"]: r for r in agent.query("SELECT * FROM alerts")}
            for a in truth:
                row = rows[a["sid"]]
                for f in LIST_FIELDS:
                    self.assertEqual(row[f], a[f], f"{a['sid']} field {f}")
                self.assertEqual(row["error_code"], int(a["error_code"]))
                self.assertIsInstance(row["error_code"], int)
                self.assertRegex(row["date_created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
                self.assertEqual(row["msg"], form_value(a["alert_text"], "Msg"))
                resp = form_value(a["alert_text"], "httpResponse")
                self.assertEqual(row["http_response"], int(resp) if resp and resp.isdigit() else None)
                host = urlparse(a["request_url"]).hostname if a["request_url"] else None
                self.assertEqual(row["request_host"] or None, host)
                self.assertIsNone(row["request_variables"])
                self.assertEqual(row["source"], "poll")
                self.assertIsNotNone(row["first_seen"])
            self.assertTrue(any(r["service_sid"] is None for r in rows.values()))
            runs = agent.query("SELECT * FROM poll_runs")
            self.assertEqual(len(runs), 1)
            self.assertEqual(runs[0]["outcome"], "ok")
            self.assertEqual(runs[0]["inserted"], 3500)
            # The watermark is the newest date_created.
            st = json.loads(agent.cmd("status", "--json").stdout)
            acct = st["accounts"][0]
            self.assertEqual(acct["watermark"], max(a["date_created"] for a in truth))
            self.assertEqual(acct["rows"], 3500)
            self.assertIsNone(acct["last_error"])

    def test_incremental_quiet_late_and_no_duplicates(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 1200, days=2, seed=3)
            agent = self.agent(sim)
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 1200)

            # Quiet: one request.
            sim.clear_requests()
            self.assertOk(agent.once())
            self.assertEqual(len(api_requests(sim)), 1, api_requests(sim))
            self.assertEqual(agent.count(), 1200)

            # New alerts and a late one (filed 5 minutes in the past, inside the overlap).
            new = sim.add_alerts(SIM_ACCOUNT, [{"age": 0}, {"age": 1}, {"age": 2}])
            late = sim.add_alerts(SIM_ACCOUNT, [{"age": 300}])
            sim.clear_requests()
            self.assertOk(agent.once())
            self.assertEqual(len(api_requests(sim)), 1)
            have = agent.sids()
            self.assertTrue(set(new) <= have and set(late) <= have)
            self.assertEqual(have, set(sim.sids(SIM_ACCOUNT)))
            self.assertEqual(agent.count(), 1204)
            rows = agent.query("SELECT sid, count(*) c FROM alerts GROUP BY sid HAVING c > 1")
            self.assertEqual(rows, [])
            runs = agent.query("SELECT inserted, updated, outcome FROM poll_runs ORDER BY id")
            self.assertEqual([r["inserted"] for r in runs], [1200, 0, 4])
            self.assertEqual([r["outcome"] for r in runs], ["ok"] * 3)

    def test_overlap_as_long_as_the_window_is_quiet(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 200, days=3, seed=6)
            agent = self.agent(sim, agent_keys={"overlap": "30d"})
            self.assertOk(agent.once())
            p = agent.once()
            self.assertOk(p)
            self.assertEqual(p.stderr, "", "no warning about a missed window")
            self.assertEqual(agent.count(), 200)

    def test_query_cap_is_split(self):
        with Sim() as sim:
            # A burst denser than the cap inside one backfill slice ...
            sim.add_alerts(SIM_ACCOUNT, [{"age": 3600 * 30 + random.randint(0, 3000)}
                                         for _ in range(12000)])
            sim.generate(SIM_ACCOUNT, 500, days=3, seed=5)
            agent = self.agent(sim)
            self.assertOk(agent.once())
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))
            # ... and a burst larger than the cap between two polls.
            sim.add_alerts(SIM_ACCOUNT, [{"age": random.randint(0, 240)} for _ in range(11000)])
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 23500)
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))

    def test_requests_follow_the_alerts_not_the_window(self):
        """A backfill of a window under the cap is one query: 20 accounts with 3
        alerts each take one list request each (not one per time slice), an
        account with 999 alerts over 29 days at most 2, and 9,000 alerts are
        one query paged to its end (no EndDate: nothing was split)."""
        accounts = [("AC%032x" % (0xa100 + i), "tok%d" % i) for i in range(20)]
        with Sim(accounts=accounts) as sim:
            for i, (acct, _) in enumerate(accounts):
                sim.generate(acct, 3, days=29, seed=30 + i)
            agent = self.agent(sim, accounts=[
                {"name": "a%02d" % i, "sid": acct, "token": tok, "api_base": sim.url}
                for i, (acct, tok) in enumerate(accounts)])
            sim.clear_requests()
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 60)
            self.assertEqual(len(api_requests(sim)), 20)
        for count, most in ((999, 2), (9000, 9 + 1)):
            with self.subTest(count=count), Sim() as sim:
                sim.generate(SIM_ACCOUNT, count, days=29, seed=40)
                folder = os.path.join(self.folder, "n%d" % count)
                os.mkdir(folder)
                agent = Agent(folder, [{"name": "main", "api_base": sim.url}])
                sim.clear_requests()
                self.assertOk(agent.once())
                self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))
                reqs = api_requests(sim)
                self.assertLessEqual(len(reqs), most)
                self.assertEqual([r["path"] for r in reqs if "EndDate" in r["path"]], [])

    def test_dense_backfill_is_split_and_bounded_in_requests(self):
        """A window past the cap is split, oldest first: every alert arrives, no
        slice reaches the cap, and the requests stay near one per page (30,000
        alerts: 30 full pages, plus a probe and a short last page per slice)."""
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 30000, days=29, seed=41)
            agent = self.agent(sim)
            sim.clear_requests()
            self.assertOk(agent.once())
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))
            reqs = api_requests(sim)
            self.assertGreaterEqual(len([r for r in reqs if "EndDate" in r["path"]]), 2,
                                    "the window was split")
            self.assertLessEqual(len(reqs), 45)
            marks = [r[0] for r in agent.query(
                "SELECT watermark FROM sync_state")]
            self.assertEqual(len(marks), 1)
            self.assertIsNotNone(marks[0])

    def test_cap_reached_by_the_one_query_is_split(self):
        """A window whose first pages look sparse is paged as one query: when
        it reaches the cap, Twilio's paging just ends, which proves nothing,
        so the window is split and the rest arrives."""
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, [{"age": 28 * 86400 + random.randint(0, 3000)}
                                         for _ in range(12000)])
            agent = self.agent(sim)
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 12000)
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))

    def test_alert_dated_in_the_future_does_not_stall_the_sync(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 50, days=1, seed=9)
            # A bogus date a year ahead must not carry the watermark past now ...
            sim.add_alerts(SIM_ACCOUNT, [{"age": -365 * 86400}])
            agent = self.agent(sim)
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 51)
            # ... or every later query would start after the alerts still to come.
            new = sim.add_alerts(SIM_ACCOUNT, [{"age": 0}, {"age": 5}])
            self.assertOk(agent.once())
            self.assertTrue(set(new) <= agent.sids(), "new alerts after a future-dated one")
            self.assertEqual(agent.count(), 53)


if __name__ == "__main__":
    unittest.main(verbosity=2)
