# SPDX-License-Identifier: MIT
"""`run`: polls every interval, SIGTERM finishes the current work and exits 0,
SIGHUP reloads the configuration and a bad reload keeps the old one: a good
one takes effect at once (a changed trigger threshold, a new account), a bad
one changes nothing even though it holds the same changes."""
import os
import signal
import unittest

from harness import SIM_ACCOUNT, SIM_TOKEN, Agent, AgentTest, Sim, read, stop, wait_for
from httpd import NotifyReceiver

OTHER = ("AC" + "b2" * 16, "tok-other")
HOOK_SECRET = "daemon-hook-secret"


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
            # Slow pages: the backfill is still running when the signal comes.
            sim.faults([{"type": "slow", "ms": 150, "count": 400}])
            agent = self.agent(sim)
            proc = agent.start()
            wait_for(lambda: proc.poll() is not None or agent.count() > 0, timeout=60,
                     what="first rows")
            self.assertEqual(stop(proc, signal.SIGTERM), 0)
            partial = agent.count(rw=True)
            self.assertGreater(partial, 0, "the committed part of the backfill is kept")
            self.assertLess(partial, 40000, "the signal stopped the backfill")
            self.assertEqual([r[0] for r in agent.query("SELECT outcome FROM poll_runs")],
                             ["interrupted"])
            sim.clear_faults()
            self.assertOk(agent.once())
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))

    def test_sighup_good_reload_takes_effect_bad_one_keeps_old(self):
        secret = os.path.join(self.folder, "hook.secret")
        with open(secret, "w") as f:
            f.write(HOOK_SECRET + "\n")
        os.chmod(secret, 0o600)
        with Sim(accounts=[(SIM_ACCOUNT, SIM_TOKEN), OTHER]) as sim, \
                NotifyReceiver(HOOK_SECRET) as hook:
            sim.add_alerts(SIM_ACCOUNT, [{"age": 30, "error_code": "11200"} for _ in range(3)])
            other = sim.add_alerts(OTHER[0], [{"age": 20, "error_code": "12100"}
                                              for _ in range(5)])
            main = {"name": "main", "api_base": sim.url}
            beta = {"name": "beta", "sid": OTHER[0], "token": OTHER[1], "api_base": sim.url}

            def config(threshold, accounts, broken=False):
                extra = (f"[notify hook]\ntype = webhook\nurl = {hook.url}\n"
                         f"secret_file = {secret}\ntimeout = 5s\n"
                         f"[trigger t]\nerror_code = 11200\nthreshold = {threshold}\n"
                         f"window = 1h\nnotify = hook\n" + ("threshold = lots\n" if broken else ""))
                return Agent(self.folder, accounts, agent_keys={"interval": "10s"}, extra=extra)

            agent = config(5, [main])
            proc = agent.start()
            log = os.path.join(self.folder, "run.out")

            def runs(name):
                return agent.query("SELECT count(*) FROM poll_runs WHERE account = ?", name)[0][0]

            try:
                wait_for(lambda: agent.count() == 3 and runs("main") >= 1, timeout=60,
                         what="the first poll")
                # A bad file with the same changes: refused, the old configuration goes on.
                config(2, [main, beta], broken=True)
                proc.send_signal(signal.SIGHUP)
                wait_for(lambda: "keeping the old one" in read(log), timeout=30,
                         what="the refused reload")
                # Two more cycles, so that one ran whole (poll, triggers, delivery) after it.
                done = runs("main")
                wait_for(lambda: runs("main") >= done + 2, timeout=60, what="two more polls")
                self.assertIsNone(proc.poll())
                self.assertEqual(hook.snapshot(), [], "threshold 5 still: 3 alerts do not fire")
                self.assertEqual(runs("beta"), 0, "the new account is not polled")
                self.assertEqual(agent.sids(OTHER[0]), set())
                # The good file: at once, a new account and the new threshold.
                config(2, [main, beta])
                proc.send_signal(signal.SIGHUP)
                wait_for(lambda: agent.sids(OTHER[0]) == set(other), timeout=60,
                         what="the new account's alerts")
                wait_for(lambda: hook.snapshot(), timeout=60, what="the notification")
                got = hook.snapshot()
                self.assertEqual(len(got), 1, got)
                note = got[0]["body"]
                self.assertTrue(got[0]["signature_ok"])
                self.assertEqual((note["kind"], note["threshold"], note["count"]), ("fired", 2, 3))
                self.assertEqual(stop(proc, signal.SIGTERM), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out = read(log)
            self.assertEqual(out.count("reloading the configuration"), 2, out)
            self.assertEqual(out.count("keeping the old one"), 1, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
