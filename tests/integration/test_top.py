# SPDX-License-Identifier: GPL-2.0
"""`sockscope top` against ground truth: real clients and servers (netio) move exactly known
byte counts through every socket call, over TCP and UDP, IPv4 and IPv6, on loopback and
across a veth pair between two namespaces; sockscope must report exactly those counts for
each PID and each connection."""

import contextlib
import os
import subprocess
import time
import unittest

from tests.integration import harness as h

SEND_RECV_TCP = [("write", "read"), ("send", "recv"), ("sendto", "recvfrom"),
                 ("sendmsg", "recvmsg"), ("writev", "readv"), ("sendfile", "read"),
                 ("splice", "recv"), ("io_uring", "io_uring"), ("write", "splice")]
SEND_RECV_UDP = SEND_RECV_TCP + [("sendmmsg", "recvmmsg")]


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def norm(addr):
    return addr[7:] if addr.startswith("::ffff:") else addr


class Exchange:
    """Several client/server pairs run under one sockscope, then checked one by one."""

    def __init__(self, test, proto, family, netns=None, pairs=None, extra=(), sizes=None,
                 chunk=None):
        self.test = test
        lo = "127.0.0.1" if family == 4 else "::1"
        server_addr = lo if not netns else (netns.A4 if family == 4 else netns.A6)
        pairs = pairs or (SEND_RECV_TCP if proto == "tcp" else SEND_RECV_UDP)
        self.peers = []
        try:
            for i, (snd, rcv) in enumerate(pairs):
                n, m = sizes(i) if sizes else ((200001 + 7 * i, 30000 + 3 * i) if proto == "tcp"
                                               else (30000 + 13 * i, 5000 + i))
                self.peers.append(h.start_pair(proto, server_addr, server_addr, snd, rcv, n, m,
                                               netns.a if netns else None,
                                               netns.b if netns else None, chunk))
        except Exception:
            self.stop()
            raise
        self.pids = [p.pid for pair in self.peers for p in pair]
        self.extra = list(extra)

    def stop(self):
        for pair in self.peers:
            for p in pair:
                p.stop()

    def run(self, args=None, stop=None):
        """Starts sockscope (by default on these PIDs), lets the peers go, and waits for it to
        end by itself, or stops it with signal stop; returns (results, lines)."""
        args = args or ["top", "--json", "-i", "0.2", "-p", ",".join(map(str, self.pids))]
        sc = h.Sockscope(args + self.extra)
        try:
            for server, client in self.peers:
                server.go()
                client.go()
            results = [p.result() for pair in self.peers for p in pair]
        finally:
            self.stop()
        status, _, err = sc.finish(stop, timeout=30)
        self.test.assertEqual(status, 0, err)
        return results, sc.json_lines()


class TopCase(unittest.TestCase):
    def setUp(self):
        h.require_root(self)

    def assert_exact(self, results, lines, family, intervals=True):
        summary = {l["pid"]: l for l in h.by_type(lines, "summary")}
        conns = h.by_type(lines, "connection")
        for r in results:
            pid = r["pid"]
            self.assertIn(pid, summary, "no summary row for %s PID %d" % (r["role"], pid))
            s = summary[pid]
            self.assertEqual(s["sent_bytes"], r["sent"], "sent bytes of %r" % r)
            self.assertEqual(s["recv_bytes"], r["received"], "received bytes of %r" % r)
            mine = [c for c in conns if c["pid"] == pid]
            self.assertEqual(len(mine), 1, "one connection for %r: %r" % (r, mine))
            c = mine[0]
            self.assertEqual((c["proto"], c["family"]), (r["proto"], "ipv%d" % family))
            self.assertEqual((c["laddr"], c["lport"]), (norm(r["laddr"]), r["lport"]))
            self.assertEqual((c["raddr"], c["rport"]), (norm(r["raddr"]), r["rport"]))
            self.assertEqual((c["sent_bytes"], c["recv_bytes"]), (r["sent"], r["received"]))
            if intervals:
                rows = [l for l in h.by_type(lines, "interval") if l["pid"] == pid]
                self.assertEqual(sum(l["sent_bytes"] for l in rows), r["sent"])
                self.assertEqual(sum(l["recv_bytes"] for l in rows), r["received"])
        total = h.by_type(lines, "total")
        self.assertEqual(len(total), 1)
        self.assertEqual(total[0]["lost_events"], 0)


