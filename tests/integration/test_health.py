# SPDX-License-Identifier: MIT
"""Health as scripts and on-call engineers see it (issue 9, items 3-5):
`status` exits with the /healthz verdict (0 healthy, 1 degraded with the
reason on one stderr line, 66 without a database, 77 when it cannot read
it) and prints JSON in every case with --json; "lag" is split into the age
of the last successful poll and the age of the newest alert, so a quiet
account is healthy; outbox rows of a removed channel are reported by name as
orphaned, do not fail /healthz, and are listed, retried or dropped with
`twilio-alertd outbox`."""
import json
import os
import subprocess
import time
import unittest

from harness import ALERTD, SIM_ACCOUNT, Sim, wait_for
from httpd import HttpTest, get, get_json

HERE = os.path.dirname(os.path.abspath(__file__))
EXEC = os.path.join(HERE, "trig_exec.py")
OLD = "2000-01-01T00:00:00Z"


def alerts(n, age, code="11200"):
    return [{"age": age, "error_code": code, "log_level": "error",
             "request_url": "https://h.example/voice",
             "alert_text": "Msg=HTTP+retrieval+failure&httpResponse=502"} for _ in range(n)]


class StatusExitTest(HttpTest):
    def status(self, agent, *args, **kw):
        return agent.cmd("status", *args, **kw)

    def test_no_database(self):
        with Sim() as sim:
            agent = self.agent(sim)
            p = self.status(agent)
            self.assertEqual(p.returncode, 66, p.stderr)
            self.assertIn("no database at " + agent.db_path, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            p = self.status(agent, "--json")
            self.assertEqual(p.returncode, 66, p.stderr)
            doc = json.loads(p.stdout)
            self.assertFalse(doc["healthy"])
            self.assertIn("no database", doc["problem"])
            self.assertFalse(os.path.exists(agent.db_path), "status never creates the file")

    def test_healthy_then_degraded(self):
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(3, 600))
            agent = self.agent(sim)
            self.assertOk(agent.once())
            p = self.status(agent)
            self.assertOk(p, "healthy right after a poll")
            self.assertIn("health: ok", p.stdout)
            p = self.status(agent, "--json")
            self.assertOk(p)
            doc = json.loads(p.stdout)
            self.assertTrue(doc["healthy"])
            self.assertIsNone(doc["problem"])
            self.assertEqual(doc["accounts"][0]["rows"], 3)
        # The API is gone and the token now refused: the account fails from here on.
        with Sim(accounts=[(SIM_ACCOUNT, "another-token")]) as sim2:
            agent2 = self.agent(sim2)
            self.assertEqual(agent2.once().returncode, 77)
            # The last success is older than 3 intervals (10 s each) once it is moved back.
            con = agent2.db(rw=True)
            con.execute("UPDATE sync_state SET last_success = ?", (OLD,))
            con.commit()
            con.close()
            for args in ((), ("--json",)):
                p = self.status(agent2, *args)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                lines = p.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertRegex(lines[0], r"^twilio-alertd: degraded: account main: no "
                                           r"successful poll for \d+s \(limit 30s\): .*401")
            doc = json.loads(p.stdout)
            self.assertFalse(doc["healthy"])
            self.assertEqual(doc["accounts"][0]["state"], "failing")

    def test_unreadable_database(self):
        with Sim() as sim:
            agent = self.agent(sim)
            self.assertOk(agent.once())
            if os.geteuid() == 0:
                # Root reads everything: run status as nobody, owner of the config only.
                os.chmod(self.folder, 0o755)
                for path in (agent.conf, os.path.join(self.folder, "main.token")):
                    os.chown(path, 65534, 65534)
                os.chmod(agent.db_path, 0o600)
                prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            else:
                os.chmod(agent.db_path, 0)
                prefix = []
            for args in ((), ("--json",)):
                p = subprocess.run(prefix + [ALERTD, "-c", agent.conf, "status", *args],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, 77, p.stdout + p.stderr)
                self.assertIn(agent.db_path, p.stderr)
            doc = json.loads(p.stdout)
            self.assertFalse(doc["healthy"])
            self.assertIn("cannot open the database", doc["problem"])


