# SPDX-License-Identifier: GPL-2.0
"""Checks `sockscope doctor` output kept from a VM of the kernel matrix: in both its text and
its JSON form, the counting hooks (sock_send, sock_recv) of io (the section that begins with
`top`) and of trace (the one that begins with `trace`) must be USED in the expected attach mode, and each mode the matrix forces on this kernel must work.

    check_doctor.py DOCTOR.txt DOCTOR.json EXPECTED_MODE|- [MODE_THAT_MUST_WORK...]

Prints one line per check, `<PASS|FAIL>\t<what>\t<detail>`; exit status 1 on any FAIL."""

import json
import re
import sys

HOOKS = ("sock_send", "sock_recv")
# each capability's section is named by the commands that load it, the first one its own
COMMANDS = ("top", "trace")
ROW = re.compile(r"^  (\S+)?\s+(tp_btf|raw_tp|fentry|kprobe|cgroup|tracepoint)\s+(USED|works|no)\b")


def parse_text(path):
    """{(commands, hook, mode): state} from the tables of the text form."""
    table, section, hook = {}, None, None
    with open(path) as f:
        for line in f:
            if re.match(r"^\S.*:$", line):
                section, hook = line.strip()[:-1], None
                continue
            m = ROW.match(line)
            if m and section:
                hook = m.group(1) or hook
                table[(section, hook, m.group(2))] = m.group(3)
    return table


def parse_json(path):
    table = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            o = json.loads(line)
            if o.get("type") == "hook":
                state = "USED" if o.get("used") else "works" if o.get("works") else "no"
                table[(o["commands"], o["hook"], o["mode"])] = state
    return table


def check(form, table, want, states):
    """One line: every counting hook of every command is in one of states for mode want."""
    bad = []
    for cmd in COMMANDS:
        for hook in HOOKS:
            mine = {mode: st for (c, h, mode), st in table.items()
                    if (c.split(", ")[0], h) == (cmd, hook)}
            used = [mode for mode, st in mine.items() if st == "USED"]
            ok = used == [want] if states == ("USED",) else mine.get(want) in states
            if not ok:
                bad.append("%s %s: %s" % (cmd, hook, " ".join(
                    "%s=%s" % kv for kv in sorted(mine.items())) or "not listed"))
    what = "uses" if states == ("USED",) else "can use"
    print("%s\tdoctor %s: sock_send, sock_recv (top, trace) %s %s\t%s" % (
        "FAIL" if bad else "PASS", form, what, want, "; ".join(bad)))
    return not bad


def main():
    txt, js, expected, must_work = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    ok = True
    for form, table in (("text", parse_text(txt)), ("json", parse_json(js))):
        if expected != "-":
            ok &= check(form, table, expected, ("USED",))
        for mode in must_work:
            ok &= check(form, table, mode, ("USED", "works"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
