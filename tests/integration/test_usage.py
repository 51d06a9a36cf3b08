# SPDX-License-Identifier: MIT
"""The command line as a user types it: options before or after the command,
`COMMAND --help` and `help [COMMAND]` (exit 0, that command's usage), one-line
usage errors naming the offending word; and what is printed matching what is
done: --help, the README usage block and twilio-alertd(8) list the same
commands and options, the demo prints the sqlite3 command it runs."""
import os
import re
import json
import shlex
import sqlite3
import subprocess
import unittest

from harness import ALERTD, SIM_ACCOUNT, AgentTest, Sim

SOURCE_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MAN8 = os.path.join(SOURCE_ROOT, "packaging", "man", "twilio-alertd.8.scd")
MAN5 = os.path.join(SOURCE_ROOT, "packaging", "man", "twilio-alertd.conf.5.scd")
README = os.path.join(SOURCE_ROOT, "README.md")
COMMANDS = ["once", "run", "check-config", "status", "triggers", "outbox", "demo", "help"]


def run(*args, env=None, timeout=60):
    return subprocess.run([ALERTD, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def help_commands(text):
    """The command words of the commands: block of --help."""
    block = text.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [m.group(1) for m in re.finditer(r"^  (\S+)", block, re.M)]


def help_options(text):
    """The long options of the options block of --help."""
    block = text.split("options", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"(--[a-z][a-z-]*)", block))


class UsageTest(AgentTest):
    def write_conf(self, text):
        conf = os.path.join(self.folder, "t.conf")
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o600)
        return conf

    def assertUsageError(self, p, word):
        self.assertEqual(p.returncode, 64, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(f"'{word}'", lines[0])
        self.assertRegex(lines[0], r"^twilio-alertd: .*; try 'twilio-alertd( \S+)? --help'$")
        self.assertNotIn(ALERTD if "/" in ALERTD else "\0", p.stderr, "the program name only")

    def test_options_after_the_command(self):
        conf = self.write_conf(f"[agent]\ndatabase = {self.folder}/a.db\nlisten =\n")
        before = run("-c", conf, "check-config")
        self.assertEqual(before.returncode, 0, before.stderr)
        for args in (["check-config", "-c", conf], ["check-config", "--config", conf],
                     ["check-config", f"--config={conf}"], ["-v", "check-config", "-c", conf]):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout, before.stdout)
        # status: the command's own option and the global ones, in any order.
        p1 = run("status", "--json", "-c", conf)
        p2 = run("-c", conf, "status", "--json")
        self.assertEqual((p1.returncode, p1.stdout), (p2.returncode, p2.stdout))
        # triggers: --days before the operands as well as after.
        conf = self.write_conf(f"[agent]\ndatabase = {self.folder}/a.db\nlisten =\n"
                               "[notify n]\ntype = syslog\n[trigger t]\nnotify = n\n")
        p1 = run("triggers", "--days", "2", "backtest", "t", "-c", conf)
        p2 = run("-c", conf, "triggers", "backtest", "t", "--days", "2")
        self.assertEqual(p1.returncode, p2.returncode, p1.stderr + p2.stderr)
        self.assertNotEqual(p1.returncode, 64, p1.stderr)
        # "--" ends the options: what follows is an operand.
        p = run("-c", conf, "triggers", "test", "--", "--days")
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("no [trigger --days]", p.stderr)

    def test_command_help_exits_0_with_that_commands_usage(self):
        for cmd in COMMANDS:
            for args in ([cmd, "--help"], [cmd, "-h"], ["help", cmd], ["--help", cmd]):
                with self.subTest(args=args):
                    p = run(*args)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertEqual(p.stderr, "")
                    first = p.stdout.splitlines()[0]
                    self.assertTrue(first.startswith("usage: twilio-alertd ") and
                                    f" {cmd}" in first, p.stdout)
                    self.assertNotIn("commands:", p.stdout, "that command's usage only")
                    self.assertLess(len(p.stdout.splitlines()), 15, p.stdout)
        # The command's own options are in its usage.
        self.assertIn("--json", run("status", "--help").stdout)
        self.assertIn("--days N", run("triggers", "--help").stdout)
        self.assertIn("--once", run("demo", "--help").stdout)
        # --help on a whole triggers command line still only prints.
        self.assertEqual(run("triggers", "backtest", "x", "--days", "3", "--help").returncode, 0)

    def test_help_command_and_global_help(self):
        full = run("--help")
        self.assertEqual(full.returncode, 0)
        for args in (["help"], ["-h"]):
            p = run(*args)
            self.assertEqual((p.returncode, p.stdout), (0, full.stdout))
        self.assertEqual(help_commands(full.stdout), COMMANDS)
        self.assertIn("-c, --config FILE", full.stdout)
        self.assertEqual(help_options(full.stdout), {"--config", "--verbose", "--help",
                                                     "--version"})
        self.assertUsageError(run("help", "nope"), "nope")

    def test_readme_man_page_and_help_agree(self):
        """The README usage block, the SYNOPSIS and COMMANDS of twilio-alertd(8) and --help
        list the same commands, and the same options."""
        full = run("--help").stdout
        commands = set(help_commands(full))
        readme = read(README).split("## Usage\n", 1)[1].split("\n## ", 1)[0]
        usage_block = "\n".join(ln for ln in readme.splitlines() if ln.startswith("    "))
        readme_cmds = set(re.findall(r"^    twilio-alertd (?:\[-c FILE\] )?(?:\[-v\] )?([a-z][a-z-]*)",
                                     usage_block, re.M))
        self.assertEqual(readme_cmds, commands, "README.md ## Usage")
        man = read(MAN8)
        synopsis = man.split("# SYNOPSIS", 1)[1].split("\n# ", 1)[0]
        man_cmds = set(re.findall(r"^\*twilio-alertd\*(?: \[[^\]]*\])* \*([a-z][a-z-]*)\*", synopsis,
                                  re.M))
        self.assertEqual(man_cmds, commands, "twilio-alertd(8) SYNOPSIS")
        section = man.split("# COMMANDS", 1)[1].split("\n# ", 1)[0]
        self.assertEqual(set(re.findall(r"^\*([a-z-]+)[* ]", section, re.M)), commands,
                         "twilio-alertd(8) COMMANDS")
        options = help_options(full)
        man_opts = man.split("# OPTIONS", 1)[1].split("\n# ", 1)[0]
        self.assertEqual(set(re.findall(r"^\*-\w\*(?: _\w+_)?, \*(--[a-z-]+)\*", man_opts, re.M)), options,
                         "twilio-alertd(8) OPTIONS")
        self.assertEqual(set(re.findall(r"`-\w, (--[a-z-]+)", readme)), options, "README.md")
        # Each command's own options appear in its synopsis everywhere.
        for cmd, opt in (("status", "--json"), ("demo", "--once"), ("triggers", "--days")):
            self.assertIn(opt, run(cmd, "--help").stdout.splitlines()[0])
            self.assertRegex(usage_block, rf"twilio-alertd .*{cmd} .*{opt}")
            self.assertRegex(synopsis, rf"\*{cmd}\*.*\*{opt}\*")

    def test_usage_errors_are_one_line_naming_the_word(self):
        self.assertUsageError(run("frobnicate"), "frobnicate")
        self.assertUsageError(run("status", "--jsn"), "--jsn")
        self.assertUsageError(run("status", "--jsn=1"), "--jsn")
        self.assertUsageError(run("-x", "once"), "-x")
        self.assertUsageError(run("status", "-vx"), "-x")
        self.assertUsageError(run("once", "extra"), "extra")
        self.assertUsageError(run("check-config", "-c"), "-c")
        self.assertUsageError(run("--config"), "--config")
        self.assertUsageError(run("triggers", "list", "--days", "3"), "--days")
        self.assertUsageError(run("triggers", "frob"), "frob")
        self.assertUsageError(run("triggers", "list", "more"), "more")
        self.assertUsageError(run("demo", "--twice"), "--twice")
        p = run()
        self.assertEqual(p.returncode, 64)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("try 'twilio-alertd --help'", p.stderr)
        for args in (["-V"], ["status", "--version"]):
            p = run(*args)
            self.assertEqual(p.returncode, 0)
            self.assertRegex(p.stdout, r"^twilio-alertd \S+\n$")


