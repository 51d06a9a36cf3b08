# SPDX-License-Identifier: MIT
"""Packaging: the systemd units (systemd-analyze verify, hardening score),
sd_notify from `run` to a datagram socket the test owns, the default
configuration and man pages against the keys and commands of the agent, the
`meson install` layout, and the Debian package built from a copy of the
source, installed on this machine, used, removed and purged.

PACKAGING_PART=deb runs only the Debian package test (root, dpkg tools and a
build without sanitizers needed); anything else runs the rest. When every
test skipped, the exit status is 77 (meson's SKIP)."""
import glob
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import unittest

from harness import ALERTD, SIM_ACCOUNT, AgentTest, Sim, read, stop, wait_for

SOURCE_ROOT = os.environ.get("SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_ROOT = os.environ.get("BUILD_ROOT", "build")
PACKAGING = os.path.join(SOURCE_ROOT, "packaging")
DEFAULT_CONF = os.path.join(PACKAGING, "twilio-alertd.conf")
PART = os.environ.get("PACKAGING_PART", "")
UNITS = ["twilio-alertd.service", "twilio-alertd-once.service", "twilio-alertd-once.timer"]
MAN_PAGES = {"twilio-alertd.8": "man8", "twilio-alertd.conf.5": "man5"}
# config-keys.c's key tables and the sections they describe.
TABLES = {"agent_keys": "agent", "account_keys": "account", "trigger_keys": "trigger",
          "notify_keys": "notify"}


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def config_keys():
    """{section: [key, ...]} from the tables in agent/base/config-keys.c."""
    src = read(os.path.join(SOURCE_ROOT, "agent", "base", "config-keys.c"))
    keys = {}
    for table, body in re.findall(r"static const struct key (\w+)\[\] = \{(.*?)\n\};", src, re.S):
        keys[TABLES.get(table, table)] = re.findall(r'\{"(\w+)",\s*K_', body)
    return keys


def sections(text, header):
    """Split @text into {section kind: text} at lines matching @header (a regex
    whose group 1 is the kind: agent, account, trigger, notify)."""
    out, kind = {}, None
    for line in text.splitlines():
        m = re.match(header, line)
        if m:
            kind = m.group(1)
        if kind:
            out[kind] = out.get(kind, "") + line + "\n"
    return out


@unittest.skipIf(PART == "deb", "PACKAGING_PART=deb")
class DefaultConfigTest(AgentTest):
    """The shipped configuration: valid with no account, every key explained."""

    def test_default_config_checks_but_does_not_poll(self):
        p = run([ALERTD, "-c", DEFAULT_CONF, "check-config"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("valid: 0 account(s)", p.stdout)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("no accounts configured yet: nothing will be polled", p.stderr)
        db = "/var/lib/twilio-alertd/alerts.db"
        existed = os.path.exists(db)
        for cmd in ("once", "run"):
            p = run([ALERTD, "-c", DEFAULT_CONF, cmd], timeout=30)
            self.assertEqual(p.returncode, 78, p.stderr)
            lines = [ln for ln in p.stderr.splitlines() if "running as root" not in ln]
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("no [account NAME] section: nothing to poll", lines[0])
        self.assertEqual(os.path.exists(db), existed, "refusing to poll must not touch the database")

    def test_commented_examples_are_valid(self):
        """Uncommenting the examples (one credential, url rather than sendmail)
        gives a valid configuration: the comments never lie about syntax."""
        # Alternatives, and keys of a section the example does not have (a subaccount).
        alternatives = {"api_key_sid", "api_key_secret_file", "sendmail", "parent_account"}
        out = []
        for line in read(DEFAULT_CONF).splitlines():
            m = re.match(r"^#(\[[a-z]+ [\w.-]+\])\s*$", line)
            kv = re.match(r"^#(\w+) = (\S.*)$", line)
            if m:
                out.append(m.group(1))
            elif kv and kv.group(1) not in alternatives:
                out.append(f"{kv.group(1)} = {kv.group(2)}")
            else:
                out.append(line)
        text = "\n".join(out).replace("/etc/twilio-alertd/", self.folder + "/")
        text = re.sub(r"\b(AC|SK)x{32}\b", lambda m: m.group(1) + "0" * 32, text)
        text = text.replace("/var/lib/twilio-alertd/", self.folder + "/")
        for secret in re.findall(re.escape(self.folder) + r"/[\w.]+\.(?:token|password|secret)", text):
            with open(secret, "w") as f:
                f.write("s" * 32 + "\n")
            os.chmod(secret, 0o600)
        conf = os.path.join(self.folder, "examples.conf")
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o640)
        p = run([ALERTD, "-c", conf, "check-config"])
        self.assertEqual(p.returncode, 0, p.stderr + "\n" + text)
        self.assertRegex(p.stdout, r"valid: 1 account\(s\), [1-9]\d* trigger\(s\), [1-9]\d* channel")

    def test_every_key_is_explained(self):
        keys = config_keys()
        self.assertEqual(set(TABLES.values()) - set(keys), set(), "key tables not found in config-keys.c")
        self.assertEqual([k for k, names in keys.items() if not names], [],
                         "key tables whose keys the pattern did not find")
        conf = sections(read(DEFAULT_CONF), r"^#?\[(agent|account|trigger|notify)\b")
        man = sections(read(os.path.join(PACKAGING, "man", "twilio-alertd.conf.5.scd")),
                       r"^# \[(agent|account|trigger|notify)\b")
        missing = []
        for kind, names in keys.items():
            for k in names:
                if not re.search(rf"^#{k} =", conf.get(kind, ""), re.M):
                    missing.append(f"packaging/twilio-alertd.conf [{kind}]: #{k} = ...")
                if not re.search(rf"\*{k}\* =", man.get(kind, "")):
                    missing.append(f"packaging/man/twilio-alertd.conf.5.scd [{kind}]: *{k}* = ...")
        self.assertEqual(missing, [], "configuration keys of agent/base/config-keys.c not documented")

    def test_every_command_is_in_the_man_page(self):
        usage = run([ALERTD, "--help"]).stdout
        block = usage.split("commands:", 1)[1].split("\n\n", 1)[0]
        commands = {m.group(1) for m in re.finditer(r"^  (\S+)", block, re.M)}
        self.assertIn("once", commands)
        scd = read(os.path.join(PACKAGING, "man", "twilio-alertd.8.scd"))
        self.assertEqual({c for c in commands if f"*{c}*" not in scd}, set(),
                         "commands of --help missing from packaging/man/twilio-alertd.8.scd")


@unittest.skipIf(PART == "deb", "PACKAGING_PART=deb")
class ManTest(unittest.TestCase):
    def test_man_pages_render(self):
        built = [os.path.join(BUILD_ROOT, "packaging", p) for p in MAN_PAGES]
        if os.environ.get("ALERTD_MAN") != "1" or not all(map(os.path.exists, built)):
            self.skipTest("man pages not built (-Dman=disabled or no scdoc)")
        if not shutil.which("man"):
            self.skipTest("no man(1)")
        for page in built:
            p = run(["man", "--warnings", "-l", page], env={**os.environ, "MANWIDTH": "80"})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr.strip(), "", f"{page}: warnings from groff")
            for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
                self.assertIn(f"\n{heading}\n", p.stdout, page)
        text = run(["man", "-l", built[1]], env={**os.environ, "MANWIDTH": "80"}).stdout
        self.assertIn("auth_token_file = path", text)


@unittest.skipIf(PART == "deb", "PACKAGING_PART=deb")
class UnitsTest(AgentTest):
    def units_for_verify(self):
        """The generated units with ExecStart pointing at the built binary, and
        a MANPATH holding the built man pages (so Documentation= is checked)."""
        units = os.path.join(self.folder, "units")
        os.mkdir(units)
        bindir = os.path.dirname(os.path.abspath(ALERTD))
        for u in UNITS:
            text = read(os.path.join(BUILD_ROOT, "packaging", u))
            text = re.sub(r"ExecStart=\S*/twilio-alertd ", f"ExecStart={bindir}/twilio-alertd ", text)
            with open(os.path.join(units, u), "w") as f:
                f.write(text)
        man = os.path.join(self.folder, "man")
        for page, sect in MAN_PAGES.items():
            src = os.path.join(BUILD_ROOT, "packaging", page)
            if os.path.exists(src):
                os.makedirs(os.path.join(man, sect), exist_ok=True)
                shutil.copy(src, os.path.join(man, sect, page))
        return [os.path.join(units, u) for u in UNITS], man

    def test_systemd_analyze_verify(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("no systemd-analyze")
        paths, man = self.units_for_verify()
        man_ok = os.environ.get("ALERTD_MAN") == "1"
        cmd = ["systemd-analyze", "verify"] + ([] if man_ok else ["--man=no"]) + paths
        p = run(cmd, env={**os.environ, "MANPATH": man})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual((p.stdout + p.stderr).strip(), "")

    def test_unit_contents_and_security_score(self):
        svc = read(os.path.join(BUILD_ROOT, "packaging", "twilio-alertd.service"))
        for line in ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=",
                     "Restart=on-failure", "StateDirectory=twilio-alertd", "User=twilio-alertd",
                     "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "PrivateDevices=yes", "NoNewPrivileges=yes",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces=yes",
                     "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n",
                     "UMask=0077", "MemoryDenyWriteExecute=yes", "ProtectProc=invisible",
                     "LimitCORE=0\n"]:
            self.assertIn(line, svc)
        self.assertNotIn("@bindir@", svc)
        once = read(os.path.join(BUILD_ROOT, "packaging", "twilio-alertd-once.service"))
        self.assertIn("Type=oneshot", once)
        self.assertIn("LimitCORE=0\n", once)
        self.assertRegex(once, r"ExecStart=/\S+/twilio-alertd once\n")
        cron = read(os.path.join(BUILD_ROOT, "packaging", "twilio-alertd"))
        jobs = [ln for ln in cron.splitlines() if re.match(r"^#?\*/\d+ ", ln)]
        self.assertEqual(len(jobs), 1, cron)
        self.assertTrue(jobs[0].startswith("#"), "the cron job must ship disabled")
        self.assertRegex(jobs[0], r"\ttwilio-alertd\t/\S+/twilio-alertd once$")
        self.assertNotIn("flock", jobs[0])
        if not shutil.which("systemd-analyze"):
            self.skipTest("no systemd-analyze")
        for u in UNITS[:2]:
            p = run(["systemd-analyze", "security", "--offline=yes",
                     os.path.join(BUILD_ROOT, "packaging", u)])
            m = re.search(r"Overall exposure level for \S+: ([\d.]+)", p.stdout)
            if p.returncode != 0 and not m:
                self.skipTest("systemd-analyze security --offline unsupported: " + p.stderr)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0, f"{u} exposure\n{p.stdout}")

    def test_meson_install_layout(self):
        dest = os.path.join(self.folder, "dest")
        p = run(["meson", "install", "-C", BUILD_ROOT, "--no-rebuild", "--quiet",
                 "--destdir", dest], timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        files = {os.path.relpath(f, dest) for f in glob.glob(dest + "/**", recursive=True)
                 if os.path.isfile(f)}
        conf = "etc/twilio-alertd/twilio-alertd.conf"
        self.assertIn(conf, files)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(dest, conf)).st_mode), 0o640)
        self.assertIn("etc/cron.d/twilio-alertd", files)
        for want in ["bin/twilio-alertd", "lib/systemd/system/twilio-alertd.service",
                     "lib/systemd/system/twilio-alertd-once.service",
                     "lib/systemd/system/twilio-alertd-once.timer",
                     "lib/sysusers.d/twilio-alertd.conf"]:
            self.assertTrue(any(f.endswith(want) for f in files), f"{want} not installed: {files}")
        if os.environ.get("ALERTD_MAN") == "1":
            for page, sect in MAN_PAGES.items():
                self.assertTrue(any(f.endswith(f"man/{sect}/{page}") for f in files), page)
        self.assertEqual(read(os.path.join(dest, conf)), read(DEFAULT_CONF))


