# SPDX-License-Identifier: GPL-2.0
"""`sockscope conns` against the kernel's own view: for live connections the test made,
every number sockscope shows equals what `ss -tin` reports for the same socket; sockets
opened before sockscope started are found with their owner; retransmits forced with iptables
in a namespace pair match the kernel's count and split into fast and timeout; resets and
drops are attributed to the socket's owner, not to whatever ran on the CPU."""

import re
import signal
import time
import unittest

from tests.integration import harness as h


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


STATES = {"ESTAB": "ESTABLISHED", "LISTEN": "LISTEN", "SYN-SENT": "SYN_SENT",
          "FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "CLOSE-WAIT": "CLOSE_WAIT",
          "TIME-WAIT": "TIME_WAIT", "LAST-ACK": "LAST_ACK", "CLOSING": "CLOSING"}


def ss_info(lport, rport, netns=None):
    """The kernel's view of one socket, as `ss -tin` prints it."""
    cmd = (["ip", "netns", "exec", netns] if netns else []) + [
        "ss", "-tinH", "state", "all", "( sport = :%d and dport = :%d )" % (lport, rport)]
    out = h.run(cmd).stdout.split()
    if not out:
        raise AssertionError("ss does not know %d -> %d" % (lport, rport))
    info = {"state": STATES.get(out[0], out[0]), "recv_queue": int(out[1]),
            "send_queue": int(out[2])}
    text = " ".join(out[5:])
    for key, field in (("cwnd", "cwnd"), ("ssthresh", "ssthresh"),
                       ("bytes_acked", "bytes_acked"), ("bytes_received", "bytes_received")):
        m = re.search(r"\b%s:(\d+)" % field, text)
        if m:
            info[key] = int(m.group(1))
    m = re.search(r"\brtt:([\d.]+)/([\d.]+)", text)
    if m:
        info["srtt_us"] = round(float(m.group(1)) * 1000)
        info["rttvar_us"] = round(float(m.group(2)) * 1000)
    m = re.search(r"\bretrans:\d+/(\d+)", text)
    info["retrans_total"] = int(m.group(1)) if m else 0
    return info


def conns_once(pids, *extra):
    r = h.run([h.SOCKSCOPE, "conns", "--json", "--count", "1", "-i", "0.3", "-p",
               ",".join(map(str, pids))] + list(extra), timeout=60)
    if r.returncode != 0:
        raise AssertionError("conns failed: " + r.stderr)
    return [__import__("json").loads(l) for l in r.stdout.splitlines()]


def row_for(rows, report):
    mine = [r for r in rows if r["pid"] == report["pid"] and r["lport"] == report["lport"]
            and r["rport"] == report["rport"]]
    if len(mine) != 1:
        raise AssertionError("no single row for %r in %r" % (report, rows))
    return mine[0]


class ConnsCase(unittest.TestCase):
    def setUp(self):
        h.require_root(self)
        self.peers = []

    def tearDown(self):
        for p in self.peers:
            p.stop()

    def held_pair(self, n=300000, m=4000, netns=None, addr="127.0.0.1"):
        server, client = h.start_pair("tcp", addr, addr, "write", "read", n, m,
                                      netns.a if netns else None, netns.b if netns else None,
                                      hold=True)
        self.peers += [server, client]
        server.go()
        client.go()
        return server, client, server.report(), client.report()

    def blackholed_pair(self, ns, n, seconds):
        """A held pair in ns whose segments to the server are dropped for a while."""
        server, client = h.start_pair("tcp", ns.A4, ns.A4, "write", "read", n, 10, ns.a, ns.b,
                                      hold=True)
        self.peers += [server, client]
        h.run(["ip", "netns", "exec", ns.a, "iptables", "-A", "INPUT", "-p", "tcp", "--dport",
               str(server.ready["port"]), "-m", "length", "--length", "100:65535", "-j", "DROP"])
        server.go()
        client.go()
        time.sleep(seconds)
        h.run(["ip", "netns", "exec", ns.a, "iptables", "-F", "INPUT"])
        return server, client, server.report(), client.report()

    def assert_matches_ss(self, row, report, netns=None, fields=None):
        ss = ss_info(report["lport"], report["rport"], netns)
        for key in fields or ss:
            if key in ss:
                self.assertEqual(row[key], ss[key], "%s of %r" % (key, report))


