# SPDX-License-Identifier: MIT
"""A wrong local clock: the simulator runs days behind the machine's clock
(its Date header tells its own time), so from the agent's point of view its
clock is ahead by more than the retention. Nothing stored is pruned, the
watermark is not put in the future, the warning comes once; once the clocks
agree again new alerts are stored and the gap is fetched; an alert dated
9999-12-31 is pruned in the end (by when it was first seen)."""
import calendar
import re
import time
import unittest

from harness import SIM_ACCOUNT, AgentTest, Sim, read, stop, wait_for

DAY = 86400
SKEW = 3 * DAY          # the agent's clock ahead of Twilio's, more than the retention
RETENTION = "2d"
FAR = "9999-12-31T00:00:00Z"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def epoch(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def sid(i):
    return "NO" + "%032x" % (0xc10c000 + i)


def warnings(text):
    return [ln for ln in text.splitlines() if "local clock" in ln and "Twilio" in ln]


class ClockTest(AgentTest):
    def watermark(self, agent):
        rows = agent.query("SELECT watermark FROM sync_state WHERE account = 'main'")
        self.assertEqual(len(rows), 1)
        return epoch(rows[0][0])

    def test_clock_ahead_then_corrected(self):
        twilio_now = int(time.time()) - SKEW
        with Sim(now=iso(twilio_now)) as sim:
            before = [{"sid": sid(i), "age": age, "error_code": "11200"} for i, age in
                      enumerate([3600, 5 * 3600, 20 * 3600, 40 * 3600])]
            sim.add_alerts(SIM_ACCOUNT, before + [{"sid": sid(9), "date_created": FAR,
                                                   "error_code": "12300"}])
            # A trigger over the last day: its window follows Twilio's time too.
            agent = self.agent(sim, agent_keys={"retention": RETENTION}, extra=(
                "[notify n]\ntype = exec\ncommand = /bin/true\n\n"
                "[trigger recent]\nerror_code = 11200\nthreshold = 3\nwindow = 1d\n"
                "notify = n\n"))

            # The local clock is three days ahead of Twilio's (more than the retention).
            for run in range(2):
                p = agent.once()
                self.assertOk(p, f"skewed run {run}")
                lines = warnings(p.stderr)
                self.assertEqual(len(lines), 1, p.stderr)
                # One line naming both times and the difference.
                self.assertIn(iso(twilio_now)[:13], lines[0])
                self.assertIn(iso(int(time.time()))[:13], lines[0])
                self.assertRegex(lines[0], r"\b2592\d\d s\b|\b259[12]\d\d s\b")
                self.assertIn("ahead of", lines[0])
                # Nothing pruned: every alert Twilio has is stored, the future one too.
                self.assertEqual(agent.sids(), {sid(i) for i in range(4)} | {sid(9)})
                # The watermark follows Twilio's time, never the local clock.
                wm = self.watermark(agent)
                self.assertLessEqual(wm, int(time.time()) - SKEW + 120)
                self.assertGreaterEqual(wm, twilio_now - 3600 - 60)
                # Three alerts in the day before Twilio's now: firing, and not resolved
                # by a window that the local clock would put days after them.
                self.assertEqual([tuple(r) for r in agent.query(
                    "SELECT state, count FROM trigger_state WHERE trigger_name = 'recent'")],
                    [("firing", 3)])
            first_seen = epoch(agent.query("SELECT first_seen FROM alerts WHERE sid = ?",
                                           sid(9))[0][0])
            self.assertLess(first_seen, int(time.time()) - SKEW + 120)

            # The clock is corrected: Twilio's time is the machine's again. Alerts came
            # meanwhile; those inside the retention are the gap to fetch.
            sim.set_clock(iso(int(time.time())))
            gap = [{"sid": sid(20 + i), "age": age} for i, age in
                   enumerate([600, 6 * 3600, 30 * 3600, 47 * 3600])]
            sim.add_alerts(SIM_ACCOUNT, gap + [{"sid": sid(30), "age": 60 * 3600}])
            p = agent.once()
            self.assertOk(p, "corrected run")
            self.assertEqual(warnings(p.stderr), [], p.stderr)
            stored = agent.sids()
            self.assertTrue({sid(20 + i) for i in range(4)} <= stored,
                            f"gap not fetched: {sorted(stored)}")
            # Older than the retention by Twilio's time now: pruned, or never fetched.
            self.assertNotIn(sid(30), stored)
            self.assertFalse({sid(i) for i in range(4)} & stored)
            # The alert dated 9999-12-31 was first seen more than the retention ago.
            self.assertNotIn(sid(9), stored)
            self.assertLessEqual(self.watermark(agent), int(time.time()) + 60)

    def test_run_warns_once(self):
        """`run` warns once for a clock that stays wrong, not every cycle."""
        with Sim(now=iso(int(time.time()) - SKEW)) as sim:
            sim.add_alerts(SIM_ACCOUNT, [{"sid": sid(1), "age": 3600}])
            agent = self.agent(sim, agent_keys={"retention": RETENTION, "interval": "10s"})
            proc = agent.start()
            try:
                wait_for(lambda: agent.count() and len(agent.query(
                    "SELECT 1 FROM poll_runs WHERE outcome = 'ok'")) >= 2,
                    timeout=90, step=0.5, what="two poll cycles")
            finally:
                self.assertEqual(stop(proc), 0)
            out = read(agent.folder + "/run.out")
            self.assertEqual(len(warnings(out)), 1, out)
            self.assertEqual(agent.sids(), {sid(1)})
            self.assertIsNotNone(re.search(r"ahead of Twilio's", out), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
