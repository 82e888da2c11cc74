# SPDX-License-Identifier: GPL-2.0
"""Connection churn: top, trace and serve keep their memory bounded however many connections
come and go, with per-process totals exact against what the churn's own calls returned; the
summary lists the busiest --max-conns connections and folds the rest into one row per process
with its count and exact totals."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

from tests.integration import harness as h

CHURN = os.path.join(h.ROOT, "build", "tests", "churn")
# Memory growth allowed between 10,000 and 100,000 connections: what the allocator may
# still hand out while tables settle; one closed connection kept for each costs ~600 bytes,
# so keeping them all would add ~50 MiB.
SLACK_KIB = 4096


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def rss_kib(sc):
    """VmRSS of a running sockscope."""
    if sc.proc.poll() is None:
        with open("/proc/%d/status" % sc.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    sc.kill()
    raise AssertionError("%s ended early (status %s): %s" % (
        sc.args[1], sc.proc.returncode, "".join(sc.stderr_lines) + sc.proc.stderr.read()))


class Churn:
    """The churn helper: a server and its client child, one wave per go()."""

    def __init__(self, addr, conns, waves, nbytes, step=0):
        self.proc = subprocess.Popen([CHURN, addr, str(conns), str(waves), str(nbytes),
                                      str(step)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        ready = h.json.loads(self.proc.stdout.readline())
        self.server, self.client = ready["server_pid"], ready["client_pid"]

    def wave(self):
        self.proc.stdin.write("g")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("churn failed")
        return h.json.loads(line)

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except h.subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class Drained:
    """A sockscope whose stdout is read as it comes (trace prints every call, top every
    interval), keeping only the lines that are not trace's events."""

    def __init__(self, args):
        self.sc = h.Sockscope(args)
        self.kept = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.sc.proc.stdout:
            if not line.startswith('{"type":"event"'):
                self.kept.append(line)

    def finish(self):
        self.sc.proc.send_signal(signal.SIGINT)
        self.reader.join(timeout=60)
        self.sc.proc.wait(timeout=30)
        return [h.json.loads(l) for l in self.kept if l.startswith("{")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape_bytes(port, pid):
    """serve's sent and received bytes of one process (TCP)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for name in ("sockscope_sent_bytes_total", "sockscope_received_bytes_total"):
        m = re.search(r'^%s\{pid="%d",[^}]*proto="tcp"\} (\d+)$' % (name, pid), text, re.M)
        out[name] = int(m.group(1)) if m else None
    return out["sockscope_sent_bytes_total"], out["sockscope_received_bytes_total"]


def per_pid(lines, kind):
    return {l["pid"]: l for l in h.by_type(lines, kind)}


class TestChurn(unittest.TestCase):
    """100,000 short connections under top, trace and serve at once (bench/churn.sh: a
    million, through CHURN_CONNS), in waves of 10,000."""

    CONNS = int(os.environ.get("CHURN_CONNS", "100000"))
    WAVES, BYTES = max(2, CONNS // 10000), 100

    def setUp(self):
        h.require_root(self)
        if not os.path.exists(CHURN):
            self.skipTest("build the helpers first (make helpers)")

    def assert_summary_exact(self, lines, truth, churn, what):
        rows = per_pid(lines, "summary")
        folds = per_pid(lines, "connections_folded")
        total = h.by_type(lines, "total")[0]
        listed = h.by_type(lines, "connection")
        self.assertEqual(total["max_conns"], 1000, what)
        self.assertEqual(total["connections_listed"], 1000, what)
        self.assertEqual(total["connections"], 2 * self.CONNS, what)
        for pid, side in ((churn.server, "server"), (churn.client, "client")):
            want = (truth[side]["sent"], truth[side]["received"])
            self.assertEqual((rows[pid]["sent_bytes"], rows[pid]["recv_bytes"]), want,
                             "%s: %s totals" % (what, side))
            mine = [c for c in listed if c["pid"] == pid]
            self.assertEqual(len(mine) + folds[pid]["connections"], self.CONNS, what)
            self.assertEqual((sum(c["sent_bytes"] for c in mine) + folds[pid]["sent_bytes"],
                              sum(c["recv_bytes"] for c in mine) + folds[pid]["recv_bytes"]),
                             want, "%s: %s listed + folded" % (what, side))

    def test_memory_flat_and_totals_exact(self):
        churn = Churn("127.0.0.1", self.CONNS, self.WAVES, self.BYTES)
        pids = "%d,%d" % (churn.server, churn.client)
        port = free_port()
        top = trace = serve = None
        try:
            top = Drained(["top", "-p", pids, "-i", "0.25", "--json", "--max-conns", "1000"])
            trace = Drained(["trace", "-p", pids, "--json"])
            serve = h.Sockscope(["serve", "-p", pids, "--listen", "127.0.0.1:%d" % port,
                                 "--interval", "0.25"])
            watched = {"top": top.sc, "trace": trace.sc, "serve": serve}
            start = time.time()
            churn.wave()
            time.sleep(2.5)  # every one has sampled, trace once a second
            first = {k: rss_kib(p) for k, p in watched.items()}
            for _ in range(self.WAVES - 1):
                truth = churn.wave()
            self.assertLess(time.time() - start, 240 * self.WAVES / 10, "the churn took too long")
            time.sleep(2.5)
            last = {k: rss_kib(p) for k, p in watched.items()}
            for k in watched:  # for bench/churn.sh's record
                print("churn: %s VmRSS %d KiB after %d sockets (both ends), %d KiB after %d" % (
                    k, first[k], 2 * self.CONNS // self.WAVES, last[k], 2 * self.CONNS),
                    file=sys.stderr)
            for k in watched:
                self.assertLessEqual(last[k] - first[k], SLACK_KIB,
                                     "%s: VmRSS %d KiB after 10,000 connections, %d KiB after "
                                     "%d" % (k, first[k], last[k], self.CONNS))
            for pid, side in ((churn.server, "server"), (churn.client, "client")):
                self.assertEqual(scrape_bytes(port, pid),
                                 (truth[side]["sent"], truth[side]["received"]), "serve")
            self.assert_summary_exact(top.finish(), truth, churn, "top")
            self.assert_summary_exact(trace.finish(), truth, churn, "trace")
        finally:
            for sc in (top and top.sc, trace and trace.sc, serve):
                if sc:
                    sc.kill()
            churn.stop()


class TestFold(unittest.TestCase):
    """A summary with more connections than --max-conns: the busiest listed, a row per
    process for the rest, with its count and exact totals."""

    CONNS, BYTES, STEP, MAX = 20, 1000, 100, 5

    def setUp(self):
        h.require_root(self)
        if not os.path.exists(CHURN):
            self.skipTest("build the helpers first (make helpers)")

    def run_top(self, json):
        churn = Churn("127.0.0.1", self.CONNS, 1, self.BYTES, self.STEP)
        pids = "%d,%d" % (churn.server, churn.client)
        args = ["top", "-p", pids, "-i", "0.25", "--max-conns", str(self.MAX)]
        sc = h.Sockscope(args + (["--json"] if json else []))
        try:
            truth = churn.wave()
            time.sleep(1)  # closed connections are weighed a sample after they close
            sc.finish(signal.SIGINT)
        finally:
            sc.kill()
            churn.stop()
        return churn, truth, sc

    def test_json(self):
        churn, truth, sc = self.run_top(True)
        lines = sc.json_lines()
        sizes = [self.BYTES + i * self.STEP + 1 for i in range(self.CONNS)]
        listed = h.by_type(lines, "connection")
        folds = per_pid(lines, "connections_folded")
        total = h.by_type(lines, "total")[0]
        # both ends of connection i moved sizes[i] bytes: the five busiest are the two ends
        # of the largest two, and one end of the third
        want = sorted(sizes * 2, reverse=True)[:self.MAX]
        self.assertEqual(sorted((c["sent_bytes"] + c["recv_bytes"] for c in listed),
                                reverse=True), want)
        self.assertEqual((total["connections"], total["connections_listed"],
                          total["max_conns"]), (2 * self.CONNS, self.MAX, self.MAX))
        for pid, side in ((churn.server, "server"), (churn.client, "client")):
            mine = [c for c in listed if c["pid"] == pid]
            self.assertEqual(folds[pid]["connections"], self.CONNS - len(mine), side)
            self.assertEqual(folds[pid]["sent_bytes"],
                             truth[side]["sent"] - sum(c["sent_bytes"] for c in mine), side)
            self.assertEqual(folds[pid]["recv_bytes"],
                             truth[side]["received"] - sum(c["recv_bytes"] for c in mine), side)
            self.assertEqual(folds[pid]["comm"], "churn")

    def test_table(self):
        churn, truth, sc = self.run_top(False)
        out = sc.stdout
        self.assertIn("Per connection (%d of %d listed, the busiest; --max-conns %d):"
                      % (self.MAX, 2 * self.CONNS, self.MAX), out)
        rows = re.findall(r"^ *(\d+) churn +- +\((\d+) more connections\) +([\d,]+) +([\d,]+)$",
                          out, re.M)
        got = {int(p): (int(n), int(s.replace(",", "")), int(r.replace(",", "")))
               for p, n, s, r in rows}
        conn_rows = re.findall(r"^ *(\d+) churn +tcp +\S+ -> \S+ +([\d,]+) +([\d,]+)$", out,
                               re.M)
        self.assertEqual(len(conn_rows), self.MAX, out)
        for pid, side in ((churn.server, "server"), (churn.client, "client")):
            mine = [(int(s.replace(",", "")), int(r.replace(",", "")))
                    for p, s, r in conn_rows if int(p) == pid]
            self.assertEqual(got[pid], (self.CONNS - len(mine),
                                        truth[side]["sent"] - sum(s for s, _ in mine),
                                        truth[side]["received"] - sum(r for _, r in mine)), out)


if __name__ == "__main__":
    unittest.main()
