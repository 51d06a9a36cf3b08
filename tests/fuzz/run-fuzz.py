#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Run one fuzz target as a meson test.

    run-fuzz.py --libfuzzer|--replay TARGET SEEDS DICT

--replay: the target was built with fuzz-main.c; every seed runs once.
--libfuzzer: the seeds run, then libFuzzer mutates them for
TWILIO_ALERTD_FUZZ_SECONDS (default 10) in a scratch corpus (the seed
directory is never written to). A crash, leak, sanitizer report or
mismatch fails the test; the input is kept next to the test log and
printed in hex.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SECONDS = int(os.environ.get("TWILIO_ALERTD_FUZZ_SECONDS", "10"))
# Per-input limit (s): far above any input's time; a stuck one fails the run.
INPUT_TIMEOUT = 20


# A dictionary line as libFuzzer reads it: [name=]"printable ASCII, \\ \" \xNN escapes".
DICT_LINE = re.compile(r'^([A-Za-z0-9_]+=)?"([ -!#-\[\]-~]|\\\\|\\"|\\x[0-9A-Fa-f]{2})*"$')


def check_dict(path):
    """The dictionary's every entry parses (libFuzzer would refuse the whole run)."""
    entries = 0
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh.read().decode("ascii").split("\n"), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not DICT_LINE.match(line):
                print(f"{path}:{n}: not a libFuzzer dictionary entry: {line}", file=sys.stderr)
                return False
            entries += 1
    return entries > 0


def main():
    mode, target, seeds, dictionary = sys.argv[1:5]
    if not check_dict(dictionary):
        return 1
    if not os.path.isdir(seeds) or not os.listdir(seeds):
        print(f"no seeds in {seeds}", file=sys.stderr)
        return 1
    if mode == "--replay":
        return subprocess.run([target, seeds], timeout=600).returncode
    # UBSan's reports abort (libFuzzer keeps the input) unless the caller says otherwise.
    os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    name = os.path.basename(target)
    keep = os.path.join(os.getcwd(), "fuzz-artifacts", name)
    with tempfile.TemporaryDirectory(prefix=name + "-") as tmp:
        scratch = os.path.join(tmp, "corpus")
        os.mkdir(scratch)
        cmd = [target, f"-dict={dictionary}", f"-max_total_time={SECONDS}",
               f"-timeout={INPUT_TIMEOUT}", "-rss_limit_mb=2048", "-print_final_stats=1",
               f"-artifact_prefix={tmp}/", scratch, seeds]
        print(" ".join(cmd), flush=True)
        rc = subprocess.run(cmd, timeout=SECONDS + 600).returncode
        found = [f for f in os.listdir(tmp) if f != "corpus"]
        for f in found:
            os.makedirs(keep, exist_ok=True)
            shutil.copy(os.path.join(tmp, f), keep)
            with open(os.path.join(tmp, f), "rb") as fh:
                data = fh.read(4096)
            print(f"{f} (kept in {keep}): {data.hex()}", file=sys.stderr)
        if rc != 0 or found:
            print(f"{name}: failed (exit {rc}); replay: {target} {keep}/<file>",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
