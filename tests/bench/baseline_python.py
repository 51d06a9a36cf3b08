# SPDX-License-Identifier: MIT
"""The baseline for bench-sync.py: what a user would script with the official
twilio-python library and sqlite3 to copy Monitor Alerts into the agent's table.

Pages through client.monitor.v1.alerts (page_size 1000, StartDate = the agent's
backfill start) and upserts each alert by sid into a database created exactly as
the agent creates it (auto_vacuum, WAL, synchronous=NORMAL, schema/0001-initial.sql
with its indexes), filling the same derived columns (normalised dates, msg,
http_response, request_host, first_seen, source), one transaction per page.
Run with /usr/bin/python3 (the interpreter that has the twilio package):

    /usr/bin/python3 tests/bench/baseline_python.py --api-base http://127.0.0.1:PORT \\
        --account-sid AC... --token-file FILE --database /tmp/b.db

Prints one line "baseline: N alerts, P pages" on success.
"""

import argparse
import datetime
import os
import sqlite3
import sys
import urllib.parse

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "schema", "0001-initial.sql")

# The agent's backfill reaches back 30 days less a 15-minute margin (poll.c).
WINDOW = datetime.timedelta(days=30) - datetime.timedelta(minutes=15)

UPSERT = """
INSERT INTO alerts (sid, account_sid, error_code, log_level, alert_text, more_info,
    request_method, request_url, resource_sid, service_sid, api_version, url,
    date_created, date_generated, date_updated, first_seen, msg, http_response,
    request_host, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'poll')
ON CONFLICT (sid) DO UPDATE SET account_sid = excluded.account_sid,
    error_code = excluded.error_code, log_level = excluded.log_level,
    alert_text = excluded.alert_text, more_info = excluded.more_info,
    request_method = excluded.request_method, request_url = excluded.request_url,
    resource_sid = excluded.resource_sid, service_sid = excluded.service_sid,
    api_version = excluded.api_version, url = excluded.url,
    date_created = excluded.date_created, date_generated = excluded.date_generated,
    date_updated = excluded.date_updated, msg = excluded.msg,
    http_response = excluded.http_response, request_host = excluded.request_host
"""


def utc_text(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ") if d else None


def as_int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def row(a, first_seen):
    """The alerts row of one AlertInstance, derived columns as the agent fills them."""
    form = urllib.parse.parse_qs(a.alert_text or "")
    msg = (form.get("Msg") or form.get("parserMessage") or [None])[0]
    http_response = as_int((form.get("httpResponse") or [None])[0])
    host = None
    if a.request_url:
        try:
            host = urllib.parse.urlsplit(a.request_url).hostname
        except ValueError:
            host = None
    return (a.sid, a.account_sid, as_int(a.error_code), a.log_level, a.alert_text,
            a.more_info, a.request_method, a.request_url, a.resource_sid, a.service_sid,
            a.api_version, a.url, utc_text(a.date_created), utc_text(a.date_generated),
            utc_text(a.date_updated), first_seen, msg, http_response, host)


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    if db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0] == 0:
        with open(SCHEMA) as f:
            db.executescript("BEGIN;" + f.read() + "PRAGMA user_version = 1; COMMIT;")
    return db


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--api-base", required=True)
    ap.add_argument("--account-sid", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--page-size", type=int, default=1000)
    args = ap.parse_args()

    with open(args.token_file) as f:
        token = f.read().strip()
    http = TwilioHttpClient(timeout=30)
    http.session.trust_env = False  # loopback simulator: never through a proxy
    client = Client(args.account_sid, token, http_client=http)
    client.monitor.base_url = args.api_base
    db = open_db(args.database)

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    first_seen = utc_text(now)
    total = pages = 0
    page = client.monitor.v1.alerts.page(start_date=now - WINDOW, page_size=args.page_size)
    while page is not None:
        rows = [row(a, first_seen) for a in page]
        db.execute("BEGIN")
        db.executemany(UPSERT, rows)
        db.execute("COMMIT")
        total += len(rows)
        pages += 1
        page = page.next_page()
    db.close()
    print("baseline: %d alerts, %d pages" % (total, pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