class LagTest(HttpTest):
    def test_quiet_account_is_not_behind(self):
        """The newest alert is a day old but the poll was just now: both said, by name."""
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(2, 86400 + 600))
            self.start_http(sim)
            agent = self.agent_
            wait_for(lambda: agent.count() == 2, timeout=60, what="first poll")
            p = agent.cmd("status")
            self.assertOk(p)
            self.assertNotIn("lag", p.stdout)
            self.assertRegex(p.stdout, r"last success +\S+Z \(\d+s ago\)")
            self.assertRegex(p.stdout, r"newest alert +\S+Z \((8[6-9]|9\d)\d{3}s ago\)")
            doc = json.loads(agent.cmd("status", "--json").stdout)
            acct = doc["accounts"][0]
            self.assertNotIn("lag_seconds", acct)
            self.assertGreaterEqual(acct["newest_alert_age_seconds"], 86400 + 600)
            # A poll happened after the alert was made: its age is far below the alert's.
            self.assertLess(acct["last_success_age_seconds"], 86400)
            api = get_json(self.port, "/api/status")[1]["accounts"][0]
            self.assertGreaterEqual(api["newest_alert_age_seconds"], 86400 + 600)
            self.assertLess(api["last_success_age_seconds"], 86400)
            metrics = get(self.port, "/metrics")[2].decode()
            self.assertNotIn("sync_lag_seconds", metrics)
            ages = {}
            for line in metrics.splitlines():
                for name in ("last_success_age_seconds", "newest_alert_age_seconds"):
                    if line.startswith('twilio_alertd_%s{account="main"} ' % name):
                        ages[name] = int(line.split()[-1])
            self.assertEqual(set(ages), {"last_success_age_seconds", "newest_alert_age_seconds"})
            self.assertGreaterEqual(ages["newest_alert_age_seconds"], 86400 + 600)
            self.assertLess(ages["last_success_age_seconds"], 86400)
            self.assertEqual(get(self.port, "/healthz")[0], 200)


