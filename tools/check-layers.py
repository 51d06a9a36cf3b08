#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The pipeline's layering, checked from the sources (the 'static' suite).

    check-layers.py SOURCEDIR
    check-layers.py --self-test   (the checker on small trees with known faults)

agent/ is one folder per stage, bottom to top: base, store, ingest,
trigger, notify, web, cli. A file may include only its own stage or a lower
one; in cli/, only main.c includes a command's header (the others share
cli.h and sdnotify.h). Every agent/<stage>/X.c (but cli/main.c) has its own
header X.h, and every function it exports (defined without `static`) is
declared there or in a private header of its stage (*-private.h), so a
reader finds a function's contract next to its code. Within a stage, no two
modules call each other (X.c includes Y.h and Y.c includes X.h): one of
them is below the other.
Each problem is one line naming file:line (and both stages for an include
that runs back up); any problem fails.
"""
import os
import re
import sys

STAGES = ["base", "store", "ingest", "trigger", "notify", "web", "cli"]

# Known arrows that run back up, each removed by named work; an entry that
# no longer matches an include is itself a problem, so the list cannot rot.
ALLOWED: set = set()

# Files that need no header of their own: the program's entry point.
NO_HEADER = {"agent/cli/main.c"}
# cli/ holds the commands (once/run, status, triggers, outbox, demo) and what
# they share; only main.c, the dispatcher, includes a command's header, so a
# command never calls into another one's file.
CLI_SHARED = {"cli/cli.h", "cli/sdnotify.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# The first line of an exported definition: a type and a name at column 0.
DEFINITION = re.compile(r"^(?!static\b|typedef\b|struct\s+\w+\s*\{|enum\b|extern\b)"
                        r"[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\(")


def stage_of(include):
    """The stage of an include written "stage/name.h", or None (system, generated)."""
    head = include.split("/", 1)[0]
    return head if "/" in include and head in STAGES else None


def sources(src):
    agent = os.path.join(src, "agent")
    for stage in STAGES:
        folder = os.path.join(agent, stage)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith((".c", ".h")):
                yield stage, "agent/%s/%s" % (stage, name)


def exported(path, text):
    """Names of the functions @text (a .c file) defines without static."""
    lines = text.splitlines()
    names = []
    for i, line in enumerate(lines):
        m = DEFINITION.match(line)
        if not m or line.rstrip().endswith(";"):
            continue
        # A prototype may run over several lines: it is a definition when the
        # next line at column 0 after it is "{".
        for nxt in lines[i + 1:i + 12]:
            if nxt.startswith("{"):
                names.append((i + 1, m.group(1)))
                break
            if nxt.rstrip().endswith(";") or nxt.startswith(("}", "#")) or not nxt.strip():
                break
    return names


def check(src, allowed):
    """(problems, files read, allowed arrows used) of the tree at @src."""
    problems = []
    used = set()
    texts = {}
    includes = {}
    for stage, rel in sources(src):
        with open(os.path.join(src, rel), encoding="utf-8") as fh:
            texts[rel] = fh.read()
        includes[rel] = []
        for n, line in enumerate(texts[rel].splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            includes[rel].append((n, inc))
            other = stage_of(inc)
            if other is None:
                continue
            if stage == "cli" == other and rel not in NO_HEADER and inc not in CLI_SHARED \
                    and rel.rsplit("/", 1)[1][:-2] != inc.rsplit("/", 1)[1][:-2]:
                problems.append('%s:%d: includes "%s", another command\'s header (what '
                                'commands share goes into %s)'
                                % (rel, n, inc, " or ".join(sorted(CLI_SHARED))))
            if STAGES.index(other) > STAGES.index(stage):
                if (rel, inc) in allowed:
                    used.add((rel, inc))
                    continue
                problems.append('%s:%d: %s includes "%s" of %s, a higher stage'
                                % (rel, n, stage, inc, other))
    for rel, inc in sorted(allowed - used):
        problems.append('%s: the allowed arrow to "%s" is gone: remove it from ALLOWED in '
                        'check-layers.py' % (rel, inc))

    # Own headers, and their declarations.
    for rel in sorted(texts):
        if not rel.endswith(".c") or rel in NO_HEADER:
            continue
        header = rel[:-2] + ".h"
        if header not in texts:
            problems.append("%s:1: has no header of its own (%s)"
                            % (rel, os.path.basename(header)))
            continue
        stage_dir = os.path.dirname(rel)
        private = [t for r, t in texts.items()
                   if os.path.dirname(r) == stage_dir and r.endswith("-private.h")]
        for n, name in exported(rel, texts[rel]):
            pattern = re.compile(r"\b%s\s*\(" % re.escape(name))
            if pattern.search(texts[header]) or any(pattern.search(t) for t in private):
                continue
            where = [r for r, t in texts.items() if r.endswith(".h") and pattern.search(t)]
            problems.append("%s:%d: %s is not declared in %s%s"
                            % (rel, n, name, os.path.basename(header),
                               " (but in %s)" % ", ".join(sorted(where)) if where else ""))

    # Calls that go both ways between two modules of one stage: X.c includes
    # Y.h while Y.c includes X.h (a stage's *-private.h is shared by all).
    def module(rel):
        return rel.rsplit(".", 1)[0]

    edges = {}
    for rel, incs in includes.items():
        if not rel.endswith(".c"):
            continue
        for n, inc in incs:
            target = "agent/" + inc
            if target in texts and module(target) != module(rel) \
                    and not target.endswith("-private.h") \
                    and os.path.dirname(target) == os.path.dirname(rel):
                edges.setdefault((module(rel), module(target)), (rel, n))
    for (a, b), (rel, n) in sorted(edges.items()):
        if a < b and (b, a) in edges:
            brel, bn = edges[(b, a)]
            problems.append("%s:%d and %s:%d: %s and %s include each other"
                            % (rel, n, brel, bn, os.path.basename(a), os.path.basename(b)))

    return problems, len(texts), len(used)


def self_test():
    """The checker on small trees, each with one known fault: it must find it."""
    import tempfile

    ok = "#include \"%s/%s.h\"\n\nint %s_f(void)\n{\n\treturn 0;\n}\n"
    clean = {
        "base/a.h": "int a_f(void);\n",
        "base/a.c": ok % ("base", "a", "a"),
        "store/b.h": "#include \"base/a.h\"\nint b_f(void);\n",
        "store/b.c": ok % ("store", "b", "b"),
        "cli/main.c": "#include \"store/b.h\"\n\nint main(void)\n{\n\treturn b_f();\n}\n",
    }
    cases = [
        ("clean", {}, set(), None),
        ("upward", {"base/a.c": "#include \"base/a.h\"\n#include \"store/b.h\"\n"},
         set(), 'agent/base/a.c:2: base includes "store/b.h" of store, a higher stage'),
        ("allowed", {"base/a.c": "#include \"base/a.h\"\n#include \"store/b.h\"\n"},
         {("agent/base/a.c", "store/b.h")}, None),
        ("allowed-gone", {}, {("agent/base/a.c", "store/b.h")},
         'agent/base/a.c: the allowed arrow to "store/b.h" is gone'),
        ("command", {"cli/x.h": "int x_f(void);\n",
                     "cli/x.c": "#include \"cli/x.h\"\n#include \"cli/y.h\"\n",
                     "cli/y.h": "int y_f(void);\n", "cli/y.c": "#include \"cli/y.h\"\n"},
         set(), 'agent/cli/x.c:2: includes "cli/y.h", another command\'s header'),
        ("no-header", {"store/c.c": "int c_f(void);\n"}, set(),
         "agent/store/c.c:1: has no header of its own (c.h)"),
        ("undeclared", {"store/b.c": ok % ("store", "b", "b") + "\nint b_g(int x,\n"
                                     "        int y)\n{\n\treturn x + y;\n}\n"},
         set(), "agent/store/b.c:8: b_g is not declared in b.h"),
        ("cycle", {"store/c.h": "int c_f(void);\n",
                   "store/c.c": "#include \"store/b.h\"\n#include \"store/c.h\"\n",
                   "store/b.c": "#include \"store/c.h\"\n#include \"store/b.h\"\n"},
         set(), "agent/store/b.c:1 and agent/store/c.c:1: b and c include each other"),
    ]
    failed = 0
    for name, change, allowed, want in cases:
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in dict(clean, **change).items():
                os.makedirs(os.path.join(tmp, "agent", os.path.dirname(rel)), exist_ok=True)
                with open(os.path.join(tmp, "agent", rel), "w", encoding="utf-8") as fh:
                    fh.write(text)
            problems = check(tmp, allowed)[0]
        good = (not problems) if want is None else \
            len(problems) == 1 and problems[0].startswith(want)
        print("%s %s: %s" % ("ok" if good else "not ok", name, problems or "no problem"))
        failed += not good
    return 1 if failed else 0


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: check-layers.py SOURCEDIR | --self-test\n")
        return 2
    if sys.argv[1] == "--self-test":
        return self_test()
    problems, files, used = check(sys.argv[1], ALLOWED)
    for p in problems:
        print(p)
    if problems:
        print("check-layers: %d problem(s); stages bottom to top: %s"
              % (len(problems), ", ".join(STAGES)))
        return 1
    print("check-layers: %d files, every include downward (%d allowed arrow(s))"
          % (files, used))
    return 0


if __name__ == "__main__":
    sys.exit(main())
