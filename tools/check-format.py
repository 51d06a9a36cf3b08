#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The C sources follow the project's .clang-format: every file under agent/
and tests/ (unit, fuzz, sim, bench) is compared with what clang-format makes
of it, and each file that differs is named with its first differing line.
Exit 77 (skip) without clang-format. Fix with: clang-format -i FILE."""
import difflib
import os
import shutil
import subprocess
import sys

DIRS = ["agent", "tests/unit", "tests/fuzz", "tests/sim", "tests/bench"]


def sources(root):
    for d in DIRS:
        for dp, _, fs in os.walk(os.path.join(root, d)):
            for f in sorted(fs):
                if f.endswith((".c", ".h")):
                    yield os.path.join(dp, f)


def main():
    root = sys.argv[1]
    tool = shutil.which("clang-format") or shutil.which("clang-format-14")
    if not tool:
        print("clang-format not installed (tools/setup.sh test installs it)")
        return 77
    bad = 0
    files = list(sources(root))
    if not files:
        print("no C sources found under " + ", ".join(DIRS))
        return 1
    for path in files:
        with open(path) as f:
            have = f.read().splitlines()
        want = subprocess.run([tool, "--style=file", path], capture_output=True, text=True,
                              check=True, cwd=root).stdout.splitlines()
        if have == want:
            continue
        bad += 1
        for op in difflib.SequenceMatcher(None, have, want).get_opcodes():
            if op[0] != "equal":
                print(f"{os.path.relpath(path, root)}:{op[1] + 1}: not as clang-format "
                      f"lays it out (clang-format -i {os.path.relpath(path, root)})")
                break
    print(f"{len(files)} files checked, {bad} not formatted")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
