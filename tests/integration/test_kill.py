# SPDX-License-Identifier: MIT
"""Crash safety: SIGKILL the agent at random moments during a large backfill,
again and again (and, so that the test proves something, some of them right
after a commit was seen: at least one kill must leave a partial backfill), then
let one run finish: the database holds exactly the simulator's alerts, without
duplicates, and passes PRAGMA integrity_check. SIGTERM during a backfill keeps
the partial progress and exits 0."""
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
            # Every request a little slow, so a backfill spans several kills.
            sim.faults([{"type": "slow", "ms": 40, "count": 2000}])
            counts, totals = [], []
            for i in range(KILLS):
                proc = subprocess.Popen([ALERTD, "-c", agent.conf, "once"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if i % 2:
                    # At a random moment...
                    time.sleep(rnd.uniform(0.02, 0.6))
                else:
                    # ...or right after a commit was seen, so that at least these
                    # kills land with the backfill in progress.
                    before = counts[-1] if counts else 0
                    wait_for(lambda: proc.poll() is not None or agent.count() > before,
                             timeout=60, what="a commit")
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                # The agent is dead: read-write, so the WAL can be recovered.
                counts.append(agent.count(rw=True))
                totals.append(len(sim.sids(SIM_ACCOUNT)))
                # New alerts keep arriving between the crashes.
                sim.add_alerts(SIM_ACCOUNT, [{"age": rnd.randint(0, 120)}])
            print("rows after each kill:", counts)
            self.assertTrue([c for c, t in zip(counts, totals) if 0 < c < t],
                            f"no kill landed mid-backfill: {counts}")
            sim.clear_faults()
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

    def test_interrupted_backfill_resumes_oldest_first(self):
        """A backfill cut short resumes where it stopped, slice by slice, so each
        run saves progress: were it resumed as one open query from the watermark
        (newest first), a run dying every few pages would never move it."""
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 30000, days=29, seed=23)
            agent = self.agent(sim, agent_keys={"max_retries": "0"})
            marks = []
            for _ in range(3):
                # A few requests succeed, then the API fails for this run.
                sim.faults([{"type": "slow", "ms": 1}] * 6 + [{"type": "500"}])
                p = agent.once()
                self.assertEqual(p.returncode, 69, p.stderr)
                sim.clear_faults()
                marks.append(agent.query("SELECT watermark FROM sync_state")[0][0])
            print("watermarks:", marks)
            self.assertIsNotNone(marks[0], "the first slices finished")
            self.assertLess(marks[0], marks[1], "the second run moved the watermark")
            self.assertLess(marks[1], marks[2], "and so did the third")
            self.assertGreater(agent.count(), 0)
            self.assertLess(agent.count(), 30000)
            self.assertOk(agent.once(timeout=300))
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))

    def test_sigterm_during_once_finishes_and_exits_0(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 20000, days=29, seed=22)
            # Slow pages, so the signal lands in the middle of the backfill.
            sim.faults([{"type": "slow", "ms": 300}] * 40)
            agent = self.agent(sim)
            proc = subprocess.Popen([ALERTD, "-c", agent.conf, "once"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: proc.poll() is not None or agent.count() > 0,
                     timeout=60, what="the first rows")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(agent.query("PRAGMA integrity_check", rw=True)[0][0], "ok")
            partial = agent.count()
            self.assertGreater(partial, 0, "the pages committed before the signal are kept")
            self.assertLess(partial, 20000, "stopped before the end")
            self.assertEqual([r[0] for r in agent.query("SELECT outcome FROM poll_runs")],
                             ["interrupted"])
            sim.clear_faults()
            self.assertOk(agent.once(timeout=300))
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
