# SPDX-License-Identifier: MIT
"""`run`: polls every interval, SIGTERM finishes the current work and exits 0,
SIGHUP reloads the configuration and a bad reload keeps the old one."""
import os
import signal
import unittest

from harness import SIM_ACCOUNT, AgentTest, Sim, read, stop, wait_for


class DaemonTest(AgentTest):
    def test_run_polls_reloads_and_stops(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 300, days=2, seed=9)
            agent = self.agent(sim, agent_keys={"interval": "10s"})
            proc = agent.start()
            try:
                wait_for(lambda: agent.count() == 300,
                         timeout=60, what="first poll")
                # A bad configuration on SIGHUP is refused; the daemon goes on.
                good = read(agent.conf)
                with open(agent.conf, "w") as f:
                    f.write(good + "\nnot_a_key = 1\n")
                proc.send_signal(signal.SIGHUP)
                wait_for(lambda: "keeping the old one" in read(os.path.join(self.folder, "run.out")),
                         timeout=30, what="refused reload")
                self.assertIsNone(proc.poll())
                with open(agent.conf, "w") as f:
                    f.write(good)
                new = sim.add_alerts(SIM_ACCOUNT, [{"age": 0}])
                # The next poll (within the jittered 10s interval) picks it up.
                wait_for(lambda: new[0] in agent.sids(), timeout=40, what="second poll")
                self.assertEqual(stop(proc, signal.SIGTERM), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out = read(os.path.join(self.folder, "run.out"))
            self.assertIn("stopping", out)

    def test_sigterm_during_backfill_exits_zero_and_resumes(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 40000, days=29, seed=10)
            agent = self.agent(sim)
            proc = agent.start()
            wait_for(lambda: agent.count() > 0, timeout=60,
                     what="first rows")
            self.assertEqual(stop(proc, signal.SIGTERM), 0)
            self.assertOk(agent.once())
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
