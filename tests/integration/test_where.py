# SPDX-License-Identifier: MIT
"""An expensive trigger `where` is bounded: a four-way self join and a
900 MB printf() both stop with an error naming the trigger (one line, and in
`triggers list` and `status`), the other triggers are still evaluated, memory
stays bounded, SIGTERM ends `once` in the middle of the evaluation, and in
`run` a signed webhook push during a slow evaluation is stored (200)."""
import json
import resource
import select
import signal
import subprocess
import time
import unittest

from harness import ALERTD, SIM_ACCOUNT, SIM_TOKEN, AgentTest, Sim, wait_for
from httpd import HttpTest, form, request, twilio_signature

JOIN4 = "(SELECT count(*) FROM alerts AS a, alerts AS b, alerts AS c, alerts AS d) > 0"
BIG = "length(printf('%.*c', 900000000, 'x')) > 0"
PUBLIC_URL = "https://alerts.example.com/twilio/debugger"


def alerts(n):
    return [{"sid": "NO" + "%032x" % (0x3e7e000 + i), "age": 30 * (i + 1),
             "error_code": "11200"} for i in range(n)]


def trigger(name, where=None, code=None):
    text = f"[trigger {name}]\nthreshold = 1\nwindow = 1d\nnotify = log\n"
    if where:
        text += f"where = {where}\n"
    if code:
        text += f"error_code = {code}\n"
    return text + "\n"


LOG = "[notify log]\ntype = exec\ncommand = /bin/true\n\n"


def over_budget(text):
    return [ln for ln in text.splitlines() if "not evaluated:" in ln]


class WhereBudgetTest(AgentTest):
    def test_join_and_big_value_are_stopped(self):
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(300))
            agent = self.agent(sim, extra=LOG + trigger("join4", JOIN4) + trigger("big", BIG)
                               + trigger("plain", code="11200"))
            p = agent.once(timeout=240)
            self.assertOk(p)
            lines = over_budget(p.stderr)
            self.assertEqual(len(lines), 2, p.stderr)
            join = [ln for ln in lines if "trigger join4:" in ln]
            big = [ln for ln in lines if "trigger big:" in ln]
            self.assertEqual(len(join), 1, p.stderr)
            self.assertIn("budget of", join[0])
            self.assertEqual(len(big), 1, p.stderr)
            self.assertIn("more memory than allowed", big[0])
            # The largest child (the agent) stayed far below the 900 MB the value asks for.
            self.assertLess(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                            400 * 1024)
            # The plain trigger was evaluated and fired; the others have no state.
            states = {r[0]: r[1] for r in agent.query(
                "SELECT trigger_name, state FROM trigger_state")}
            self.assertEqual(states, {"plain": "firing"})
            errors = {r[0]: r[1] for r in agent.query(
                "SELECT trigger_name, last_error FROM trigger_defs"
                " WHERE last_error IS NOT NULL")}
            self.assertEqual(set(errors), {"join4", "big"})

            # In `triggers list` and `status`, by name.
            p = agent.cmd("triggers", "list")
            self.assertOk(p)
            self.assertEqual(p.stdout.count("not evaluated (last tried"), 2, p.stdout)
            p = agent.cmd("status")
            self.assertIn("trigger join4: not evaluated", p.stdout)
            self.assertIn("trigger big: not evaluated", p.stdout)
            p = agent.cmd("status", "--json")
            doc = json.loads(p.stdout)
            self.assertEqual(sorted(e["trigger"] for e in doc["trigger_errors"]),
                             ["big", "join4"])

    def test_sigterm_during_a_slow_evaluation(self):
        """`once` ends on SIGTERM while a `where` runs, not after every trigger."""
        n = 8
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(300))
            agent = self.agent(sim, extra=LOG + "".join(
                trigger(f"join{i}", JOIN4) for i in range(n)))
            proc = subprocess.Popen([ALERTD, "-c", agent.conf, "once"], text=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            err = []
            try:
                # The first trigger over budget: the evaluation is under way.
                deadline = time.monotonic() + 240
                while not over_budget("".join(err)) and time.monotonic() < deadline:
                    ready, _, _ = select.select([proc.stderr], [], [], 1.0)
                    if ready:
                        line = proc.stderr.readline()
                        if not line:
                            break
                        err.append(line)
                self.assertTrue(over_budget("".join(err)), "".join(err))
                proc.send_signal(signal.SIGTERM)
                err.append(proc.stderr.read())
                self.assertEqual(proc.wait(timeout=120), 0, "".join(err))
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
            text = "".join(err)
            # Stopped inside the second or a later `where`, not after all eight.
            self.assertLess(len(over_budget(text)), n, text)
            # Nothing half-done was committed.
            self.assertEqual(agent.query("SELECT count(*) FROM trigger_defs")[0][0], 0)


class WhereRunTest(HttpTest):
    def test_push_during_a_slow_evaluation(self):
        """The write lock is not held while a `where` runs: a signed push is stored."""
        n = 8
        sim = Sim()
        sim.start()
        self.addCleanup(sim.stop)
        sim.add_alerts(SIM_ACCOUNT, alerts(300))
        acct = {"name": "main", "api_base": sim.url,
                "keys": {"webhook": "yes", "public_url": PUBLIC_URL}}
        self.start_http(sim, accounts=[acct], agent_keys={"interval": "1h"},
                        extra=LOG + "".join(trigger(f"join{i}", JOIN4) for i in range(n)))
        wait_for(lambda: over_budget(self.run_out()), timeout=240, step=0.05,
                 what="the first trigger over budget")
        sid = "NO" + "7a" * 16
        payload = json.dumps({"resource_sid": "CA" + "1" * 32, "error_code": "11200",
                              "more_info": {"Msg": "HTTP retrieval failure"}})
        params = [("Sid", sid), ("AccountSid", SIM_ACCOUNT),
                  ("Timestamp", "2026-01-02T03:04:05.123Z"), ("Level", "Error"),
                  ("PayloadType", "application/json"), ("Payload", payload)]
        status, _, data = request(self.port, "POST", "/twilio/debugger", body=form(params),
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "X-Twilio-Signature": twilio_signature(
                                               SIM_TOKEN, PUBLIC_URL, params)},
                                  timeout=60)
        out = self.run_out()
        self.assertEqual(status, 200, data.decode() + out)
        # Sent while the evaluation was still going: not every trigger had run.
        self.assertLess(len(over_budget(out)), n, out)
        self.assertEqual(self.agent_.query("SELECT count(*) FROM alerts WHERE sid = ?",
                                           sid)[0][0], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