class TestAccuracy(TopCase):
    """Every send and receive call, exact per process and per connection."""

    def check(self, proto, family, veth):
        if veth:
            with h.NetnsPair() as ns:
                ex = Exchange(self, proto, family, ns)
                self.assert_exact(*ex.run(), family)
        else:
            ex = Exchange(self, proto, family)
            self.assert_exact(*ex.run(), family)

    def test_tcp4_loopback(self):
        self.check("tcp", 4, False)

    def test_tcp6_loopback(self):
        self.check("tcp", 6, False)

    def test_udp4_loopback(self):
        self.check("udp", 4, False)

    def test_udp6_loopback(self):
        self.check("udp", 6, False)

    def test_tcp4_veth(self):
        self.check("tcp", 4, True)

    def test_tcp6_veth(self):
        self.check("tcp", 6, True)

    def test_udp4_veth(self):
        self.check("udp", 4, True)

    def test_udp6_veth(self):
        self.check("udp", 6, True)

    def test_ipv4_mapped_is_ipv4(self):
        """A dual-stack server accepting an IPv4 client talks IPv4 on the wire."""
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
        # the server of this exchange listens on 127.0.0.1; add one listening on [::]
        server, client = h.start_pair("tcp", "::", "127.0.0.1", "write", "read", 5000, 700)
        ex.peers.append((server, client))
        ex.pids += [server.pid, client.pid]
        results, lines = ex.run()
        self.assert_exact(results, lines, 4)


class TestBypassingReceives(TopCase):
    """Reads that never pass sock_recvmsg: splice(2) from a TCP socket into a pipe, as proxies
    read, io_uring's IORING_OP_SPLICE, and getsockopt(TCP_ZEROCOPY_RECEIVE). Each attach mode this kernel has counts them
    exactly (the matrix VMs add fentry/kprobe), over IPv4 and IPv6, loopback and veth, in top
    and in trace, which names the syscall."""

    CASES = ((4, False), (6, False), (4, True), (6, True))
    # (pairs, syscalls trace may show for the receives): zerocopy falls back on a plain recv
    # when there is nothing to map or copy, at the end of the stream
    SPLICE = ([("write", "splice"), ("splice", "splice")], {"splice"})
    ZEROCOPY = ([("write", "zerocopy")], {"getsockopt", "recv"})
    # IORING_OP_SPLICE by descriptor and by registered file; the client reads its reply the
    # same way
    URING = ([("write", "uring_splice"), ("write", "uring_splice_fixed")], {"io_uring"})

    def check(self, mode, family, veth, pairs, syscalls):
        if os.environ.get("SOCKSCOPE_ATTACH"):
            self.skipTest("the matrix forces its own attach mode")
        pids = lambda ex: ["-p", ",".join(map(str, ex.pids))]
        with contextlib.ExitStack() as stack:
            ns = stack.enter_context(h.NetnsPair()) if veth else None
            ex = Exchange(self, "tcp", family, ns, pairs=pairs)
            self.assert_exact(*ex.run(["top", "--json", "-i", "0.2", "--attach", mode] +
                                      pids(ex)), family)
            ex = Exchange(self, "tcp", family, ns, pairs=pairs)
            results, lines = ex.run(["trace", "--json", "--attach", mode] + pids(ex))
        for r in results:
            evs = [l for l in h.by_type(lines, "event") if l["pid"] == r["pid"]
                   and l["dir"] == "recv"]
            self.assertEqual(sum(e["bytes"] for e in evs), r["received"])
            self.assertEqual(len(evs), r["recv_calls"])
            self.assertLessEqual({e["syscall"] for e in evs}, syscalls)
            self.assertEqual({(e["lport"], e["rport"]) for e in evs}, {(r["lport"], r["rport"])})

    def each(self, mode, how):
        for family, veth in self.CASES:
            with self.subTest(family=family, veth=veth):
                self.check(mode, family, veth, *how)

    def test_splice_tp_btf(self):
        self.each("tp_btf", self.SPLICE)

    def test_splice_raw_tp(self):
        self.each("raw_tp", self.SPLICE)

    def test_zerocopy_tp_btf(self):
        self.each("tp_btf", self.ZEROCOPY)

    def test_zerocopy_raw_tp(self):
        self.each("raw_tp", self.ZEROCOPY)

    def test_uring_splice_tp_btf(self):
        self.each("tp_btf", self.URING)

    def test_uring_splice_raw_tp(self):
        self.each("raw_tp", self.URING)