class TestTable(ConnsCase):
    def test_matches_ss_for_sockets_opened_before(self):
        """Connections made before sockscope started: right owner, same numbers as ss."""
        server, client, rs, rc = self.held_pair()
        time.sleep(0.2)  # let delayed ACKs settle: the numbers must not move between reads
        rows = conns_once([server.pid, client.pid])
        for report, role in ((rs, "server"), (rc, "client")):
            row = row_for(rows, report)
            self.assertEqual((row["comm"], row["role"]), ("netio", role))
            self.assertEqual((row["laddr"], row["raddr"]), (report["laddr"], report["raddr"]))
            self.assert_matches_ss(row, report)
        listen = [r for r in rows if r["state"] == "LISTEN"]
        self.assertEqual(len(listen), 1)
        self.assertEqual((listen[0]["pid"], listen[0]["role"]), (server.pid, "listen"))

    def test_table_shows_the_kernels_bytes_for_sockets_opened_before(self):
        """The text table of connections older than sockscope: ACKED and RECEIVED are the
        kernel's counts since the connection began, as ss -ti gives them, not 0 B; AGE is
        not '>0s'; what counts only since start says so."""
        server, client, rs, rc = self.held_pair(n=700, m=300)
        time.sleep(0.2)
        r = h.run([h.SOCKSCOPE, "conns", "--count", "1", "-i", "0.3", "-p",
                   "%d,%d" % (server.pid, client.pid)], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ACKED", r.stdout)
        lines = r.stdout.splitlines()
        for report in (rs, rc):
            ss = ss_info(report["lport"], report["rport"])
            pair = "127.0.0.1:%d -> 127.0.0.1:%d" % (report["lport"], report["rport"])
            i = [n for n, l in enumerate(lines) if pair in l]
            self.assertEqual(len(i), 1, r.stdout)
            row = lines[i[0]].split()
            self.assertEqual(row[-4:], ["%d" % ss["bytes_acked"], "B",
                                        "%d" % ss["bytes_received"], "B"], lines[i[0]])
            self.assertNotEqual(row[4], ">0s")
            self.assertIn("calls since start: sent 0 B recv 0 B", lines[i[0] + 2])

    def test_owner_bytes_and_roles_seen_live(self):
        """Connections made while sockscope runs: roles seen, the owner's bytes exact."""
        sc = h.Sockscope(["conns", "--json", "-i", "0.3", "--count", "4"])
        server, client, rs, rc = self.held_pair(n=123457, m=7654)
        status, out, err = sc.finish(timeout=30)
        self.assertEqual(status, 0, err)
        rows = last_rows(sc)
        for report, role in ((rs, "server"), (rc, "client")):
            row = row_for(rows, report)
            self.assertEqual(row["role"], role)
            self.assertTrue(row["age_known"])
            self.assertEqual((row["sent_bytes"], row["recv_bytes"]),
                             (report["sent"], report["received"]))

    def test_ipv6_and_veth(self):
        with h.NetnsPair() as ns:
            server, client, rs, rc = self.held_pair(netns=ns, addr=ns.A6)
            time.sleep(0.2)
            rows = conns_once([server.pid, client.pid])
            self.assert_matches_ss(row_for(rows, rs), rs, ns.a)
            self.assert_matches_ss(row_for(rows, rc), rc, ns.b)
            self.assertEqual(row_for(rows, rc)["family"], "ipv6")

    def test_port_filters(self):
        """-d keeps the client side of a connection, -s the server side and its listener."""
        server, client, rs, rc = self.held_pair()
        other_s, other_c, _, _ = self.held_pair()
        pids = [server.pid, client.pid, other_s.pid, other_c.pid]
        rows = conns_once(pids, "-d", str(rs["lport"]))
        self.assertEqual({(r["pid"], r["lport"]) for r in rows}, {(client.pid, rc["lport"])})
        rows = conns_once(pids, "-s", str(rs["lport"]))
        self.assertEqual({(r["pid"], r["state"]) for r in rows},
                         {(server.pid, "ESTABLISHED"), (server.pid, "LISTEN")})

    def test_listen_backlog(self):
        """A listener with backlog N and more pending connections than it accepts."""
        code = ("import socket, sys, time\n"
                "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(3)\n"
                "port = s.getsockname()[1]\n"
                "cs = [socket.create_connection(('127.0.0.1', port)) for _ in range(4)]\n"
                "print(port, flush=True); sys.stdin.read(1)\n")
        p = h.script(code)
        try:
            port = int(p.stdout.readline())
            rows = conns_once([p.pid], "-s", str(port))
            ss = h.run(["ss", "-tlnH", "sport", "=", ":%d" % port]).stdout.split()
        finally:
            p.kill()
            p.wait()
        listen = [r for r in rows if r["state"] == "LISTEN"]
        self.assertEqual(len(listen), 1, rows)
        self.assertEqual(listen[0]["max_backlog"], 3)
        self.assertGreaterEqual(listen[0]["backlog"], 3)
        self.assertEqual((listen[0]["backlog"], listen[0]["max_backlog"]),
                         (int(ss[1]), int(ss[2])))

    def test_closed_kept_with_all(self):
        """-a keeps a closed connection with its final numbers; without -a it is shown in
        the one refresh after it closed."""
        self.held_pair(n=10, m=10)  # stays open, so that every refresh prints rows
        for all_flag in (True, False):
            sc = h.Sockscope(["conns", "--json", "-i", "0.3", "--count", "10"] +
                             (["-a"] if all_flag else []))
            server, client, rs, rc = self.held_pair(n=5000, m=600)
            time.sleep(0.4)
            server.release()
            client.release()
            status, out, err = sc.finish(timeout=30)
            self.assertEqual(status, 0, err)
            conns = [r for r in sc.json_lines() if r.get("type") == "conn"]
            times = sorted({r["time"] for r in conns})
            closed = [r for r in conns if r["closed"] and r["pid"] == client.pid and
                      r["lport"] == rc["lport"]]
            self.assertTrue(closed, "the closed connection is shown")
            # the events' (and the kernel's) name for it, not a word of our own
            self.assertEqual(closed[0]["state"], "CLOSE")
            # the kernel's bytes_received counts the peer's FIN as one more byte
            self.assertEqual(closed[0]["bytes_received"], 600 + 1)
            shown = sorted({r["time"] for r in closed})
            self.assertLess(shown[0], times[-1], "refreshes followed the close")
            expected = [t for t in times if t >= shown[0]] if all_flag else shown[:1]
            self.assertEqual(shown, expected)


def last_rows(sc):
    """The rows of the last refresh of a finished `conns --json`."""
    rows = [r for r in sc.json_lines() if r.get("type") == "conn"]
    last = max(r["time"] for r in rows)
    return [r for r in rows if r["time"] == last]


class TestRetransmits(ConnsCase):
    """The hooks count retransmits as they happen, so sockscope runs during the transfer."""

    def transfer_under(self, ns, rules, nbytes=3000000):
        sc = h.Sockscope(["conns", "--json", "-i", "0.3"])
        for rule in rules:
            h.run(["ip", "netns", "exec", ns.a, "iptables"] + rule.split(), timeout=20)
        server, client, rs, rc = self.held_pair(n=nbytes, m=10, netns=ns, addr=ns.A4)
        return self.row_after(sc, rc, ns)

    def row_after(self, sc, rc, ns):
        time.sleep(0.8)  # a refresh or two after the transfer, and delayed ACKs settled
        ss = ss_info(rc["lport"], rc["rport"], ns.b)
        status, _, err = sc.finish(signal.SIGINT)
        self.assertEqual(status, 0, err)
        row = row_for(last_rows(sc), rc)
        self.assertEqual(row["retrans_total"], ss["retrans_total"])
        return row

    def check_split(self, row):
        self.assertEqual(row["retrans_fast"] + row["retrans_timeout"] + row["retrans_other"],
                         row["retrans_total"], row)

    def test_random_loss_matches_kernel(self):
        # 3 MB in 64 KB offload chunks is ~190 packets, which a 2% rule can miss entirely
        with h.NetnsPair(offload=False) as ns:
            row = self.transfer_under(ns, [
                "-A INPUT -p tcp -m statistic --mode random --probability 0.02 -j DROP"])
            self.assertGreater(row["retrans_total"], 0)
            self.check_split(row)

    def test_fast_retransmit(self):
        """One data segment lost mid-stream: repaired by fast retransmit."""
        with h.NetnsPair() as ns:
            row = self.transfer_under(ns, [
                "-A INPUT -p tcp -m length --length 1000:65535 -m statistic --mode nth "
                "--every 100000 --packet 50 -j DROP"])
            self.assertGreater(row["retrans_fast"], 0, row)
            self.check_split(row)

    def test_timeout_retransmit(self):
        """Everything lost for a while: repaired after retransmission timeouts."""
        with h.NetnsPair() as ns:
            sc = h.Sockscope(["conns", "--json", "-i", "0.3"])
            server, client, rs, rc = self.blackholed_pair(ns, 200000, 1.5)
            row = self.row_after(sc, rc, ns)
            self.assertGreater(row["retrans_timeout"], 0, row)
            self.check_split(row)


class TestEvents(ConnsCase):
    def events_during(self, action, *extra):
        sc = h.Sockscope(["conns", "--events", "--json"] + list(extra))
        try:
            action()
            time.sleep(0.5)
        finally:
            status, out, err = sc.finish(signal.SIGINT)
        self.assertEqual(status, 0, err)
        return sc.json_lines()

    def test_resets_both_ways(self):
        code = ("import socket, struct, sys\n"
                "s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]\n"
                "s.close()\n"
                "c = socket.socket()\n"
                "try: c.connect(('127.0.0.1', port))\n"
                "except ConnectionRefusedError: pass\n"
                "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()\n"
                "a = socket.create_connection(l.getsockname()); b, _ = l.accept()\n"
                "print(a.getsockname()[1], b.getsockname()[1], flush=True)\n"
                "a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
                "a.close(); sys.stdin.read(1)\n")
        procs = []

        def act():
            p = h.script(code)
            procs.append(p)
            procs.append([int(x) for x in p.stdout.readline().split()])

        try:
            lines = self.events_during(act)
        finally:
            procs[0].kill()
            procs[0].wait()
        pid, (aport, bport) = procs[0].pid, procs[1]
        resets = [l for l in lines if l["type"] == "reset" and l["pid"] == pid]
        got = {(l["dir"], l["by"], l["lport"]) for l in resets}
        self.assertIn(("sent", "local", aport), got, resets)      # SO_LINGER {1,0} close
        self.assertIn(("received", "peer", bport), got, resets)  # its peer
        refused = [l for l in resets if l["dir"] == "received" and l["lport"] not in
                   (aport, bport)]
        self.assertTrue(refused, "the refused connect's reset, for its owner")
        self.assertEqual(refused[0]["by"], "peer")
        # the kernel answered the SYN for the closed port: nobody's socket sent that reset.
        # tcp:tcp_send_reset reports a reset sent for no socket since 6.10; before, only the
        # SYN it answered shows, dropped with reason NO_SOCKET (its ends seen from the port)
        ends = (refused[0]["lport"], refused[0]["rport"])
        if h.kernel_at_least(6, 10):
            kernel = [l for l in lines if l["type"] == "reset" and l["dir"] == "sent" and
                      (l["lport"], l["rport"]) == ends]
            self.assertTrue(kernel, lines)
            self.assertEqual((kernel[0]["by"], kernel[0]["pid"]), ("no_socket", 0))
        else:
            syn = [l for l in lines if l["type"] == "drop" and l["reason"] == "NO_SOCKET" and
                   (l["rport"], l["lport"]) == ends]
            self.assertTrue(syn, lines)
            self.assertEqual(syn[0]["pid"], 0)

    def test_stops_with_output_stalled(self):
        """Connections keep coming (state events) and nobody reads stdout: SIGTERM still ends
        conns --events within the 1 s grace, and the events left unread are counted."""
        code = ("import socket, threading\n"
                "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(512)\n"
                "threading.Thread(target=lambda: [l.accept()[0].close() for _ in iter(int, 1)],"
                " daemon=True).start()\n"
                "print(l.getsockname()[1], flush=True)\n"
                "while True: socket.create_connection(l.getsockname()).close()\n")
        churn = h.script(code)
        try:
            port = int(churn.stdout.readline())
            sc = h.Sockscope(["conns", "--events", "--json", "-s", str(port)])
            time.sleep(1.5)  # the pipe to sockscope is full long before this
            sc.proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            try:
                sc.proc.wait(timeout=10)
            finally:
                sc.kill()
            took = time.monotonic() - t0
        finally:
            churn.kill()
            churn.wait()
        status, _, err = sc.finish()
        self.assertLess(took, (1 + 1.0) * h.TIME_SCALE)
        self.assertEqual(status, 0, err)
        self.assertIn("still in the ring buffer at the stop", err)

    def test_state_changes(self):
        server, client = [], []

        def act():
            s, c, rs, rc = self.held_pair(n=1000, m=10)
            server.append(rs)
            client.append(rc)

        lines = self.events_during(act)
        # at SYN_SENT the local port is not chosen yet: match on the remote end
        mine = [l for l in lines if l["type"] == "state" and l["pid"] == client[0]["pid"]
                and l["rport"] == client[0]["rport"]]
        self.assertIn(("CLOSE", "SYN_SENT"), [(l["old_state"], l["new_state"]) for l in mine])
        self.assertIn(("SYN_SENT", "ESTABLISHED"),
                      [(l["old_state"], l["new_state"]) for l in mine])

    def test_netfilter_drop_attributed(self):
        with h.NetnsPair() as ns:
            def act():
                server, client, rs, rc = self.blackholed_pair(ns, 50000, 1)
                self.server_pid = server.pid

            lines = self.events_during(act)
        drops = [l for l in lines if l["type"] == "drop" and l["reason"] == "NETFILTER_DROP"]
        self.assertTrue(drops, "iptables drops reported with their reason")
        self.assertEqual({l["pid"] for l in drops}, {self.server_pid}, drops[:3])

    def test_full_receive_queue_attributed(self):
        """A receiver shrinks its buffer below the window it already advertised: what no longer
        fits is dropped (PROTO_MEM), in the sender's softirq, and the drop is the receiver's."""
        done = []

        def act():
            done.append(h.run(["/usr/bin/python3", "-c", RCVQ_FULL], timeout=30))

        lines = self.events_during(act)
        receiver, sender, port = map(int, done[0].stdout.split())
        drops = [l for l in lines if l["type"] == "drop" and l["lport"] == port]
        self.assertIn("PROTO_MEM", {l["reason"] for l in drops}, drops)
        self.assertEqual({l["pid"] for l in drops}, {receiver}, "not the sender %d" % sender)


RCVQ_FULL = r"""
import os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
port = l.getsockname()[1]
child = os.fork()
if child == 0:  # the sender: as fast as the window allows, for 1.5 s
    c = socket.create_connection(("127.0.0.1", port)); c.setblocking(False)
    end = time.time() + 1.5
    while time.time() < end:
        try: c.send(b"x" * 65536)
        except BlockingIOError: time.sleep(0.001)
    os._exit(0)
a, _ = l.accept()
time.sleep(0.05)  # the window is open; now the buffer shrinks to its minimum
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
os.waitpid(child, 0)
print(os.getpid(), child, a.getsockname()[1], flush=True)
"""

BAD_CSUM = r"""
import socket, struct, sys
src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
# ACK|PSH with one byte of data and a checksum that cannot be right
tcp = struct.pack("!HHIIBBHHH", sport, dport, 12345, 0, 5 << 4, 0x18, 65535, 0xdead, 0) + b"x"
s.sendto(tcp, (dst, 0))
"""


class TestBadChecksum(ConnsCase):
    def test_bad_checksum_attributed_by_address(self):
        """A segment with a bad checksum comes with no socket: the owner is found by address."""
        with h.NetnsPair() as ns:
            # no -i: an event no known socket matches makes conns look at the table again
            sc = h.Sockscope(["conns", "--events", "--json"])
            server, client, rs, rc = self.held_pair(netns=ns, addr=ns.A4)
            time.sleep(1)
            h.run(["ip", "netns", "exec", ns.b, "/usr/bin/python3", "-c", BAD_CSUM, rc["laddr"],
                   str(rc["lport"]), rc["raddr"], str(rc["rport"])])
            time.sleep(0.5)
            status, _, err = sc.finish(signal.SIGINT)
        self.assertEqual(status, 0, err)
        bad = [l for l in sc.json_lines() if l.get("type") == "bad_csum"]
        self.assertTrue(bad, "the bad checksum is reported")
        self.assertEqual([(l["pid"], l["lport"], l["rport"]) for l in bad],
                         [(server.pid, rs["lport"], rs["rport"])])


class TestConnsCli(unittest.TestCase):
    CASES = [(["--sort", "bogus"], "invalid sort column"), (["--udp"], "TCP connections only"),
             (["--tcp", "--udp"], "TCP connections only"),
             (["-s", "0"], "invalid source port"), (["-d", "70000"], "invalid destination port"),
             (["-i", "0"], "invalid interval"), (["-p", "x"], "invalid PID"),
             # flags that shape the table, which --events does not show
             (["-a", "--events"], "--all keeps closed connections in the table, which "
                                  "--events does not show"),
             (["--events", "--sort", "cwnd"], "--sort orders the table, which --events"),
             (["--events", "-i", "0.5"], "--interval refreshes the table, which --events")]

    def test_bad_input_exits_2(self):
        h.assert_bad_input(self, "conns", self.CASES)

    def test_sort_error_lists_columns_and_hints_once(self):
        r = h.run([h.SOCKSCOPE, "conns", "--sort", "nosuch"])
        self.assertEqual(r.stderr.count("--help"), 1, r.stderr)
        self.assertIn("expected one of pid, lport", r.stderr)

    def test_help_offers_no_udp(self):
        """conns refuses --udp, so its help does not list it; the others say what both mean."""
        self.assertNotIn("--udp", h.run([h.SOCKSCOPE, "conns", "--help"]).stdout)
        self.assertIn("--tcp / --udp       only TCP / UDP (both given: both",
                      h.run([h.SOCKSCOPE, "top", "--help"]).stdout)


if __name__ == "__main__":
    unittest.main()
