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


class TestSplicedReceives(TopCase):
    """splice(2) from a TCP socket into a pipe, as proxies read, never passes sock_recvmsg:
    each attach mode this kernel has counts it exactly (the matrix VMs add fentry/kprobe),
    over IPv4 and IPv6, loopback and veth, in top and in trace (as syscall `splice`)."""

    PAIRS = [("write", "splice"), ("splice", "splice")]

    def exchange(self, family, ns):
        return Exchange(self, "tcp", family, ns, pairs=self.PAIRS)

    def check(self, mode, family, veth):
        if os.environ.get("SOCKSCOPE_ATTACH"):
            self.skipTest("the matrix forces its own attach mode")
        pids = lambda ex: ["-p", ",".join(map(str, ex.pids))]
        with contextlib.ExitStack() as stack:
            ns = stack.enter_context(h.NetnsPair()) if veth else None
            ex = self.exchange(family, ns)
            self.assert_exact(*ex.run(["top", "--json", "-i", "0.2", "--attach", mode] +
                                      pids(ex)), family)
            ex = self.exchange(family, ns)
            results, lines = ex.run(["trace", "--json", "--attach", mode] + pids(ex))
        for r in results:
            evs = [l for l in h.by_type(lines, "event") if l["pid"] == r["pid"]
                   and l["dir"] == "recv"]
            self.assertEqual(sum(e["bytes"] for e in evs), r["received"])
            self.assertEqual(len(evs), r["recv_calls"])
            self.assertEqual({e["syscall"] for e in evs}, {"splice"})
            self.assertEqual({(e["lport"], e["rport"]) for e in evs}, {(r["lport"], r["rport"])})

    def test_tp_btf(self):
        for family, veth in ((4, False), (6, False), (4, True), (6, True)):
            with self.subTest(family=family, veth=veth):
                self.check("tp_btf", family, veth)

    def test_raw_tp(self):
        for family, veth in ((4, False), (6, False), (4, True), (6, True)):
            with self.subTest(family=family, veth=veth):
                self.check("raw_tp", family, veth)


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
        self.assertEqual(len(h.by_type(lines, "connection")), 2 * n)


if __name__ == "__main__":
    unittest.main()
