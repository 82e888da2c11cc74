# SPDX-License-Identifier: GPL-2.0
"""A short run of every command on real traffic, for the sanitized build (`make sanitize`
runs it with SOCKSCOPE_BIN set to build/san/sockscope). With ASan and UBSan built in with
-fno-sanitize-recover=all and halt_on_error, any report ends the program at once with
SAN_EXIT: each run here must end with its own status and no report. Not named test_*: the
ordinary integration run does not pick it up."""

import signal
import socket
import unittest

from tests.integration import harness as h

SAN_EXIT = 86  # the exitcode `make sanitize` gives ASan and UBSan
REPORTS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


class TestSmoke(unittest.TestCase):
    def setUp(self):
        h.require_root(self)

    def assert_clean(self, status, err, ok=(0,)):
        for r in REPORTS:
            self.assertNotIn(r, err)
        self.assertNotEqual(status, SAN_EXIT, err)
        self.assertIn(status, ok, err)

    def exchange(self, args, sig=signal.SIGINT, nbytes=100000):
        """args watching a netio pair that moves nbytes; returns the pair's results and
        sockscope's (status, stdout, stderr)."""
        server, client = h.start_pair("tcp", "127.0.0.1", "127.0.0.1", "send", "recv",
                                      nbytes, 1000)
        sc = None
        try:
            pids = "%d,%d" % (server.pid, client.pid)
            sc = h.Sockscope([a.replace("PIDS", pids) for a in args], ready_timeout=60)
            server.go()
            client.go()
            truth = (server.result(), client.result())
            return truth, sc.finish(sig, timeout=60)
        finally:
            server.stop()
            client.stop()
            if sc:
                sc.kill()

    def test_top(self):
        (srv, cli), (status, out, err) = self.exchange(["top", "-p", "PIDS", "-i", "0.2",
                                                        "--json"])
        self.assert_clean(status, err)
        rows = {l["pid"]: l for l in h.by_type(h.json.loads("[%s]" % ",".join(
            l for l in out.splitlines() if l.startswith("{"))), "summary")}
        self.assertEqual(rows[cli["pid"]]["sent_bytes"], cli["sent"])
        self.assertEqual(rows[srv["pid"]]["recv_bytes"], srv["received"])

    def test_top_and_trace_with_no_rows(self):
        """Nothing matches: the summaries have no rows at all."""
        for args in (["top", "-c", "no-such-comm", "-i", "0.1", "--count", "2"],
                     ["trace", "-c", "no-such-comm", "--duration", "0.5"]):
            with self.subTest(args=args):
                r = h.run([h.SOCKSCOPE] + args, timeout=60)
                self.assert_clean(r.returncode, r.stderr)
                self.assertIn("Total sent:     0 bytes", r.stdout)

    def test_trace(self):
        _, (status, out, err) = self.exchange(["trace", "-p", "PIDS", "--payload", "--hex"])
        self.assert_clean(status, err)
        self.assertIn("Total sent:", out)

    def test_conns(self):
        _, (status, out, err) = self.exchange(["conns", "-a", "-i", "0.2"])
        self.assert_clean(status, err)
        _, (status, out, err) = self.exchange(["conns", "--events", "--json"])
        self.assert_clean(status, err)

    def test_serve(self):
        port = free_port()
        sc = h.Sockscope(["serve", "--listen", "127.0.0.1:%d" % port, "-i", "0.2"],
                         ready_timeout=60)
        try:
            r = h.run(["curl", "-sf", "http://127.0.0.1:%d/metrics" % port], timeout=30)
            self.assertIn("sockscope_sent_bytes_total", r.stdout)
            status, _, err = sc.finish(signal.SIGTERM, timeout=60)
        finally:
            sc.kill()
        self.assert_clean(status, err)

    def test_doctor(self):
        r = h.run([h.SOCKSCOPE, "doctor"], timeout=120)
        self.assert_clean(r.returncode, r.stderr + r.stdout, ok=(0, 1))


if __name__ == "__main__":
    unittest.main()
