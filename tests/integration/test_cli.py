# SPDX-License-Identifier: MIT
"""The binary as a cron user meets it: wrong credentials (exit 77, one line,
the token nowhere), several accounts with one failing, configuration errors
with their lines, retention, the run lock, a database locked by another
process, and the status command."""
import fcntl
import resource
import signal
import subprocess
import json
import os
import sqlite3
import threading
import time
import unittest

from harness import ALERTD, SIM_ACCOUNT, SIM_TOKEN, Agent, AgentTest, Sim

OTHER = "AC" + "b" * 32
OTHER_TOKEN = "other-token-0123456789"
WRONG = "wrong-token-must-not-leak-42"


def all_bytes(folder):
    data = b""
    for name in os.listdir(folder):
        p = os.path.join(folder, name)
        if os.path.isfile(p) and not name.endswith(".token") and not name.endswith(".conf"):
            with open(p, "rb") as f:
                data += f.read()
    return data


class CliTest(AgentTest):
    def test_wrong_credentials(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 50, days=1)
            agent = self.agent(sim, [{"name": "prod", "api_base": sim.url, "token": WRONG}])
            p = agent.once()
            self.assertEqual(p.returncode, 77, p.stderr)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("prod", lines[0])
            self.assertIn("credentials", lines[0])
            self.assertIn("20003", lines[0])
            self.assertNotIn(WRONG, p.stdout + p.stderr)
            self.assertEqual(len(sim.requests()), 1, "no retry on 401")
            self.assertNotIn(WRONG.encode(), all_bytes(self.folder))
            st = agent.cmd("status", "--json")
            self.assertNotIn(WRONG, st.stdout + st.stderr)
            acct = json.loads(st.stdout)["accounts"][0]
            self.assertIn("credentials", acct["last_error"])
            self.assertEqual(agent.count(), 0)

    def test_api_key_credentials(self):
        key = "SK" + "c" * 32
        with Sim(api_keys=[(key, "key-secret", SIM_ACCOUNT)]) as sim:
            sim.generate(SIM_ACCOUNT, 30, days=1)
            secret = os.path.join(self.folder, "key.secret")
            with open(secret, "w") as f:
                f.write("key-secret\n")
            os.chmod(secret, 0o600)
            agent = self.agent(sim, [{"name": "k", "api_base": sim.url, "keys": {}}])
            # Rewrite the account to use the API key instead of the token.
            with open(agent.conf) as f:
                text = f.read()
            text = text.replace(
                f"auth_token_file = {self.folder}/k.token",
                f"api_key_sid = {key}\napi_key_secret_file = {secret}")
            with open(agent.conf, "w") as f:
                f.write(text)
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 30)

    def test_several_accounts_one_failing(self):
        with Sim(accounts=[(SIM_ACCOUNT, SIM_TOKEN), (OTHER, OTHER_TOKEN)]) as sim:
            sim.generate(SIM_ACCOUNT, 120, days=2, seed=1)
            sim.generate(OTHER, 80, days=2, seed=2)
            agent = self.agent(sim, [
                {"name": "a", "api_base": sim.url},
                {"name": "bad", "api_base": sim.url, "sid": OTHER, "token": WRONG},
                {"name": "b", "api_base": sim.url, "sid": OTHER, "token": OTHER_TOKEN},
            ])
            p = agent.once()
            self.assertEqual(p.returncode, 77)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertEqual(agent.sids(SIM_ACCOUNT), set(sim.sids(SIM_ACCOUNT)))
            self.assertEqual(agent.sids(OTHER), set(sim.sids(OTHER)))
            st = {a["account"]: a for a in json.loads(agent.cmd("status", "--json").stdout)["accounts"]}
            self.assertIsNone(st["a"]["last_error"])
            self.assertIsNotNone(st["bad"]["last_error"])
            self.assertEqual(st["b"]["rows"], 80)

    def test_unreachable_api(self):
        agent = Agent(self.folder, [{"name": "down", "api_base": "http://127.0.0.1:9"}],
                      agent_keys={"max_retries": "1"})
        p = agent.once()
        self.assertEqual(p.returncode, 69)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("down", p.stderr)

    def test_config_errors(self):
        conf = os.path.join(self.folder, "bad.conf")
        with open(conf, "w") as f:
            f.write("[agent]\ninterval = often\nbogus = 1\n\n[account x]\n"
                    "account_sid = ACnope\nauth_token = t\n[weird]\n")
        os.chmod(conf, 0o600)
        for cmd in ("check-config", "once"):
            p = ALERTD and __import__("subprocess").run(
                [ALERTD, "-c", conf, cmd], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 78, p.stderr)
            self.assertIn(f"{conf}:2:", p.stderr)
            self.assertIn(f"{conf}:3:", p.stderr)
            self.assertIn(f"{conf}:6:", p.stderr)
            self.assertIn(f"{conf}:8:", p.stderr)
            self.assertIn("bogus", p.stderr)
        p = __import__("subprocess").run([ALERTD, "-c", os.path.join(self.folder, "none.conf"),
                                          "check-config"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 78)
        p = __import__("subprocess").run([ALERTD, "frobnicate"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 64)

    def test_retention(self):
        for days, keep in (("7d", 7), ("30d", 30)):
            with self.subTest(retention=days), Sim() as sim:
                sim.generate(SIM_ACCOUNT, 600, days=29, seed=4)
                folder = os.path.join(self.folder, days)
                os.mkdir(folder)
                agent = Agent(folder, [{"name": "r", "api_base": sim.url}],
                              agent_keys={"retention": days})
                self.assertOk(agent.once())
                cutoff = agent.query("SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now',?)",
                                     f"-{keep} days")[0][0]
                old = agent.query("SELECT count(*) FROM alerts WHERE date_created < ?", cutoff)[0][0]
                self.assertEqual(old, 0)
                if keep == 30:
                    self.assertEqual(agent.count(), len(sim.sids(SIM_ACCOUNT)))
                else:
                    self.assertGreater(agent.count(), 0)
                    self.assertLess(agent.count(), 600)
        # Shrinking the retention prunes what is already stored.
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 400, days=20, seed=5)
            folder = os.path.join(self.folder, "shrink")
            os.mkdir(folder)
            agent = Agent(folder, [{"name": "r", "api_base": sim.url}])
            self.assertOk(agent.once())
            before = agent.count()
            agent = Agent(folder, [{"name": "r", "api_base": sim.url}],
                          agent_keys={"retention": "3d"})
            self.assertOk(agent.once())
            self.assertLess(agent.count(), before)
            cutoff = agent.query("SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now','-3 days')")[0][0]
            self.assertEqual(agent.query("SELECT count(*) FROM alerts WHERE date_created < ?",
                                         cutoff)[0][0], 0)

    def test_run_lock(self):
        with Sim() as sim:
            agent = self.agent(sim)
            with open(agent.db_path + ".lock", "w") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                p = agent.once()
            self.assertEqual(p.returncode, 75)
            self.assertIn("another twilio-alertd", p.stderr)
            self.assertOk(agent.once())

    def test_database_write_locked_by_another_process(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 2000, days=2, seed=8)
            agent = self.agent(sim)
            self.assertOk(agent.once())
            sim.add_alerts(SIM_ACCOUNT, [{"age": i} for i in range(50)])
            con = sqlite3.connect(agent.db_path, timeout=5, isolation_level=None,
                                  check_same_thread=False)
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE alerts SET msg = msg WHERE rowid = 1")
            release = threading.Timer(3.0, lambda: con.execute("COMMIT"))
            release.start()
            t0 = time.monotonic()
            p = agent.once()
            release.join()
            con.close()
            self.assertOk(p)
            self.assertGreater(time.monotonic() - t0, 2.5, "the agent waited for the lock")
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))

    def test_disk_full(self):
        """A file-size limit makes SQLite's writes fail as on a full disk."""
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 500, days=2, seed=18)
            agent = self.agent(sim)
            self.assertOk(agent.once())
            before = agent.sids()
            sim.add_alerts(SIM_ACCOUNT, [{"age": i % 200, "alert_text": "Msg=" + "x" * 2000}
                                         for i in range(3000)])
            limit = os.path.getsize(agent.db_path) + 64 * 1024

            def small_disk():
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

            p = subprocess.run([ALERTD, "-c", agent.conf, "once"], capture_output=True,
                               text=True, timeout=120, preexec_fn=small_disk)
            self.assertEqual(p.returncode, 75, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertRegex(p.stderr, "full|disk|I/O")
            self.assertTrue(before <= agent.sids(), "nothing stored is lost")
            self.assertEqual(agent.query("PRAGMA integrity_check")[0][0], "ok")
            # With room again, the next run completes.
            self.assertOk(agent.once())
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))

    def test_database_in_missing_folder(self):
        with Sim() as sim:
            agent = self.agent(sim, agent_keys={"database": "/nonexistent-dir/x/alerts.db"})
            p = agent.once()
            self.assertIn(p.returncode, (75, 77, 78))
            self.assertIn("/nonexistent-dir/x/alerts.db", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_status_without_database(self):
        with Sim() as sim:
            agent = self.agent(sim)
            p = agent.cmd("status")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("no database", p.stderr)

    def test_status_leaves_an_old_schema_alone(self):
        with Sim() as sim:
            agent = self.agent(sim)
            self.assertOk(agent.once())
            # The file as an older agent left it: schema version 1.
            con = agent.db(rw=True)
            for t in ("trigger_defs", "trigger_hits", "trigger_counts", "trigger_cursor",
                      "trigger_recheck", "trigger_state", "outbox"):
                con.execute(f"DROP TABLE {t}")
            con.execute("PRAGMA user_version = 1")
            con.commit()
            con.close()
            p = agent.cmd("status")
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn("run the agent once to migrate", p.stderr)
            self.assertEqual(agent.query("PRAGMA user_version")[0][0], 1,
                             "status is read-only: it does not migrate")

    def test_next_page_url_that_repeats_ends_the_query(self):
        import http.server

        class Loop(http.server.BaseHTTPRequestHandler):
            hits = 0

            def do_GET(self):
                Loop.hits += 1
                port = self.server.server_address[1]
                body = json.dumps({"alerts": [{"sid": "NO" + "c" * 32,
                                               "date_created": time.strftime(
                                                   "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}],
                                   "meta": {"key": "alerts", "next_page_url":
                                            f"http://127.0.0.1:{port}/v1/Alerts?Page=1"}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Loop)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            agent = Agent(self.folder, [{"name": "loop", "api_base":
                                         f"http://127.0.0.1:{srv.server_address[1]}"}])
            p = agent.once(timeout=60)
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("next_page_url", p.stderr)
        self.assertLess(Loop.hits, 10)
        self.assertEqual(agent.query("SELECT watermark FROM sync_state")[0][0], None)

    def test_malformed_items_are_skipped_with_two_lines(self):
        import http.server
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        good = {"sid": "NO" + "d" * 32, "date_created": now, "error_code": "11200"}
        bad = [{"date_created": now}] * 40 + [{"sid": "NO" + "e" * 32, "date_created": "soon"}]
        for pretty in (False, True):
            class Page(http.server.BaseHTTPRequestHandler):
                served = 0

                def do_GET(self):
                    # The first query gets the junk; the backfill's later slices are empty.
                    Page.served += 1
                    # Junk nested deeper than the scanner's cap hands the page to jansson.
                    nested = []
                    for _ in range(80):
                        nested = [nested]
                    extra = {"x": nested}
                    items = bad + [good] if Page.served == 1 else []
                    page = {"alerts": items, "meta": {"key": "alerts", "next_page_url": None}}
                    if pretty:
                        page.update(extra)
                    body = json.dumps(page).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args):
                    pass

            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            try:
                folder = os.path.join(self.folder, str(pretty))
                os.mkdir(folder)
                agent = Agent(folder, [{"name": "junk", "api_base":
                                        f"http://127.0.0.1:{srv.server_address[1]}"}])
                p = agent.once(timeout=60)
            finally:
                srv.shutdown()
                srv.server_close()
            with self.subTest(jansson_fallback=pretty):
                self.assertEqual(p.returncode, 0, p.stderr)
                lines = p.stderr.strip().splitlines()
                self.assertEqual(len(lines), 2, p.stderr)
                self.assertIn("skipped an alert", lines[0])
                self.assertIn("skipped 40 more malformed alerts", lines[1])
                self.assertEqual(agent.sids(), {good["sid"]})


if __name__ == "__main__":
    unittest.main(verbosity=2)
