# SPDX-License-Identifier: MIT
"""An exec channel receiver for test_triggers.py:

    /usr/bin/python3 trig_exec.py DIR

Reads the notification JSON on stdin and appends one line to DIR/received.jsonl
with the payload, the TWILIO_ALERTD_* environment and the names of every other
variable. With DIR/fail present it refuses (exit 2, a line on stderr). With
DIR/block present it writes its pid to DIR/started and waits (at most 60 s)
until the file goes away, so a test can kill the agent mid-delivery."""
import json
import os
import sys
import time

folder = sys.argv[1]
payload = sys.stdin.read()
if os.path.exists(os.path.join(folder, "fail")):
    print("receiver refuses: test says fail", file=sys.stderr)
    sys.exit(2)
if os.path.exists(os.path.join(folder, "block")):
    with open(os.path.join(folder, "started"), "w") as f:
        f.write(str(os.getpid()))
    deadline = time.monotonic() + 60
    while os.path.exists(os.path.join(folder, "block")) and time.monotonic() < deadline:
        time.sleep(0.05)
record = {
    "payload": json.loads(payload),
    "env": {k: v for k, v in os.environ.items() if k.startswith("TWILIO_ALERTD_")},
    "other_env": sorted(k for k in os.environ if not k.startswith("TWILIO_ALERTD_")),
    "argv": sys.argv[1:],
}
with open(os.path.join(folder, "received.jsonl"), "a") as f:
    f.write(json.dumps(record) + "\n")
