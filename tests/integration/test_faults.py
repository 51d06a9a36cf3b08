# SPDX-License-Identifier: MIT
"""Every fault kind of the simulator, alone and in sequence: the run retries
or fails cleanly with one line, and once the fault clears nothing is missing
or duplicated."""
import contextlib
import http.server
import json
import threading
import time
import unittest
import urllib.parse

from harness import SIM_ACCOUNT, Agent, AgentTest, Sim

FAULTS = [
    {"type": "429", "retry_after": 1},
    {"type": "500"},
    {"type": "503"},
    {"type": "slow", "ms": 3000},
    {"type": "cut"},
    {"type": "badjson"},
    {"type": "reset"},
]


@contextlib.contextmanager
def stub_api(page):
    """A hostile Monitor API on 127.0.0.1: page(query dict, hit number) -> page object.
    Yields the server; .hits counts the list requests."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                srv.hits += 1
                n = srv.hits
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            body = json.dumps(page(query, n, srv.server_address[1])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    lock = threading.Lock()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.hits = 0
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def sid(n):
    return "NO%032x" % n


class FaultTest(AgentTest):
    def check_complete(self, sim, agent):
        self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))
        dup = agent.query("SELECT sid FROM alerts GROUP BY sid HAVING count(*) > 1")
        self.assertEqual(dup, [])
        self.assertEqual(agent.query("PRAGMA integrity_check")[0][0], "ok")

    def test_each_fault_alone_is_retried(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 2500, days=3, seed=11)
            agent = self.agent(sim, agent_keys={"http_timeout": "2s"})
            for fault in FAULTS:
                with self.subTest(fault=fault["type"]):
                    # The fault hits the first request of this run.
                    sim.add_alerts(SIM_ACCOUNT, [{"age": 1}])
                    sim.faults([fault])
                    p = agent.once()
                    self.assertOk(p, fault["type"])
                    self.assertEqual(sim.pending_faults(), [])
                    self.check_complete(sim, agent)
            runs = agent.query("SELECT http_errors FROM poll_runs ORDER BY id")
            self.assertEqual(len(runs), len(FAULTS))
            self.assertEqual([r for r in runs if r["http_errors"] < 1], [],
                             "every run met its fault")

    def test_faults_mid_backfill_in_sequence(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 6000, days=10, seed=12)
            agent = self.agent(sim, agent_keys={"http_timeout": "2s"})
            sim.clear_requests()
            # Let a few pages through, then every fault kind, each followed by a
            # success so that no request exhausts its retries.
            seq = [{"type": "slow", "ms": 10}] * 3
            for fault in FAULTS:
                seq += [fault, {"type": "slow", "ms": 1}]
            sim.faults(seq)
            self.assertOk(agent.once())
            self.check_complete(sim, agent)

    def test_persistent_fault_fails_cleanly_then_recovers(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 3000, days=4, seed=13)
            agent = self.agent(sim, agent_keys={"max_retries": "2"})
            sim.faults([{"type": "503", "count": 3}])
            p = agent.once()
            self.assertEqual(p.returncode, 69, p.stderr)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("HTTP 503", lines[0])
            self.assertIn("main", lines[0])
            st = agent.query("SELECT last_error, last_success FROM sync_state")[0]
            self.assertIn("503", st["last_error"])
            # Once the fault clears, the next run completes the set.
            self.assertOk(agent.once())
            self.check_complete(sim, agent)
            self.assertEqual([r[0] for r in agent.query("SELECT outcome FROM poll_runs ORDER BY id")],
                             ["unavailable", "ok"])

    def test_failure_after_some_pages_keeps_them_and_the_watermark(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 8000, days=29, seed=14)
            agent = self.agent(sim, agent_keys={"max_retries": "0"})
            # A few requests succeed, then the API stays down for this run
            # (8,000 alerts are one query of 8 pages: the fault lands in it).
            sim.faults([{"type": "slow", "ms": 1}] * 4 + [{"type": "500"}])
            p = agent.once()
            self.assertEqual(p.returncode, 69, p.stderr)
            partial = agent.count()
            self.assertGreater(partial, 0, "pages committed before the fault are kept")
            self.assertLess(partial, 8000)
            self.assertOk(agent.once())
            self.check_complete(sim, agent)

    def hostile_once(self, page):
        """One `once` against stub_api(page): (process, list requests)."""
        with stub_api(page) as srv:
            agent = Agent(self.folder, [{"name": "h", "api_base":
                                         f"http://127.0.0.1:{srv.server_address[1]}"}])
            p = agent.once(timeout=120)
        self.agent_ = agent
        return p, srv.hits

    def assertRefused(self, p, text):
        self.assertEqual(p.returncode, 69, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(text, lines[0])
        self.assertEqual(self.agent_.query("SELECT watermark FROM sync_state")[0][0], None)

    def test_next_page_url_cycle_is_refused(self):
        # First page -> A -> B -> A: every URL differs from the one just fetched.
        def page(q, n, port):
            nxt = {None: "A", "A": "B", "B": "A"}[q.get("PageToken")]
            return {"alerts": [{"sid": sid(n), "date_created": now_iso()}],
                    "meta": {"key": "alerts", "next_page_url":
                             f"http://127.0.0.1:{port}/v1/Alerts?PageSize=1000&PageToken={nxt}"}}
        p, hits = self.hostile_once(page)
        self.assertRefused(p, "leads back to page 2 of the query (a paging cycle)")
        self.assertEqual(hits, 3)

    def test_pages_per_query_are_bounded_by_twilios_cap(self):
        # Never the same URL twice, one alert a page, never a last page.
        def page(q, n, port):
            return {"alerts": [{"sid": sid(n), "date_created": now_iso()}],
                    "meta": {"key": "alerts", "next_page_url":
                             f"http://127.0.0.1:{port}/v1/Alerts?PageSize=1000&Page={n}"}}
        p, hits = self.hostile_once(page)
        # 10,000 alerts per query at 1,000 a page, and a margin of two.
        self.assertRefused(p, "keeps paging past 12 pages")
        self.assertEqual(hits, 12)

    def test_page_with_more_alerts_than_asked_for_is_refused(self):
        def page(q, n, port):
            items = [{"sid": sid(i), "date_created": now_iso()} for i in range(1001)]
            return {"alerts": items, "meta": {"key": "alerts", "next_page_url": None}}
        p, hits = self.hostile_once(page)
        self.assertRefused(p, "the page holds 1001 alerts, more than the PageSize of 1000")
        self.assertEqual(hits, 1, "a protocol violation is not retried")
        self.assertEqual(self.agent_.count(), 0)

    def test_next_page_url_to_another_origin_is_refused(self):
        # The zone id of issue 10: libcurl would connect to [::1] with the credentials.
        def page(q, n, port):
            return {"alerts": [{"sid": sid(n), "date_created": now_iso()}],
                    "meta": {"key": "alerts", "next_page_url":
                             f"http://[::1%25.127.0.0.1]:{port}/v1/Alerts?Page=1"}}
        p, hits = self.hostile_once(page)
        self.assertRefused(p, "refusing to send account h's credentials")
        self.assertIn("zone id", p.stderr)
        self.assertEqual(hits, 1)

    def test_nul_and_invalid_utf8_do_not_freeze_the_account(self):
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 1500, days=1, seed=15)
            raw = {
                # Valid JSON (RFC 8259): a \u0000 escape, and a lone surrogate.
                "nul": b'"Msg=nul\\u0000here&httpResponse=502"',
                "surrogate": b'"Msg=half \\ud800 pair"',
                # Not UTF-8: Latin-1, stray bytes, an encoded surrogate.
                "latin1": b'"Msg=caf\xe9 \xff\xfe&x=\xed\xa0\x80"',
            }
            sids = {}
            for name, value in raw.items():
                sids[name] = sim.add_alerts(SIM_ACCOUNT, [
                    {"age": 0, "error_code": "11200", "raw": {"alert_text": value.hex()}}])[0]
            agent = self.agent(sim)
            p = agent.once()
            self.assertOk(p)
            self.assertEqual(agent.sids(), set(sim.sids(SIM_ACCOUNT)))
            text = dict(agent.query("SELECT sid, alert_text FROM alerts WHERE sid IN (?, ?, ?)",
                                    *sids.values()))
            self.assertEqual(text[sids["nul"]], "Msg=nul\ufffdhere&httpResponse=502")
            self.assertEqual(text[sids["surrogate"]], "Msg=half \ufffd pair")
            self.assertEqual(text[sids["latin1"]],
                             b"Msg=caf\xe9 \xff\xfe&x=\xed\xa0\x80".decode("utf-8", "replace"))
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("stored a page with 8 invalid UTF-8 sequences", lines[0])
            # The watermark moved past them: the next poll is incremental.
            newest = agent.query("SELECT max(date_created) FROM alerts")[0][0]
            mark = agent.query("SELECT watermark FROM sync_state")[0][0]
            self.assertIsNotNone(mark)
            self.assertGreaterEqual(mark, newest)
            self.assertOk(agent.once())

    def test_backfill_with_the_clock_behind_twilio(self):
        """With the local clock 20 minutes behind Twilio's, a backfill planned by
        the local clock asks for a StartDate Twilio refuses (400, older than 30
        days); the Date of that answer must re-plan the window by Twilio's time
        (found by test_chaos.py with larger clock steps)."""
        with Sim() as sim:
            sim.generate(SIM_ACCOUNT, 3000, days=29.9, seed=15)
            sim.advance(20 * 60)
            agent = self.agent(sim, agent_keys={"max_retries": "0"})
            for _ in range(2):
                agent.once()
            self.assertOk(agent.once())
            self.check_complete(sim, agent)


if __name__ == "__main__":
    unittest.main(verbosity=2)
