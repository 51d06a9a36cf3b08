# SPDX-License-Identifier: MIT
"""Every fault kind of the simulator, alone and in sequence: the run retries
or fails cleanly with one line, and once the fault clears nothing is missing
or duplicated."""
import unittest

from harness import SIM_ACCOUNT, AgentTest, Sim

FAULTS = [
    {"type": "429", "retry_after": 1},
    {"type": "500"},
    {"type": "503"},
    {"type": "slow", "ms": 3000},
    {"type": "cut"},
    {"type": "badjson"},
    {"type": "reset"},
]


class FaultTest(AgentTest):
    def check_complete(self, sim, agent):
        self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))
        dup = agent.query("SELECT sid FROM alerts GROUP BY sid HAVING count(*) > 1")
        self.assertEqual(dup, [])
        self.assertEqual(agent.query("PRAGMA integrity_check")[0][0], "ok")

    def test_each_fault_alone_is_retried(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 2500, days=3, seed=11)
            agent = self.agent(sim, agent_keys={"http_timeout": "2s"})
            for fault in FAULTS:
                with self.subTest(fault=fault["type"]):
                    # The fault hits the first request of this run.
                    sim.add_alerts(SIM_ACCOUNT, [{"age": 1}])
                    sim.faults([fault])
                    p = agent.once()
                    self.assertOk(p, fault["type"])
                    self.assertEqual(sim.pending_faults(), [])
                    self.check_complete(sim, agent)
            runs = agent.query("SELECT http_errors FROM poll_runs ORDER BY id")
            self.assertEqual(len(runs), len(FAULTS))
            self.assertEqual([r for r in runs if r["http_errors"] < 1], [],
                             "every run met its fault")

    def test_faults_mid_backfill_in_sequence(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 6000, days=10, seed=12)
            agent = self.agent(sim, agent_keys={"http_timeout": "2s"})
            sim.clear_requests()
            # Let a few pages through, then every fault kind, each followed by a
            # success so that no request exhausts its retries.
            seq = [{"type": "slow", "ms": 10}] * 3
            for fault in FAULTS:
                seq += [fault, {"type": "slow", "ms": 1}]
            sim.faults(seq)
            self.assertOk(agent.once())
            self.check_complete(sim, agent)

    def test_persistent_fault_fails_cleanly_then_recovers(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 3000, days=4, seed=13)
            agent = self.agent(sim, agent_keys={"max_retries": "2"})
            sim.faults([{"type": "503", "count": 3}])
            p = agent.once()
            self.assertEqual(p.returncode, 69, p.stderr)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("HTTP 503", lines[0])
            self.assertIn("main", lines[0])
            st = agent.query("SELECT last_error, last_success FROM sync_state")[0]
            self.assertIn("503", st["last_error"])
            # Once the fault clears, the next run completes the set.
            self.assertOk(agent.once())
            self.check_complete(sim, agent)
            self.assertEqual([r[0] for r in agent.query("SELECT outcome FROM poll_runs ORDER BY id")],
                             ["unavailable", "ok"])

    def test_failure_after_some_pages_keeps_them_and_the_watermark(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 8000, days=29, seed=14)
            agent = self.agent(sim, agent_keys={"max_retries": "0"})
            # A few requests succeed, then the API stays down for this run.
            # (the first day of the window is empty: a few slices pass before data)
            sim.faults([{"type": "slow", "ms": 1}] * 8 + [{"type": "500"}])
            p = agent.once()
            self.assertEqual(p.returncode, 69, p.stderr)
            partial = agent.count()
            self.assertGreater(partial, 0, "pages committed before the fault are kept")
            self.assertLess(partial, 8000)
            self.assertOk(agent.once())
            self.check_complete(sim, agent)

    @unittest.expectedFailure
    def test_backfill_with_the_clock_behind_twilio(self):
        """KNOWN BUG (issue 10 item 2, found by test_chaos.py with larger clock
        steps): the backfill's StartDate is 30 days minus 15 minutes before the
        *local* clock; with the local clock 20 minutes behind Twilio's, Twilio
        refuses it (400 "older than 30 days") on every run and the account never
        syncs. The window must follow Twilio's clock (its Date header). Remove
        @expectedFailure with that fix."""
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 3000, days=29.9, seed=15)
            sim.advance(20 * 60)
            agent = self.agent(sim, agent_keys={"max_retries": "0"})
            for _ in range(2):
                agent.once()
            self.assertOk(agent.once())
            self.check_complete(sim, agent)


if __name__ == "__main__":
    unittest.main(verbosity=2)