class TestKernelCheck(TopCase):
    """top --check-kernel holds the per-call sums against each TCP socket's own records
    (copied_seq, rcv_nxt, bytes_received; write_seq, snd_una, bytes_acked): they agree on
    every path sockscope counts, and a path it does not count (here io_uring's
    IORING_OP_SPLICE with the hook that counts it left out) shows as a disagreement of exactly
    its bytes."""

    def check(self, pairs, env=None):
        """Runs the pairs with their connections held open until the check has settled."""
        peers, sc = [], None
        try:
            for i, (snd, rcv) in enumerate(pairs):
                peers.append(h.start_pair("tcp", "127.0.0.1", "127.0.0.1", snd, rcv,
                                          300007 + i, 20011 + i, hold=True))
            pids = ",".join(str(p.pid) for pair in peers for p in pair)
            sc = h.Sockscope(["top", "--json", "-i", "0.2", "--check-kernel", "-p", pids],
                             env=env)
            for server, client in peers:
                server.go()
                client.go()
            results = [p.report() for pair in peers for p in pair]
            time.sleep(1.5)  # intervals in which nothing moves: the check settles
            for pair in peers:
                for p in pair:
                    p.release()
            status, _, err = sc.finish(timeout=30)
        finally:
            for pair in peers:
                for p in pair:
                    p.stop()
            if sc:
                sc.kill()
        self.assertEqual(status, 0, err)
        lines = sc.json_lines()
        total = h.by_type(lines, "kernel_check_total")
        self.assertEqual(len(total), 1, lines[-3:])
        return results, lines, total[0]

    def test_agrees_with_the_kernel(self):
        pairs = [("write", "read"), ("sendmsg", "splice"), ("writev", "zerocopy"),
                 ("splice", "recv"), ("send", "uring_splice"), ("write", "uring_splice_fixed")]
        results, lines, total = self.check(pairs)
        self.assert_exact(results, lines, 4, intervals=False)
        self.assertEqual(h.by_type(lines, "kernel_check"), [])
        self.assertEqual((total["checked"], total["disagree"]), (2 * len(pairs), 0))

    def test_catches_a_path_not_counted(self):
        """Both sides read with IORING_OP_SPLICE (the client its reply)."""
        skip = dict(os.environ, SOCKSCOPE_TEST_SKIP_HOOK="recv_bypass")
        results, lines, total = self.check([("write", "uring_splice")], env=skip)
        bad = {l["pid"]: l for l in h.by_type(lines, "kernel_check")}
        self.assertEqual(set(bad), {r["pid"] for r in results}, bad)
        for r in results:
            b = bad[r["pid"]]
            self.assertEqual(b["local"], "127.0.0.1:%d" % r["lport"])
            self.assertEqual((b["recv_bytes"], b["kernel_recv_bytes"]), (0, r["received"]))
            self.assertEqual((b["sent_bytes"], b["kernel_sent_bytes"]), (r["sent"], r["sent"]))
        self.assertEqual((total["checked"], total["disagree"]), (2, 2))


RENAMED = r"""
import ctypes, socket, sys, threading
libc = ctypes.CDLL(None)
libc.prctl(15, b"ss-mainproc")  # PR_SET_NAME: the process's (leader's) name
def worker():
    libc.prctl(15, b"ss-worker")  # this thread's own name only
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
    c = socket.create_connection(s.getsockname()); a, _ = s.accept()
    c.sendall(b"x" * 70001); got = 0
    while got < 70001:
        got += len(a.recv(65536))
    a.sendall(b"y" * 1234); assert c.recv(1234, socket.MSG_WAITALL) == b"y" * 1234
    print(threading.get_native_id(), flush=True)
    sys.stdin.read(1)  # alive, with its name, until the test has read it
    c.close(); a.close()
sys.stdin.read(1)
t = threading.Thread(target=worker); t.start(); t.join()
"""