class CheckConfigTest(AgentTest):
    def test_every_problem_in_one_pass_with_its_line(self):
        """Nine different problems: check-config names each with the line of the key at
        fault (a `where` line, not its section's), whatever else is wrong."""
        ok = os.path.join(self.folder, "ok.pass")
        with open(ok, "w") as f:
            f.write("p" * 16 + "\n")
        os.chmod(ok, 0o600)
        missing = os.path.join(self.folder, "missing.token")
        lines = [
            "[agent]",
            "interval = 60",                          # 2: no unit
            "retention = 90d",                        # 3: over 30d
            "listen =",
            "[account bad]",
            "account_sid = ACnope",                   # 6
            f"auth_token_file = {missing}",           # 7: behind a bad SID
            "[account two]",
            "account_sid = AC" + "a" * 32,
            f"auth_token_file = {missing}2",          # 10
            "[notify mail]",
            "type = email",
            "url = smtp://mail.example.com:587",
            "starttls = no",                          # 14: password in clear
            "from = a@example.com",
            "to = b@example.com",
            "username = me",
            f"password_file = {ok}",
            "[notify log]",
            "type = syslog",
            "[trigger t1]",
            "notify = log",
            "where = no_such_column = 1",             # 23
            "[trigger t2]",
            "notify = log",
            "window = 300",                           # 26: no unit
            "where = error_code = (",                 # 27
            "[trigger t3]",
            "notify = log",
            "where = drop_table(1)",                  # 30
        ]
        conf = os.path.join(self.folder, "many.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(conf, 0o600)
        want = {
            2: "interval 60 has no unit",
            3: "retention 90d is more than the maximum 30d",
            6: "account_sid is not an account SID",
            7: f"auth_token_file {missing}: cannot read",
            10: f"auth_token_file {missing}2: cannot read",
            14: "username with starttls = no could send the password in clear",
            23: "[trigger t1] where is refused: no such column: no_such_column",
            26: "window 300 has no unit",
            27: "[trigger t2] where is refused",
            30: "[trigger t3] where is refused: no such function: drop_table",
        }
        p = subprocess.run([ALERTD, "-c", conf, "check-config"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertEqual(p.stdout, "")
        got = p.stderr.splitlines()
        for line, phrase in want.items():
            self.assertTrue(any(g.startswith(f"twilio-alertd: {conf}:{line}: ") and phrase in g
                                for g in got), f"line {line}: {phrase!r} not in:\n{p.stderr}")
        self.assertEqual(len(got), len(want), p.stderr)
        self.assertEqual([int(g.split(":")[2]) for g in got], sorted(want), "in file order")
        self.assertNotIn("p" * 16, p.stderr)

    def test_smtp_password_needs_tls(self):
        def check(url, starttls):
            conf = os.path.join(self.folder, "mail.conf")
            pw = os.path.join(self.folder, "mail.pass")
            with open(pw, "w") as f:
                f.write("secret\n")
            os.chmod(pw, 0o600)
            with open(conf, "w") as f:
                f.write(f"[agent]\ndatabase = {self.folder}/a.db\nlisten =\n"
                        f"[notify mail]\ntype = email\nurl = {url}\n" +
                        (f"starttls = {starttls}\n" if starttls else "") +
                        f"from = a@example.com\nto = b@example.com\nusername = me\n"
                        f"password_file = {pw}\n")
            os.chmod(conf, 0o600)
            return run("-c", conf, "check-config")
        for starttls in ("no", "optional"):
            p = check("smtp://mail.example.com:587", starttls)
            self.assertEqual(p.returncode, 78, p.stderr)
            self.assertIn(f":7: username with starttls = {starttls} could send the password "
                          "in clear to mail.example.com", p.stderr)
        for url, starttls in (("smtp://mail.example.com:587", "required"),
                              ("smtp://mail.example.com:587", None),
                              ("smtps://mail.example.com:465", None),
                              ("smtp://127.0.0.1:25", "no")):
            p = check(url, starttls)
            self.assertEqual(p.returncode, 0, f"{url} {starttls}: {p.stderr}")


class TriggersTestOutputTest(AgentTest):
    def test_what_triggers_test_prints_is_what_is_sent(self):
        """The exec environment it lists is exactly the one the program gets, the JSON it
        refers to is above, and the email shows its Subject decoded."""
        inbox = os.path.join(self.folder, "inbox")
        os.mkdir(inbox)
        hook = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trig_exec.py")
        with Sim() as sim:
            sim.add_alerts(SIM_ACCOUNT, [{"age": 30, "error_code": "11200",
                                          "log_level": "error"}] * 3)
            agent = self.agent(sim, extra=(
                f"[notify hook]\ntype = exec\ncommand = /usr/bin/python3 {hook} {inbox}\n"
                "[notify mail]\ntype = email\nurl = smtp://127.0.0.1:9\nstarttls = no\n"
                "from = a@example.com\nto = b@example.com\ntimeout = 2s\n"
                "[trigger t]\nthreshold = 2\nnotify = hook, mail\n"))
            agent.once()
            with open(os.path.join(inbox, "received.jsonl")) as f:
                got = [json.loads(line) for line in f]
            self.assertEqual(len(got), 1)
            con = sqlite3.connect(agent.db_path)
            con.execute("DELETE FROM outbox")
            con.execute("DELETE FROM trigger_state")
            con.commit()
            con.close()
            p = agent.cmd("triggers", "test", "t")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        # The exec environment: one NAME=value per line under its heading.
        block = out.split("with this environment and nothing else:\n", 1)[1]
        listed = dict(m.groups() for m in re.finditer(r"^      ([A-Z_]+)=(.*)$", block, re.M))
        received = dict(got[0]["env"])
        self.assertEqual(set(listed) - {"PATH"}, set(received), out)
        self.assertIn("PATH", listed)
        # The README and twilio-alertd.conf(5) list the same variables.
        for doc, text in (("README.md", read(README).split("- **exec**", 1)[1].split("- **", 1)[0]),
                          ("twilio-alertd.conf(5)", read(MAN5).split("*command* =", 1)[1]
                           .split("Required.", 1)[0])):
            names = {"TWILIO_ALERTD" + m for m in re.findall(r"(?:TWILIO_ALERTD)?(_[A-Z_]+)",
                                                              text)}
            self.assertEqual(names, set(received), doc)
            self.assertIn("PATH", text, doc)
        for name in ("TWILIO_ALERTD_TRIGGER", "TWILIO_ALERTD_CHANNEL", "TWILIO_ALERTD_KIND",
                     "TWILIO_ALERTD_COUNT", "TWILIO_ALERTD_THRESHOLD"):
            self.assertEqual(listed[name], received[name], name)
        # "the notification JSON above": the JSON comes before every reference to it.
        self.assertIn("notification JSON above", out)
        self.assertNotIn("below", out)
        self.assertLess(out.index("notification JSON:\n{"), out.index("JSON above"))
        # The email: its Subject as it reads (sent RFC 2047-encoded), the body decoded.
        mail = out.split("---- message (Subject and body decoded) ----\n", 1)[1]
        mail = mail.split("---- end of message ----", 1)[0]
        subject = re.search(r"^Subject: (.*)$", mail, re.M).group(1)
        self.assertNotIn("=?UTF-8?", mail)
        self.assertIn("\u2265", subject)
        self.assertIn("[twilio-alertd] FIRING: t", subject)


class DemoDriftTest(unittest.TestCase):
    def test_demo_prints_what_it_runs(self):
        env = dict(os.environ, TWILIO_ALERTD_SIM=os.environ["SIM_BIN"])
        p = run("demo", "--once", env=env, timeout=240)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The sqlite3 command shown is the one whose output follows: run it again.
        m = re.search(r"^== (sqlite3 .*)\n((?:.+\n)+?)\n== done", p.stdout, re.M)
        self.assertIsNotNone(m, p.stdout)
        argv = shlex.split(m.group(1))
        self.assertEqual(argv[0], "sqlite3")
        again = subprocess.run(["/usr/bin/sqlite3", *argv[1:]], capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stdout, m.group(2))
        self.assertIn("error_code", again.stdout)
        # Counts agree with their noun: the incremental run reads one page.
        both = p.stdout + p.stderr
        self.assertRegex(both, r"account demo: 0 new, 0 updated, 1 page\n")
        self.assertNotRegex(both, r"\b1 (pages|alerts|days)\b")

    @unittest.skipUnless(os.geteuid() == 0, "the root warning needs root")
    def test_one_wording_for_the_root_warning(self):
        env = dict(os.environ, TWILIO_ALERTD_SIM=os.environ["SIM_BIN"])
        demo = run("demo", "--once", env=env, timeout=240)
        daemon = run("-c", "/nonexistent/twilio-alertd.conf", "run")
        self.assertEqual(daemon.returncode, 78, daemon.stderr)
        warnings = [[ln for ln in out.splitlines() if "root" in ln]
                    for out in (demo.stdout + demo.stderr, daemon.stderr)]
        self.assertEqual(len(warnings[0]), 1, demo.stderr)
        self.assertEqual(warnings[0], warnings[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
