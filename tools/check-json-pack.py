#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check every json_pack / json_unpack call in the C sources given (files or
folders) against its format string: the number of arguments the format takes
must be the number passed, and an argument whose kind is plain from its text
(a string literal, a cast to json_int_t, a json_*() constructor) must suit its
slot. A mismatch is undefined behaviour that jansson cannot detect (a count
read as a key is a crash), so each one is a line FILE:LINE: problem and exit 1.
Calls whose format is not a literal are reported too: they cannot be checked."""
import os
import re
import sys

CALLS = ("json_pack", "json_unpack", "json_pack_ex", "json_unpack_ex")


def strip_comments(src):
    """Comments become spaces (newlines kept, so line numbers stay right)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(src, start):
    """The top-level arguments of the call whose '(' is at @start, and the end."""
    args, depth, i, cur = [], 0, start + 1, []
    while i < len(src):
        c = src[i]
        if c in "\"'":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            cur.append(src[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append("".join(cur).strip())
                return args, i
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    raise ValueError("unterminated call")


def literal(arg):
    """The text of @arg when it is only adjacent string literals, else None."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', arg)
    if not parts or re.sub(r'"(?:[^"\\]|\\.)*"', "", arg).strip():
        return None
    return "".join(parts)


def slots(fmt, unpack):
    """What each argument of @fmt is: a list of 's', 'len', 'int', 'json', 'real', 'bool'."""
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        i += 1
        if c in " \t\n,:[]{}!*":
            continue
        mod = fmt[i] if i < len(fmt) else ""
        if c == "s":
            out.append("s")
            if mod in "#%":
                out.append("len")
                i += 1
            elif mod in "?*":
                i += 1
            while not unpack and fmt.startswith("+", i):
                # "s++": each + concatenates one more string (with its own length mark).
                out.append("s")
                i += 1
                if i < len(fmt) and fmt[i] in "#%":
                    out.append("len")
                    i += 1
        elif c == "n":
            if unpack:
                pass
        elif c == "b":
            out.append("bool")
        elif c in "iI":
            out.append("int")
        elif c in "fF":
            out.append("real")
        elif c in "oO":
            out.append("json")
            if mod in "?*":
                i += 1
        else:
            raise ValueError("unknown format character %r" % c)
    return out


def kind_of(arg):
    if literal(arg) is not None:
        return "s"
    if re.match(r"^\(\s*(json_int_t|int|long|long long|int64_t|size_t)\s*\)", arg):
        return "int"
    if re.match(r"^(json_(object|array|string|integer|real|true|false|null|boolean|"
                r"str|time)\w*|\w+_json)\s*\(", arg):
        return "json"
    if arg == "NULL":
        return "null"
    return None


def check_file(path, problems):
    """Check @path's calls, appending to @problems; returns how many calls were checked."""
    checked = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        src = strip_comments(f.read())
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(CALLS), src):
        name = m.group(1)
        line = src.count("\n", 0, m.start()) + 1
        try:
            args, _ = split_args(src, m.end() - 1)
        except (ValueError, IndexError):
            problems.append(f"{path}:{line}: {name}: cannot read the call")
            continue
        unpack = "unpack" in name
        # json_pack(fmt, ...), json_unpack(root, fmt, ...), *_ex(error, flags, [root,] fmt, ...)
        at = {"json_pack": 0, "json_unpack": 1, "json_pack_ex": 2, "json_unpack_ex": 3}[name]
        if len(args) <= at:
            continue  # a declaration or a macro, not a call
        fmt = literal(args[at])
        if fmt is None:
            problems.append(f"{path}:{line}: {name}: the format is not a string literal")
            continue
        try:
            want = slots(fmt, unpack)
        except ValueError as e:
            problems.append(f"{path}:{line}: {name}: {e}")
            continue
        got = args[at + 1:]
        checked += 1
        if len(want) != len(got):
            problems.append(f"{path}:{line}: {name} \"{fmt}\" takes {len(want)} arguments, "
                            f"{len(got)} given")
            continue
        if unpack:
            continue
        for n, (slot, arg) in enumerate(zip(want, got), 1):
            k = kind_of(arg)
            bad = ((slot == "s" and k in ("int", "json")) or
                   (slot in ("int", "len", "bool", "real") and k in ("s", "json", "null")) or
                   (slot == "json" and k in ("s", "int")))
            if bad:
                problems.append(f"{path}:{line}: {name} \"{fmt}\": argument {n} ({arg[:40]}) "
                                f"does not suit its slot ({slot})")
    return checked


def main(argv):
    problems, files = [], []
    for top in argv[1:]:
        if os.path.isfile(top):
            files.append(top)
        for root, _, names in os.walk(top):
            files += [os.path.join(root, x) for x in sorted(names) if x.endswith((".c", ".h"))]
    if not files:
        print("check-json-pack: no C files under " + " ".join(argv[1:]), file=sys.stderr)
        return 2
    calls = sum(check_file(path, problems) for path in files)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check-json-pack: {len(files)} files, {calls} calls checked, "
          f"{len(problems)} problem(s)")
    if not calls:
        print("check-json-pack: no json_pack call found: wrong folder?", file=sys.stderr)
        return 2
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
