#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Static analysis of agent/ for the 'static' test suite.

    static-check.py scan-build|cppcheck BUILDDIR SOURCEDIR

scan-build: clang's analyzer (scan-build from clang-tools) over every
agent/**/*.c with the include paths and defines of the build
(compile_commands.json); any report fails the test, and the report is
printed (deadcode.DeadStores is off: style, see below). cppcheck:
warning, performance and portability checks over the same files; any
finding fails. A finding that is not a bug is suppressed in place with a
comment saying why (// cppcheck-suppress ID; for the analyzer, an
initialisation or assert that states what it cannot see).
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def agent_units(build, src):
    """(file, flags) of every agent/**/*.c the build compiles, flags as clang takes them."""
    with open(os.path.join(build, "compile_commands.json")) as fh:
        db = json.load(fh)
    agent = os.path.realpath(os.path.join(src, "agent"))
    units = {}
    for e in db:
        path = os.path.realpath(os.path.join(e["directory"], e["file"]))
        if not path.startswith(agent + os.sep) or path in units:
            continue
        flags = []
        for a in shlex.split(e["command"]):
            if a.startswith(("-I", "-D", "-std=")):
                if a.startswith("-I") and not os.path.isabs(a[2:]):
                    a = "-I" + os.path.join(e["directory"], a[2:])
                flags.append(a)
        units[path] = flags
    return sorted(units.items())


def scan_build(build, src):
    tool = shutil.which("scan-build") or shutil.which("scan-build-14")
    if not tool or not shutil.which("clang"):
        print("scan-build or clang not installed (tools/setup.sh test installs clang-tools)")
        return 77
    units = agent_units(build, src)
    if not units:
        print("no agent sources in compile_commands.json")
        return 1
    with tempfile.TemporaryDirectory(prefix="alertd-scan-") as tmp:
        # One make rule per file, so both cores analyse (scan-build sets $(CC)).
        objs = []
        with open(os.path.join(tmp, "Makefile"), "w") as mk:
            for i, (path, flags) in enumerate(units):
                obj = os.path.join(tmp, f"{i}.o")
                objs.append(obj)
                mk.write(f"{obj}:\n\t$(CC) {' '.join(shlex.quote(f) for f in flags)} "
                         f"-c {shlex.quote(path)} -o {obj}\n")
            mk.write("all: " + " ".join(objs) + "\n")
        cmd = [tool, "--status-bugs", "--use-cc=clang", "-o", os.path.join(tmp, "report"),
               # Dead stores are style, not bugs: the code assigns r = 0 or keeps a step's rc
               # for clarity, and gcc's -Wunused-but-set-variable already reports real ones.
               "-disable-checker", "deadcode.DeadStores",
               "make", "-s", "-j2", "-f", os.path.join(tmp, "Makefile"), "all"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=1200)
        print(r.stdout)
        print(f"scan-build: {len(units)} files, exit {r.returncode}")
        return 0 if r.returncode == 0 else 1


def cppcheck(build, src):
    tool = shutil.which("cppcheck")
    if not tool:
        print("cppcheck not installed (tools/setup.sh test installs it)")
        return 77
    units = agent_units(build, src)
    if not units:
        print("no agent sources in compile_commands.json")
        return 1
    # The project's own include paths only: cppcheck does not read system headers (it
    # refuses glibc's, and --suppress=missingIncludeSystem covers their absence).
    mine = (os.path.realpath(build) + os.sep, os.path.realpath(src) + os.sep)
    incs = sorted({f for _, flags in units for f in flags
                   if f.startswith("-I") and (os.path.realpath(f[2:]) + os.sep).startswith(mine)})
    cmd = [tool, "--quiet", "--std=c11", "--enable=warning,performance,portability",
           "--inline-suppr", "--error-exitcode=1", "--suppress=missingIncludeSystem",
           "-D_GNU_SOURCE", "-D__GNUC__", "--template={file}:{line}: {severity} ({id}): {message}"
           ] + incs + [path for path, _ in units]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=1200)
    print(r.stdout)
    print(f"cppcheck: {len(units)} files, exit {r.returncode}")
    return 0 if r.returncode == 0 else 1


def main():
    what, build, src = sys.argv[1:4]
    return {"scan-build": scan_build, "cppcheck": cppcheck}[what](build, src)


if __name__ == "__main__":
    sys.exit(main())
