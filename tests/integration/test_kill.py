# SPDX-License-Identifier: MIT
"""Crash safety: SIGKILL the agent at random moments during a large backfill,
again and again, then let one run finish: the database holds exactly the
simulator's alerts, without duplicates, and passes PRAGMA integrity_check."""
import os
import random
import signal
import subprocess
import time
import unittest

from harness import ALERTD, SIM_ACCOUNT, AgentTest, Sim, wait_for

KILLS = 8


class KillTest(AgentTest):
    def test_sigkill_during_backfill(self):
        seed = int(os.environ.get("KILL_SEED", time.time()))
        rnd = random.Random(seed)
        print(f"KILL_SEED={seed}")
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 60000, days=29, seed=21)
            agent = self.agent(sim)
            counts = []
            for _ in range(KILLS):
                proc = subprocess.Popen([ALERTD, "-c", agent.conf, "once"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rnd.uniform(0.02, 0.6))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                # The agent is dead: read-write, so the WAL can be recovered.
                counts.append(agent.count(rw=True))
                # New alerts keep arriving between the crashes.
                sim.add_alerts(SIM_ACCOUNT, [{"age": rnd.randint(0, 120)}])
            print("rows after each kill:", counts)
            p = agent.once(timeout=300)
            self.assertOk(p)
            self.assertEqual(agent.query("PRAGMA integrity_check")[0][0], "ok")
            truth = set(sim.sids(SIM_ACCOUNT))
            self.assertEqual(len(truth), 60000 + KILLS)
            self.assertEqual(agent.count(), len(truth))
            self.assertEqual(agent.sids(), truth)
            # And a later quiet run is one request.
            sim.clear_requests()
            self.assertOk(agent.once())
            self.assertEqual(len([r for r in sim.requests() if r["path"].startswith("/v1/")]), 1)

    def test_sigterm_during_once_finishes_and_exits_0(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 20000, days=29, seed=22)
            # Slow pages, so the signal lands in the middle of the backfill.
            sim.faults([{"type": "slow", "ms": 300}] * 40)
            agent = self.agent(sim)
            proc = subprocess.Popen([ALERTD, "-c", agent.conf, "once"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: len([r for r in sim.requests() if r["path"].startswith("/v1/")]) >= 3,
                     timeout=60, what="a few pages")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(agent.query("PRAGMA integrity_check", rw=True)[0][0], "ok")
            self.assertLess(agent.count(), 20000, "stopped before the end")
            sim.clear_faults()
            self.assertOk(agent.once(timeout=300))
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
