# SPDX-License-Identifier: MIT
"""Database files in bad shape: a file of random bytes or a truncated
database is a permanent error (exit 65, EX_DATAERR, one line saying what to
do), never 75 (cron would retry forever), and the file is left as it was;
`status` by a user who may read the database but not write its directory
(no -wal/-shm can be made) shows the stored rows."""
import os
import shutil
import subprocess
import unittest

from harness import ALERTD, SIM_ACCOUNT, AgentTest, Sim

EX_DATAERR = 65


def api_alerts(n):
    return [{"sid": "NO" + "%032x" % (0xdb000 + i), "age": 60 * (i + 1)} for i in range(n)]


class DbFilesTest(AgentTest):
    def check_damaged(self, agent, content):
        with open(agent.db_path, "wb") as f:
            f.write(content)
        for args in (("once",), ("status",), ("status", "--json")):
            p = agent.cmd(*args)
            self.assertEqual(p.returncode, EX_DATAERR, f"{args}: {p.stderr}")
            lines = [ln for ln in p.stderr.splitlines() if "damaged" in ln]
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn(agent.db_path, lines[0])
            self.assertIn("not an SQLite database", lines[0])
        # Nothing stored is lost: the file is as it was.
        with open(agent.db_path, "rb") as f:
            self.assertEqual(f.read(), content)

    def test_random_bytes(self):
        with Sim() as sim:
            agent = self.agent(sim)
            self.check_damaged(agent, os.urandom(64 * 1024))

    def test_truncated(self):
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, api_alerts(300))
            agent = self.agent(sim)
            self.assertOk(agent.once())
            self.assertEqual(agent.count(), 300)
            with open(agent.db_path, "rb") as f:
                whole = f.read()
            self.assertGreater(len(whole), 16384)
            self.check_damaged(agent, whole[:len(whole) // 3])

    def test_status_directory_not_writable(self):
        """The database is readable, its directory is not writable: no -shm."""
        if os.geteuid() == 0 and not shutil.which("setpriv"):
            self.skipTest("running as root without setpriv to drop privileges")
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, api_alerts(7))
            dbdir = os.path.join(self.folder, "db")
            os.mkdir(dbdir)
            agent = self.agent(sim, agent_keys={"database": os.path.join(dbdir, "alerts.db")})
            agent.db_path = os.path.join(dbdir, "alerts.db")
            p = agent.once()
            self.assertOk(p)
        # The agent's last connection closed: no -wal or -shm left to read.
        self.assertEqual(sorted(os.listdir(dbdir)), ["alerts.db", "alerts.db.lock"])
        # A reader's configuration without secrets; the file readable, the folder not writable.
        conf = os.path.join(self.folder, "reader.conf")
        with open(conf, "w") as f:
            f.write(f"[agent]\ndatabase = {agent.db_path}\nlisten =\n")
        os.chmod(conf, 0o644)
        os.chmod(agent.db_path, 0o644)
        os.chmod(self.folder, 0o755)
        os.chmod(dbdir, 0o555)
        try:
            cmd = [ALERTD, "-c", conf, "status"]
            if os.geteuid() == 0:
                cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        finally:
            os.chmod(dbdir, 0o755)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("nothing synced", p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"rows +7\b")
        # The reader made no file next to the database.
        self.assertEqual(sorted(os.listdir(dbdir)), ["alerts.db", "alerts.db.lock"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
