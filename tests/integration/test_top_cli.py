# SPDX-License-Identifier: GPL-2.0
"""How `sockscope top` starts and ends: bad input (exit 2, one line), missing privilege
(exit 1), signals, --count, --duration, a closed pipe, and no BPF program left behind."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

from tests.integration import harness as h


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def free_pid():
    pid = 4000000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


class TestBadInput(unittest.TestCase):
    CASES = [
        (["-p", "abc"], "invalid PID"),
        (["-p", "0"], "invalid PID"),
        (["-p", "-5"], "invalid PID"),
        (["-p", "1,,2"], "empty entry"),
        (["-p", str(free_pid())], "no process with PID"),
        (["-i", "0"], "invalid interval"),
        (["-i", "x"], "invalid interval"),
        (["--count", "-1"], "invalid count"),
        (["--duration", "0"], "invalid duration"),
        (["-s", "0"], "invalid source port"),
        (["-d", "65536"], "invalid destination port"),
        (["-d", "x"], "invalid destination port"),
        (["--by", "user"], "invalid grouping"),
        (["--attach", "magic"], "invalid attach mode"),
        (["-c", "a-name-too-long-for-comm"], "invalid process name"),
        (["--cgroup", "/nonexistent"], "invalid cgroup"),
        (["--bogus"], "unknown option '--bogus'"),
        (["-x"], "unknown option '-x'"),
        (["-p"], "needs a value"),
        (["stray"], "unexpected argument"),
        # not echoed whole: its start and its length
        (["-c", "x" * 10000], "'%s... (10000 bytes)'" % ("x" * 40)),
    ]

    def test_bad_input_exits_2_with_one_line(self):
        h.assert_bad_input(self, "top", self.CASES)
        r = h.run([h.SOCKSCOPE, "top", "-c", "x" * 10000])
        self.assertLess(len(r.stderr), 200, "a long value is echoed whole")

    def test_not_a_cgroup2_directory(self):
        """A directory that is not on cgroupfs v2 (statfs's magic says): exit 2, one line."""
        with tempfile.TemporaryDirectory() as d:
            h.assert_bad_input(self, "top", [(["--cgroup", d], "not a cgroup v2 directory")])

    def test_empty_command(self):
        r = h.run([h.SOCKSCOPE, ""])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "sockscope: empty command (see 'sockscope --help')\n")

    def test_unknown_command(self):
        for args in (["tpo"], ["--frobnicate"], []):
            r = h.run([h.SOCKSCOPE] + args)
            self.assertEqual(r.returncode, 2)
            self.assertTrue(r.stderr.strip())

    def test_help_and_version(self):
        for args in (["--help"], ["top", "--help"], ["doctor", "--help"], ["--version"],
                     ["conns", "--version"], ["trace", "-V"]):
            r = h.run([h.SOCKSCOPE] + args)
            self.assertEqual(r.returncode, 0, args)
            self.assertTrue(r.stdout)

    def test_prefix_command(self):
        r = h.run([h.SOCKSCOPE, "to", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("sockscope top", r.stdout)


class TestLifecycle(unittest.TestCase):
    def setUp(self):
        h.require_root(self)

    def test_not_root_exits_1(self):
        """Every command says what privilege it lacks, exit 1; doctor --json stays JSON."""
        for args in (["top"], ["trace"], ["conns"], ["serve", "--textfile", "/tmp/ss.prom"],
                     ["doctor"], ["doctor", "--json"]):
            r = h.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       "--inh-caps=-all", h.SOCKSCOPE] + args)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1, (args, r.stderr))
            self.assertIn("root", r.stderr)
            self.assertIn("CAP_BPF", r.stderr)
            if "--json" in args:
                kinds = [json.loads(l)["type"] for l in r.stdout.splitlines()]
                self.assertEqual(kinds, ["machine"], r.stdout)

    def test_forced_mode_unavailable_exits_1(self):
        """On a kernel that refuses a forced mode, say which hook and why; exit 1."""
        for mode in ("fentry", "kprobe"):
            r = h.run([h.SOCKSCOPE, "top", "--attach", mode, "--count", "1", "-i", "0.1"])
            if r.returncode == 0:
                continue  # this kernel allows it
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(mode, r.stderr)
            self.assertIn("sock_send", r.stderr)

    def check_signal(self, sig):
        sc = h.Sockscope(["top", "-i", "0.2"])
        time.sleep(0.5)
        status, out, err = sc.finish(sig)
        self.assertEqual(status, 0, err)
        sc.assert_unloaded(self)
        self.assertIn("SUMMARY", out)
        self.assertIn("Events lost:    0", out)

    def test_sigint_prints_summary(self):
        self.check_signal(signal.SIGINT)

    def test_sigterm_prints_summary(self):
        self.check_signal(signal.SIGTERM)

    def test_count(self):
        r = h.run([h.SOCKSCOPE, "top", "-i", "0.2", "--count", "3"], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(re.findall(r"^\S+  \d+ active", r.stdout, re.M)), 3)
        self.assertIn("SUMMARY", r.stdout)

    def test_duration(self):
        t0 = time.time()
        r = h.run([h.SOCKSCOPE, "top", "-i", "5", "--duration", "1"], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.time() - t0, 4)
        self.assertIn("SUMMARY", r.stdout)

    def test_closed_pipe_ends_quietly(self):
        r = subprocess.run(["bash", "-c", "set -o pipefail; %s top -i 0.1 | head -1; "
                            "echo \"status=${PIPESTATUS[0]}\" >&2" % h.SOCKSCOPE],
                           capture_output=True, text=True, timeout=30)
        self.assertIn("status=0", r.stderr)
        self.assertEqual(r.stderr.strip(), "status=0")

    def test_summary_says_one_call(self):
        """One byte in one call each way (netio's own count): singular, not "1 calls"."""
        server, client = h.start_pair("tcp", "127.0.0.1", "127.0.0.1", "write", "read", 1, 0)
        try:
            sc = h.Sockscope(["top", "-i", "0.2", "-p", "%d,%d" % (server.pid, client.pid)])
            server.go()
            client.go()
            rs, rc = server.result(), client.result()
        finally:
            server.stop()
            client.stop()
        status, out, err = sc.finish(timeout=30)
        self.assertEqual(status, 0, err)
        self.assertEqual((rc["sent"], rc["send_calls"], rs["received"], rs["recv_calls"]),
                         (1, 1, 1, 1))
        self.assertIn("Total sent:     1 byte (1 B) in 1 call\n", out)
        self.assertIn("Total received: 1 byte (1 B) in 1 call\n", out)

    def test_closed_pipe_noticed_between_writes(self):
        """top --json writes only once an interval: its reader's exit is noticed before."""
        p = subprocess.Popen([h.SOCKSCOPE, "top", "--json", "-i", "30", "-v"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while h.READY_LINE not in p.stderr.readline():
                pass
            p.stdout.close()  # as `| head -1` does once it has its line
            t0 = time.monotonic()
            p.wait(timeout=10)
            self.assertLess(time.monotonic() - t0, 1.0)
            self.assertEqual(p.returncode, 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_all_pids_exit(self):
        """With -p, top ends by itself once every named process is gone."""
        sleeper = subprocess.Popen(["sleep", "1"])
        r = h.run([h.SOCKSCOPE, "top", "-i", "0.2", "-p", str(sleeper.pid)], timeout=30)
        sleeper.wait()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("SUMMARY", r.stdout)


if __name__ == "__main__":
    unittest.main()