def recv_all(sock, until, timeout):
    """Datagrams from @sock until one equals @until or @timeout passes."""
    msgs, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msgs.append(sock.recv(4096).decode())
        except socket.timeout:
            break
        if msgs[-1] == until:
            break
    return msgs


@unittest.skipIf(PART == "deb", "PACKAGING_PART=deb")
class NotifyTest(AgentTest):
    def notify_socket(self):
        path = os.path.join(self.folder, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        self.addCleanup(sock.close)
        return sock, path

    def test_ready_status_watchdog_stopping_in_order(self):
        sock, path = self.notify_socket()
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 50, days=1, seed=3)
            agent = self.agent(sim, accounts=[
                {"name": "good", "api_base": sim.url},
                {"name": "down", "api_base": "http://127.0.0.1:9"}],
                agent_keys={"interval": "10s", "max_retries": "0"})
            proc = agent.start(env={**os.environ, "NOTIFY_SOCKET": path,
                                    "WATCHDOG_USEC": "2000000"})
            try:
                msgs = recv_all(sock, None, 0)
                wait_for(lambda: msgs.extend(recv_all(sock, None, 0.2)) or
                         any(m.startswith("STATUS=last poll") for m in msgs),
                         timeout=60, what="STATUS= after the first poll")
                # Keep-alives every second or so while it waits for the next poll.
                msgs += recv_all(sock, None, 3)
                proc.send_signal(signal.SIGHUP)
                wait_for(lambda: msgs.extend(recv_all(sock, None, 0.2)) or
                         msgs.count("READY=1") >= 2, timeout=30, what="READY=1 after reload")
                self.assertEqual(stop(proc, signal.SIGTERM), 0)
                msgs += recv_all(sock, "STOPPING=1", 10)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        events = [m for m in msgs if m != "WATCHDOG=1"]
        self.assertEqual(events[0], "READY=1", msgs)
        self.assertEqual(events[-1], "STOPPING=1", msgs)
        status = [m for m in events if m.startswith("STATUS=last poll")]
        self.assertTrue(status, msgs)
        self.assertRegex(status[0], r"^STATUS=last poll \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: "
                                    r"1 of 2 account\(s\) failing; .*down")
        self.assertLess(events.index("READY=1"), events.index(status[0]))
        self.assertLess(events.index("RELOADING=1"), len(events) - 1 - events[::-1].index("READY=1"))
        self.assertGreaterEqual(msgs.count("WATCHDOG=1"), 2, msgs)
        out = read(os.path.join(self.folder, "run.out"))
        if os.geteuid() == 0:
            self.assertEqual(out.count("running as root"), 1, out)
        self.assertNotIn("sim-token", "".join(msgs))

    def test_all_ok_status_and_quiet_once_as_root(self):
        sock, path = self.notify_socket()
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 20, days=1, seed=4)
            agent = self.agent(sim)
            proc = agent.start(env={**os.environ, "NOTIFY_SOCKET": path})
            try:
                msgs = []
                wait_for(lambda: msgs.extend(recv_all(sock, None, 0.2)) or
                         any(m.startswith("STATUS=last poll") for m in msgs),
                         timeout=60, what="STATUS=")
                self.assertEqual(stop(proc, signal.SIGTERM), 0)
                msgs += recv_all(sock, "STOPPING=1", 10)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self.assertNotIn("WATCHDOG=1", msgs, "no WATCHDOG_USEC, no keep-alives")
            self.assertEqual(msgs[0], "READY=1")
            self.assertRegex(msgs[1], r"^STATUS=last poll \S+: 1 account\(s\) ok$")
            self.assertEqual(msgs[-1], "STOPPING=1")
            # `once` (cron) says nothing on success, even as root.
            p = agent.once()
            self.assertOk(p)
            self.assertEqual(p.stderr, "")

    def test_no_account_no_ready(self):
        sock, path = self.notify_socket()
        conf = os.path.join(self.folder, "empty.conf")
        with open(conf, "w") as f:
            f.write(f"[agent]\ndatabase = {self.folder}/alerts.db\nlisten =\n")
        p = run([ALERTD, "-c", conf, "run"], timeout=30, env={**os.environ, "NOTIFY_SOCKET": path})
        self.assertEqual(p.returncode, 78, p.stderr)
        msgs = recv_all(sock, None, 0.5)
        self.assertNotIn("READY=1", msgs)
        self.assertEqual(len(msgs), 1, msgs)
        self.assertIn("no account configured", msgs[0])
        self.assertFalse(os.path.exists(os.path.join(self.folder, "alerts.db")))


