# SPDX-License-Identifier: GPL-2.0
"""The source tree's folders are its architecture (docs/HACKING.md), and each part depends
only on the parts below it: an #include that reaches up (the pure core into the readers, a
reader into a command) fails here. Needs no root and no BPF."""

import os
import re
import unittest

from tests.integration import harness as h

SRC = os.path.join(h.ROOT, "src")
# what each part may include besides itself; "." is src/ itself: sockscope.h (the records the
# kernel side and user space share) and main.c (the dispatcher)
ALLOWED = {
    "core": {"."},
    "proto": {"core", "."},
    "writers": {"core", "proto", "."},
    "tui": {"core", "writers", "."},
    "attach": {"core", "."},
    "readers": {"attach", "core", "."},
    "cmd": {"readers", "attach", "core", "writers", "proto", "tui", "."},
    ".": {"cmd", "attach", "core"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def part_of(path):
    """The part a file under src/ belongs to: its folder, "." for src/ itself."""
    rel = os.path.relpath(path, SRC)
    return rel.split(os.sep)[0] if os.sep in rel else "."


def includes():
    """(file, part, include as written, included file's part) for every include of a source
    file in src/."""
    for folder, _, names in os.walk(SRC):
        if os.path.relpath(folder, SRC).split(os.sep)[0] == "bpf":
            continue  # the kernel side has its own world (vmlinux.h)
        for name in names:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(folder, name)
            with open(path) as f:
                for inc in INCLUDE.findall(f.read()):
                    if inc.endswith(".skel.h"):
                        continue  # generated from the kernel side by bpftool
                    target = os.path.join(SRC, inc)
                    if not os.path.exists(target):
                        target = os.path.join(folder, inc)
                    yield path, part_of(path), inc, part_of(target)


class TestLayout(unittest.TestCase):
    def test_every_part_is_known(self):
        parts = {part_of(os.path.join(SRC, d, "x")) for d in os.listdir(SRC)
                 if os.path.isdir(os.path.join(SRC, d)) and d != "bpf"}
        self.assertEqual(parts - set(ALLOWED), set(), "a new folder needs its place here")

    def test_dependencies_point_down(self):
        bad = ["%s includes from %s/" % (os.path.relpath(path, h.ROOT), to)
               for path, part, _, to in includes() if to != part and to not in ALLOWED[part]]
        self.assertEqual(bad, [])

    def test_includes_name_src_rooted_paths(self):
        """One spelling per header ("core/opts.h"), so that a moved file is found by grep."""
        bad = ["%s: %s" % (os.path.relpath(path, h.ROOT), inc)
               for path, _, inc, _ in includes() if not os.path.exists(os.path.join(SRC, inc))]
        self.assertEqual(bad, [])


if __name__ == "__main__":
    unittest.main()