class TestProcessNames(TopCase):
    """A row keyed by PID carries the process's name (its leader's comm, /proc/PID/comm), even
    when the thread that moved the data renamed itself; trace names the thread, by its tid."""

    def run_renamed(self, args):
        p = h.script(RENAMED)
        sc = None
        try:
            sc = h.Sockscope(args + ["-p", str(p.pid)])
            p.stdin.write("g")
            p.stdin.flush()
            tid = int(p.stdout.readline())
            with open("/proc/%d/comm" % p.pid) as f:
                leader = f.read().strip()
            with open("/proc/%d/task/%d/comm" % (p.pid, tid)) as f:
                thread = f.read().strip()
            p.stdin.write("g")
            p.stdin.close()
            p.wait(timeout=20)
        except BaseException:
            if sc:
                sc.kill()
            raise
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        status, _, err = sc.finish(timeout=30)
        self.assertEqual(status, 0, err)
        self.assertEqual((leader, thread), ("ss-mainproc", "ss-worker"))  # the witness
        return p.pid, tid, sc.json_lines()

    def test_top_rows_carry_the_process_name(self):
        pid, _, lines = self.run_renamed(["top", "--json", "-i", "0.2"])
        rows = [l for l in lines if l.get("pid") == pid]
        self.assertTrue(h.by_type(rows, "summary") and h.by_type(rows, "connection"))
        self.assertEqual({l["comm"] for l in rows}, {"ss-mainproc"})
        summary = h.by_type(rows, "summary")[0]
        self.assertEqual((summary["sent_bytes"], summary["recv_bytes"]),
                         (70001 + 1234, 70001 + 1234))

    def test_comm_filter_matches_the_process(self):
        pid, _, lines = self.run_renamed(["top", "--json", "-i", "0.2", "-c", "ss-mainproc"])
        self.assertEqual([l["comm"] for l in lines if l.get("type") == "summary"],
                         ["ss-mainproc"])

    def test_trace_names_the_thread(self):
        pid, tid, lines = self.run_renamed(["trace", "--json"])
        evs = [l for l in h.by_type(lines, "event") if l["pid"] == pid]
        self.assertEqual({(e["tid"], e["comm"]) for e in evs}, {(tid, "ss-worker")})
        self.assertEqual(sum(e["bytes"] for e in evs), 2 * (70001 + 1234))
        summary = [l for l in h.by_type(lines, "summary") if l["pid"] == pid]
        self.assertEqual([l["comm"] for l in summary], ["ss-mainproc"])


CHURN = r"""
import socket, sys
sys.stdin.read(1)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
for i in range(int(sys.argv[1])):
    c = socket.create_connection(s.getsockname()); a, _ = s.accept()
    c.sendall(b"x" * 10); assert a.recv(100) == b"x" * 10
    a.sendall(b"yy"); assert c.recv(100) == b"yy"
    c.close(); a.close()
print("done", flush=True)
sys.stdin.read(1)
"""


class TestReaping(TopCase):
    def test_closed_sockets_are_reaped(self):
        """Thousands of connections come and go: totals stay exact and the kernel's table
        holds no more than the per-CPU slots can pin, not one record per connection."""
        n = 3000
        churn = subprocess.Popen(["/usr/bin/python3", "-c", CHURN, str(n)], text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            sc = h.Sockscope(["top", "--json", "-i", "0.2", "-p", str(churn.pid)])
            churn.stdin.write("g")
            churn.stdin.flush()
            self.assertEqual(churn.stdout.readline().strip(), "done")
            time.sleep(0.5)  # a sample or two, so that notices are handled
            entries = h.map_entries(sc.proc.pid, "socks")
            churn.stdin.write("g")
            churn.stdin.close()
            churn.wait(timeout=20)
            status, _, err = sc.finish(timeout=30)
        finally:
            if churn.poll() is None:
                churn.kill()
        self.assertEqual(status, 0, err)
        self.assertLessEqual(entries, 512 * os.cpu_count() + 64)
        lines = sc.json_lines()
        total = [l for l in h.by_type(lines, "summary") if l["pid"] == churn.pid][0]
        self.assertEqual((total["sent_bytes"], total["recv_bytes"]), (n * 12, n * 12))
        # the busiest --max-conns (default 1000) are listed, the others folded and counted
        listed = len(h.by_type(lines, "connection"))
        folded = sum(f["connections"] for f in h.by_type(lines, "connections_folded"))
        self.assertEqual((listed, listed + folded), (1000, 2 * n))


if __name__ == "__main__":
    unittest.main()
