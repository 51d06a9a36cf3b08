# SPDX-License-Identifier: MIT
"""fetch_details = yes: each new alert's instance is fetched (in parallel,
with retries) and its request/response data stored; old rows are not
fetched again."""
import unittest

from harness import SIM_ACCOUNT, SIM_TOKEN, AgentTest, Sim

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