def dpkg_state(pkg):
    p = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return p.stdout.strip() if p.returncode == 0 else ""


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


@unittest.skipUnless(PART == "deb", "the Debian package test runs as PACKAGING_PART=deb")
class DebPackageTest(AgentTest):
    """dpkg-buildpackage on a copy of the source; install, use, remove, purge."""

    PKG = "twilio-alertd"
    LEFTOVERS = ["/etc/twilio-alertd", "/var/lib/twilio-alertd", "/etc/cron.d/twilio-alertd",
                 "/usr/bin/twilio-alertd", "/lib/systemd/system/twilio-alertd.service"]

    def setUp(self):
        # Checked before the temp folder exists: a skip in setUp gets no tearDown.
        if os.geteuid() != 0:
            self.skipTest("installing a package needs root")
        if os.environ.get("ALERTD_SANITIZE", "none") != "none":
            self.skipTest("the package is built without sanitizers: tested by the normal build")
        for tool in ("dpkg-buildpackage", "dh", "dpkg", "runuser"):
            if not shutil.which(tool):
                self.skipTest(f"no {tool} (tools/setup.sh test installs it)")
        # Never touch what an administrator installed or left here.
        if dpkg_state(self.PKG):
            self.skipTest(f"package {self.PKG} is known to dpkg here ({dpkg_state(self.PKG)})")
        if user_exists(self.PKG) or group_exists(self.PKG):
            self.skipTest("a twilio-alertd user or group already exists")
        for path in self.LEFTOVERS:
            if os.path.lexists(path):
                self.skipTest(f"{path} exists (a source install?)")
        self.installed = False
        super().setUp()

    def tearDown(self):
        try:
            if getattr(self, "installed", False) and dpkg_state(self.PKG):
                run(["dpkg", "--purge", self.PKG], timeout=120)
        finally:
            super().tearDown()

    def build(self):
        src = os.path.join(self.folder, "src")

        def ignore(folder, names):
            # Build folders (meson's or debhelper's), VCS data and a stale debian/.
            top = os.path.samefile(folder, SOURCE_ROOT)
            return [n for n in names if n in (".git", "__pycache__")
                    or os.path.exists(os.path.join(folder, n, "meson-private"))
                    or (top and (n == "debian" or n.startswith("build") or n.startswith("obj-")))]

        shutil.copytree(SOURCE_ROOT, src, ignore=ignore, symlinks=True)
        shutil.copytree(os.path.join(src, "packaging", "debian"), os.path.join(src, "debian"))
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.folder, "LANG": "C.UTF-8",
               "DEB_BUILD_OPTIONS": f"nocheck parallel={os.cpu_count() or 2}"}
        log = os.path.join(self.folder, "build.log")
        with open(log, "w") as f:
            p = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
                               stdout=f, stderr=subprocess.STDOUT, timeout=600)
        self.assertEqual(p.returncode, 0, "dpkg-buildpackage failed:\n" + read(log)[-6000:])
        debs = glob.glob(os.path.join(self.folder, f"{self.PKG}_*.deb"))
        self.assertEqual(len(debs), 1, os.listdir(self.folder))
        return debs[0]

    def check_deb_contents(self, deb):
        listing = run(["dpkg-deb", "-c", deb]).stdout
        for want in ["./usr/bin/twilio-alertd", "./lib/systemd/system/twilio-alertd.service",
                     "./lib/systemd/system/twilio-alertd-once.service",
                     "./lib/systemd/system/twilio-alertd-once.timer", "./etc/cron.d/twilio-alertd",
                     "./usr/share/man/man8/twilio-alertd.8.gz",
                     "./usr/share/man/man5/twilio-alertd.conf.5.gz",
                     # The README and the database manual it points to.
                     "./usr/share/doc/twilio-alertd/README.md",
                     "./usr/share/doc/twilio-alertd/schema/README.md"]:
            self.assertIn(want, listing)
        readme = read(os.path.join(SOURCE_ROOT, "README.md"))
        self.assertIn("/usr/share/doc/twilio-alertd/schema/README.md", readme)
        self.assertRegex(listing, r"-rw-r----- root/root .* ./etc/twilio-alertd/twilio-alertd.conf")
        ctl = os.path.join(self.folder, "control")
        run(["dpkg-deb", "-e", deb, ctl])
        conffiles = read(os.path.join(ctl, "conffiles")).split()
        self.assertIn("/etc/twilio-alertd/twilio-alertd.conf", conffiles)
        self.assertIn("/etc/cron.d/twilio-alertd", conffiles)

    def smoke_as_service_user(self):
        """The installed agent, as the service user, polls the simulator into
        the packaged state directory with the packaged modes."""
        state = "/var/lib/twilio-alertd"
        user = pwd.getpwnam(self.PKG)
        conf, token = os.path.join(state, "smoke.conf"), os.path.join(state, "smoke.token")
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 30, days=1, seed=6)
            with open(token, "w") as f:
                f.write("sim-token\n")
            with open(conf, "w") as f:
                f.write(f"[agent]\nlisten =\n[account smoke]\naccount_sid = {SIM_ACCOUNT}\n"
                        f"auth_token_file = {token}\napi_base = {sim.url}\n")
            for path in (conf, token):
                os.chown(path, user.pw_uid, user.pw_gid)
                os.chmod(path, 0o600)
            p = run(["runuser", "-u", self.PKG, "--", "/usr/bin/twilio-alertd", "-c", conf, "once"])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, "", "`once` as the service user is silent on success")
        db = os.stat(os.path.join(state, "alerts.db"))
        self.assertEqual((db.st_uid, stat.S_IMODE(db.st_mode)), (user.pw_uid, 0o600))
        p = run(["runuser", "-u", self.PKG, "--", "/usr/bin/twilio-alertd", "-c", conf,
                 "status", "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('"rows": 30', p.stdout)

    def test_build_install_use_remove_purge(self):
        deb = self.build()
        self.check_deb_contents(deb)
        version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()

        self.installed = True
        p = run(["dpkg", "-i", deb], timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(dpkg_state(self.PKG), "install ok installed")

        p = run(["twilio-alertd", "--version"], env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), f"twilio-alertd {version.split('-')[0]}")

        # The installed default configuration: valid, polls nothing.
        p = run(["/usr/bin/twilio-alertd", "check-config"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no accounts configured yet", p.stderr)
        p = run(["runuser", "-u", self.PKG, "--", "/usr/bin/twilio-alertd", "check-config"])
        self.assertEqual(p.returncode, 0, "the service user must read the configuration: " + p.stderr)
        p = run(["runuser", "-u", self.PKG, "--", "/usr/bin/twilio-alertd", "once"])
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

        # The installed demo starts the installed simulator: no build-tree path, no variable.
        p = run(["/usr/bin/twilio-alertd", "demo", "--once"], timeout=240,
                env={"PATH": "/usr/bin:/bin"})
        m = re.search(r"remove (/tmp/twilio-alertd-demo\.\w+) when finished", p.stdout)
        if m:
            shutil.rmtree(m.group(1), ignore_errors=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"simulator \(/usr/[^)]*/twilio-monitor-sim\)")
        self.assertIn("== done", p.stdout)

        # User, modes, ownership.
        user = pwd.getpwnam(self.PKG)
        self.assertLess(user.pw_uid, 1000)
        self.assertEqual(user.pw_dir, "/var/lib/twilio-alertd")
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"))
        gid = grp.getgrnam(self.PKG).gr_gid
        st = os.stat("/var/lib/twilio-alertd")
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                         (user.pw_uid, gid, 0o750))
        for path, mode in (("/etc/twilio-alertd", 0o750),
                           ("/etc/twilio-alertd/twilio-alertd.conf", 0o640)):
            st = os.stat(path)
            self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, gid, mode), path)

        # Nothing enabled, nothing polling: no unit symlinks, the cron job commented.
        wants = glob.glob("/etc/systemd/system/*.wants/twilio-alertd*")
        self.assertEqual(wants, [])
        self.assertFalse([ln for ln in read("/etc/cron.d/twilio-alertd").splitlines()
                          if ln.strip() and not ln.startswith("#") and "twilio-alertd once" in ln])

        # dpkg may be told to skip man pages (path-exclude in minimal images).
        man_installed = os.path.exists("/usr/share/man/man8/twilio-alertd.8.gz")
        if shutil.which("systemd-analyze"):
            units = [f"/lib/systemd/system/{u}" for u in UNITS]
            p = run(["systemd-analyze", "verify"] + ([] if man_installed else ["--man=no"]) + units)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        if shutil.which("man") and man_installed:
            p = run(["man", "-P", "cat", "8", "twilio-alertd"], env={**os.environ, "MANWIDTH": "80"})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("check-config", p.stdout)

        self.smoke_as_service_user()

        # Remove: the program goes; configuration, database and user stay.
        p = run(["dpkg", "--remove", self.PKG], timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertFalse(os.path.exists("/usr/bin/twilio-alertd"))
        self.assertFalse(os.path.exists("/lib/systemd/system/twilio-alertd.service"))
        self.assertTrue(os.path.exists("/etc/twilio-alertd/twilio-alertd.conf"))
        self.assertTrue(os.path.exists("/var/lib/twilio-alertd/alerts.db"))
        self.assertTrue(user_exists(self.PKG))

        # Purge: everything.
        p = run(["dpkg", "--purge", self.PKG], timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(dpkg_state(self.PKG), "")
        for path in self.LEFTOVERS:
            self.assertFalse(os.path.lexists(path), path)
        self.assertFalse(user_exists(self.PKG))
        self.assertFalse(group_exists(self.PKG))
        overrides = run(["dpkg-statoverride", "--list"]).stdout
        self.assertNotIn("twilio-alertd", overrides)


if __name__ == "__main__":
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    if r.wasSuccessful() and r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)
