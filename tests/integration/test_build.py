# SPDX-License-Identifier: GPL-2.0
"""The build as users drive it: `make CFLAGS=...` and `EXTRA_CFLAGS` keep the flags the build
needs, and `make install DESTDIR=...` installs every file the man page points at. No BPF and
no root needed."""

import os
import re
import shlex
import subprocess
import tempfile
import unittest

from tests.integration import harness as h

DOCDIR = "/usr/local/share/doc/sockscope"


def make(*args, timeout=300):
    return subprocess.run(["make", "--no-print-directory", "-C", h.ROOT] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def compile_line(build, *args):
    """The command make would run to compile src/core/agg.c into a fresh build directory."""
    r = make("-n", "-B", "BUILD=" + build, *args, build + "/obj/core/agg.o")
    lines = [l for l in r.stdout.splitlines() if "src/core/agg.c" in l and " -c " in l]
    if r.returncode or len(lines) != 1:
        raise AssertionError("make -n: %s%s" % (r.stdout, r.stderr))
    return shlex.split(lines[0])


class TestFlags(unittest.TestCase):
    NEEDED = ("-Werror", "-Isrc", "-std=gnu11", "-D_GNU_SOURCE", "-MMD")

    def test_cflags_on_command_line_keep_the_build_flags(self):
        with tempfile.TemporaryDirectory() as tmp:
            argv = compile_line(tmp, "CFLAGS=-O0 -g3")
        for flag in ("-O0", "-g3", "-I" + tmp + "/skel") + self.NEEDED:
            self.assertIn(flag, argv)
        self.assertNotIn("-O2", argv)

    def test_extra_cflags_add_to_the_defaults(self):
        with tempfile.TemporaryDirectory() as tmp:
            argv = compile_line(tmp, "EXTRA_CFLAGS=-DSS_EXTRA_FLAG=1")
        for flag in ("-O2", "-g", "-DSS_EXTRA_FLAG=1") + self.NEEDED:
            self.assertIn(flag, argv)


class TestInstall(unittest.TestCase):
    def test_installs_what_the_man_page_references(self):
        if not os.path.exists(h.SOCKSCOPE):
            self.skipTest("build first")
        with tempfile.TemporaryDirectory() as dest:
            r = make("install", "DESTDIR=" + dest)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(dest + "/usr/local/share/man/man8/sockscope.8") as f:
                man = f.read().replace("\\-", "-")
            self.assertTrue(os.access(dest + "/usr/local/sbin/sockscope", os.X_OK))
            paths = set(re.findall(r"(/usr/[\w./-]*\w)", man))
            self.assertIn(DOCDIR + "/json.md", paths)
            for p in paths:
                with self.subTest(path=p):
                    self.assertTrue(os.path.exists(dest + p), p)
            files = man.split(".SH FILES", 1)[1].split(".SH", 1)[0]
            named = re.findall(r"\b([\w-]+\.md)\b", files)
            self.assertIn("json.md", named)
            for name in named:
                with self.subTest(doc=name):
                    self.assertTrue(os.path.isfile(os.path.join(dest + DOCDIR, name)), name)
            with open(dest + DOCDIR + "/json.md") as a, open(h.ROOT + "/docs/json.md") as b:
                self.assertEqual(a.read(), b.read())
            self.assertNotIn("see docs/", man)


if __name__ == "__main__":
    unittest.main()