class OrphanedOutboxTest(HttpTest):
    def write_config(self, agent, channel):
        """The agent's config with the trigger and its exec channel, or without both."""
        with open(agent.conf) as f:
            text = f.read().split("[trigger")[0].split("[notify")[0]
        if channel:
            text += (f"[notify hook]\ntype = exec\ncommand = /usr/bin/python3 {EXEC} "
                     f"{self.inbox}\n[trigger t]\nerror_code = 11200\nthreshold = 2\n"
                     f"window = 1h\nnotify = hook\n")
        with open(agent.conf, "w") as f:
            f.write(text)

    def test_removed_channel(self):
        self.inbox = os.path.join(self.folder, "inbox")
        os.mkdir(self.inbox)
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(3, 60))
            agent = self.agent(sim)
            self.write_config(agent, True)
            open(os.path.join(self.inbox, "fail"), "w").close()
            self.assertEqual(agent.once().returncode, 75, "the receiver refuses")
            rows = agent.query("SELECT id, channel, attempts FROM outbox")
            self.assertEqual([(r[1], r[2]) for r in rows], [("hook", 1)])
            row_id = rows[0][0]
            # Queued long ago: for a configured channel that is "not draining" (control).
            con = agent.db(rw=True)
            con.execute("UPDATE outbox SET created = ?", (OLD,))
            con.commit()
            con.close()
            p = agent.cmd("status")
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("outbox not draining: channel hook", p.stderr)
            # The channel (and its trigger) leave the configuration.
            self.write_config(agent, False)
            p = agent.cmd("status")
            self.assertOk(p, "orphaned rows do not make the agent unhealthy")
            self.assertIn("1 orphaned", p.stdout)
            self.assertIn("channel hook: 1 orphaned", p.stdout)
            self.assertIn("oldest queued " + OLD, p.stdout)
            doc = json.loads(agent.cmd("status", "--json").stdout)
            self.assertTrue(doc["healthy"])
            self.assertEqual(doc["outbox"]["waiting"], 0)
            self.assertEqual(doc["outbox"]["orphaned"], 1)
            ch = doc["outbox"]["channels"]
            self.assertEqual([(c["channel"], c["state"], c["oldest"]) for c in ch],
                             [("hook", "orphaned", OLD)])

            # The HTTP surfaces agree.
            self.start_http(sim)
            wait_for(lambda: get(self.port, "/healthz")[0] == 200, timeout=60, what="healthy")
            status, page = get(self.port, "/")[0], get(self.port, "/")[2].decode()
            self.assertEqual(status, 200)
            self.assertNotIn("PROBLEM", page)
            self.assertIn("orphaned", page)
            self.assertIn("<b>hook</b>", page)
            self.assertIn('id="outbox-waiting">0 notification(s) waiting', page)
            api = get_json(self.port, "/api/status")[1]
            self.assertEqual(api["outbox"], doc["outbox"])
            metrics = get(self.port, "/metrics")[2].decode()
            self.assertIn("\ntwilio_alertd_outbox_orphaned 1\n", metrics)
            self.assertIn("\ntwilio_alertd_outbox_backlog 0\n", metrics)

            # The outbox command: list shows it with the stored times.
            p = agent.cmd("outbox", "list")
            self.assertOk(p)
            line = [x for x in p.stdout.splitlines() if x.startswith(str(row_id) + " ")]
            self.assertEqual(len(line), 1, p.stdout)
            self.assertRegex(line[0], r"^%d +hook +orphaned +t +fired +%s " % (row_id, OLD))
            self.assertIn("last error: ", line[0])
            self.assertIn("no undelivered", agent.cmd("outbox", "list", "--channel",
                                                      "other").stdout)
            # retry cannot deliver to a channel that is gone: it says so, changes nothing.
            p = agent.cmd("outbox", "retry", str(row_id))
            self.assertEqual(p.returncode, 65, p.stdout + p.stderr)
            self.assertIn("channel hook not retried: there is no [notify hook]", p.stderr)
            # Bad words and unknown IDs change nothing either.
            self.assertEqual(agent.cmd("outbox", "drop").returncode, 64)
            self.assertEqual(agent.cmd("outbox", "drop", "x1").returncode, 64)
            self.assertEqual(agent.cmd("outbox", "frob").returncode, 64)
            p = agent.cmd("outbox", "drop", str(row_id), str(row_id + 1000))
            self.assertEqual(p.returncode, 65, p.stderr)
            self.assertIn("no undelivered notification %d" % (row_id + 1000), p.stderr)
            self.assertEqual(agent.query("SELECT count(*) FROM outbox")[0][0], 1)
            p = agent.cmd("outbox", "drop", "--channel", "hook")
            self.assertOk(p)
            self.assertIn("dropped 1 notification(s)", p.stdout)
            self.assertEqual(agent.query("SELECT count(*) FROM outbox")[0][0], 0)
            self.assertIn("no undelivered", agent.cmd("outbox", "list").stdout)

    def test_retry_makes_due_now(self):
        self.inbox = os.path.join(self.folder, "inbox")
        os.mkdir(self.inbox)
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, alerts(3, 60))
            agent = self.agent(sim)
            self.write_config(agent, True)
            open(os.path.join(self.inbox, "fail"), "w").close()
            self.assertEqual(agent.once().returncode, 75)
            os.remove(os.path.join(self.inbox, "fail"))
            # The backoff put the next attempt later; far later here, whatever the machine's speed.
            con = agent.db(rw=True)
            con.execute("UPDATE outbox SET next_attempt = '2999-01-01T00:00:00Z'")
            con.commit()
            con.close()
            # Without retry, the next run does not try it.
            self.assertOk(agent.once())
            self.assertEqual(agent.query("SELECT delivered FROM outbox")[0][0], None)
            p = agent.cmd("outbox", "retry", "--channel", "hook")
            self.assertOk(p)
            self.assertIn("1 notification(s) due now", p.stdout)
            after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.assertLessEqual(agent.query("SELECT next_attempt FROM outbox")[0][0], after)
            self.assertEqual(agent.query("SELECT attempts FROM outbox")[0][0], 1,
                             "the failed attempt stays counted")
            self.assertOk(agent.once())
            self.assertIsNotNone(agent.query("SELECT delivered FROM outbox")[0][0])
            with open(os.path.join(self.inbox, "received.jsonl")) as f:
                self.assertEqual(len(f.read().splitlines()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
