# SPDX-License-Identifier: GPL-2.0
"""Each capability's BPF object loads on its own: doctor loads every one for real and tells
which program the kernel refuses; a capability that cannot load stops only the subcommands
that need it, with one line naming the program and the verifier's reason. The refusal is
real: SOCKSCOPE_TEST_FAIL_LOAD points one program of that object at a tracepoint whose
arguments it does not have, and the kernel's verifier rejects it."""

import json
import os
import unittest

from tests.integration import harness as h
from tests.integration.test_top import Exchange, TopCase


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def failing(cap):
    return dict(os.environ, SOCKSCOPE_TEST_FAIL_LOAD=cap)


def doctor_objects(env=None):
    r = h.run([h.SOCKSCOPE, "doctor", "--json"], timeout=60, env=env)
    objs = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    return r.returncode, [o for o in objs if o["type"] == "object"]


class TestDoctorLoads(unittest.TestCase):
    def setUp(self):
        h.require_root(self)

    def test_every_object_loads(self):
        status, objs = doctor_objects()
        self.assertEqual({o["object"] for o in objs}, {"io", "trace", "conns"})
        self.assertTrue(any("--payload" in o["commands"] for o in objs))
        self.assertTrue(any(o["commands"] == "serve" for o in objs))
        bad = [o for o in objs if not o["loads"]]
        self.assertEqual(bad, [])
        self.assertEqual(status, 0)

    def test_names_the_refused_program(self):
        status, objs = doctor_objects(failing("conns"))
        self.assertEqual(status, 1)
        for o in objs:
            if o["object"] != "conns":
                self.assertTrue(o["loads"], o)
                continue
            self.assertFalse(o["loads"], o)
            # the program, then the verifier's own words after the colon
            self.assertRegex(o["why"], r"BPF program 'conn_\w+' \(conns capability\): \S")
            self.assertNotIn("PROG LOAD LOG", o["why"])

    def test_table_says_refused(self):
        r = h.run([h.SOCKSCOPE, "doctor"], timeout=60, env=failing("trace"))
        self.assertEqual(r.returncode, 1)
        refused = [l for l in r.stdout.splitlines() if "REFUSED" in l]
        self.assertEqual(len(refused), 2, r.stdout)  # trace, and trace --payload
        self.assertTrue(all(l.split()[0] == "trace" for l in refused), refused)


class TestOneCapabilityDown(TopCase):
    def assert_refused(self, argv, cap, prefix):
        r = h.run([h.SOCKSCOPE] + argv, timeout=60, env=failing(cap))
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertRegex(lines[0], r"BPF program '%s\w+' \(%s capability\): \S" % (prefix, cap))
        self.assertIn("sockscope doctor", lines[0])

    def test_conns_exits_1_with_one_line(self):
        self.assert_refused(["conns", "--count", "1"], "conns", "conn_")

    def test_trace_exits_1_with_one_line(self):
        self.assert_refused(["trace", "--duration", "1"], "trace", "sock_")

    def test_top_exits_1_without_io(self):
        self.assert_refused(["top", "--count", "1"], "io", "sock_")

    def test_verbose_shows_the_whole_log(self):
        r = h.run([h.SOCKSCOPE, "conns", "--count", "1", "-v"], timeout=60,
                  env=failing("conns"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("BEGIN PROG LOAD LOG", r.stderr)

    def test_top_counts_exactly_while_conns_cannot_load(self):
        os.environ["SOCKSCOPE_TEST_FAIL_LOAD"] = "conns,trace"
        try:
            ex = Exchange(self, "tcp", 4)
            results, lines = ex.run()
        finally:
            del os.environ["SOCKSCOPE_TEST_FAIL_LOAD"]
        self.assert_exact(results, lines, 4)


if __name__ == "__main__":
    unittest.main()
