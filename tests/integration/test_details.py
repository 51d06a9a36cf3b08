# SPDX-License-Identifier: MIT
"""fetch_details = yes: each new alert's instance is fetched (in parallel,
with retries) and its request/response data stored; old rows are not
fetched again."""
import http.server
import json
import threading
import time
import unittest
import urllib.parse

from harness import SIM_ACCOUNT, SIM_TOKEN, Agent, AgentTest, Sim

DETAILS = ["request_variables", "response_body", "response_headers", "request_headers"]


class DetailsTest(AgentTest):
    def test_fetch_details(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 300, days=2, seed=31)
            agent = self.agent(sim, [{"name": "d", "api_base": sim.url,
                                      "keys": {"fetch_details": "yes"}}])
            sim.faults([{"type": "slow", "ms": 1}, {"type": "503"}, {"type": "reset"}])
            self.assertOk(agent.once())
            rows = {r["sid"]: r for r in agent.query("SELECT * FROM alerts")}
            self.assertEqual(len(rows), 300)
            for sid in list(rows)[:40]:
                status, inst = sim.get_json(f"/v1/Alerts/{sid}", auth=(SIM_ACCOUNT, SIM_TOKEN))
                self.assertEqual(status, 200)
                for f in DETAILS:
                    self.assertEqual(rows[sid][f], inst[f], f"{sid} {f}")
            missing = agent.query("SELECT count(*) FROM alerts WHERE request_variables IS NULL")
            self.assertEqual(missing[0][0], 0)

            # Only the new alert's instance is fetched on the next run.
            new = sim.add_alerts(SIM_ACCOUNT, [{"age": 0, "request_variables": "A=1&B=%3Cx%3E",
                                               "response_body": "<Response/>"}])
            sim.clear_requests()
            self.assertOk(agent.once())
            paths = [r["path"] for r in sim.requests()]
            self.assertEqual([p for p in paths if p.startswith("/v1/Alerts/")], [f"/v1/Alerts/{new[0]}"])
            row = agent.query("SELECT request_variables, response_body FROM alerts WHERE sid = ?", new[0])[0]
            self.assertEqual(row["request_variables"], "A=1&B=%3Cx%3E")
            self.assertEqual(row["response_body"], "<Response/>")

    def test_details_not_fetched_by_default(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 50, days=1, seed=32)
            agent = self.agent(sim)
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 50)
            paths = [r["path"] for r in sim.requests()]
            self.assertTrue([p for p in paths if p.startswith("/v1/Alerts?")], paths)
            self.assertEqual([p for p in paths if p.startswith("/v1/Alerts/")], [])
            self.assertEqual(agent.query("SELECT count(*) FROM alerts WHERE request_variables IS NOT NULL")[0][0], 0)

    def test_invalid_utf8_in_an_instance_is_mended(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 40, days=1, seed=33)
            bad = sim.add_alerts(SIM_ACCOUNT, [{"age": 0, "raw": {
                "response_body": b'"<p>caf\xe9 \\u0000</p>"'.hex()}}])[0]
            agent = self.agent(sim, [{"name": "d", "api_base": sim.url,
                                      "keys": {"fetch_details": "yes"}}])
            p = agent.once()
            self.assertOk(p)
            self.assertEqual(agent.count(), 41)
            self.assertEqual(agent.query("SELECT count(*) FROM alerts "
                                         "WHERE request_variables IS NULL")[0][0], 0)
            body = agent.query("SELECT response_body FROM alerts WHERE sid = ?", bad)[0][0]
            self.assertEqual(body, "<p>caf\ufffd \ufffd</p>")
            self.assertIn("replaced by U+FFFD", p.stderr)

    def test_bad_sids_are_skipped_and_the_others_fetched(self):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        good = ["NO%032x" % i for i in range(1, 9)]
        bad = ["NO bad sid with spaces 0000000000", "NO" + "z" * 32, "NO123", "../Alerts"]
        fetched, lists = [], []

        class Api(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path == "/v1/Alerts":
                    # The first query gets them all; the backfill's other slices are empty.
                    lists.append(path)
                    items = [{"sid": s, "date_created": now} for s in bad[:2] + good + bad[2:]]
                    # A proper sid, but the account_sid is not one.
                    items.append({"sid": "NO" + "f" * 32, "date_created": now,
                                  "account_sid": "AC" + "g" * 32})
                    items = items if len(lists) == 1 else []
                    page = {"alerts": items, "meta": {"key": "alerts", "next_page_url": None}}
                else:
                    sid = path.rsplit("/", 1)[-1]
                    fetched.append(sid)
                    page = {"sid": sid, "date_created": now, "request_variables": "A=" + sid}
                body = json.dumps(page).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            agent = Agent(self.folder, [{"name": "d", "api_base":
                                         f"http://127.0.0.1:{srv.server_address[1]}",
                                         "keys": {"fetch_details": "yes"}}])
            p = agent.once(timeout=120)
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertOk(p)
        self.assertEqual(agent.sids(), set(good))
        self.assertEqual(sorted(fetched), good)
        rows = agent.query("SELECT sid, request_variables FROM alerts")
        self.assertEqual({r[0]: r[1] for r in rows}, {s: "A=" + s for s in good})
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 2, p.stderr)
        self.assertIn("skipped an alert: alert sid is not NO and 32 hex digits", lines[0])
        self.assertIn("skipped 4 more malformed alerts", lines[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
