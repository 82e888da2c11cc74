# SPDX-License-Identifier: GPL-2.0
"""`sockscope trace` against ground truth: every event of a netio exchange carries the right
syscall, byte count and connection; captured payloads equal, byte for byte, what netio sent
and received; filters drop exactly what they should; a deliberately small ring buffer loses
events, and the count of lost events is exactly what was emitted minus what was printed."""

import base64
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

from tests.integration import harness as h
from tests.integration.payload import stream_bytes
from tests.integration.test_top import Exchange, SEND_RECV_TCP, SEND_RECV_UDP, TopCase

NO_PAYLOAD = {"sendfile", "splice", "io_uring"}  # the data is not in the caller's memory
KERNEL = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def events_of(lines, pid):
    """A process's events in the order printed, which for one thread is the order of its calls.
    Not sorted by ts_ns: each CPU reads its own clock, and in a VM the clocks of two vCPUs can
    differ by more than the gap between two reads of a thread that moved between them."""
    return [l for l in h.by_type(lines, "event") if l["pid"] == pid]


class TraceCase(TopCase):
    def trace(self, ex, *extra):
        args = ["trace", "--json", "-p", ",".join(map(str, ex.pids))] + list(extra)
        return ex.run(args)

    def check_events(self, results, lines, pairs, payload=None):
        """Each side's events: syscall names, counts, bytes, payloads against the stream."""
        by_pid = {r["pid"]: r for r in results}
        calls = {}
        for (snd, rcv), i in zip(pairs, range(0, len(results), 2)):
            calls[results[i]["pid"]] = (snd, rcv)      # server: receives rcv, replies snd
            calls[results[i + 1]["pid"]] = (snd, rcv)  # client: sends snd, reads rcv
        for pid, r in by_pid.items():
            evs = events_of(lines, pid)
            snd, rcv = calls[pid]
            for d, call, total, ncalls in (("send", snd, r["sent"], r["send_calls"]),
                                           ("recv", rcv, r["received"], r["recv_calls"])):
                mine = [e for e in evs if e["dir"] == d]
                with self.subTest(pid=pid, dir=d, call=call):
                    self.assertEqual(sum(e["bytes"] for e in mine), total)
                    if call in ("sendfile", "splice") and KERNEL < (6, 5):
                        # before 6.5 they reach the socket one page at a time
                        self.assertGreaterEqual(len(mine), ncalls)
                    else:
                        self.assertEqual(len(mine), ncalls)
                    self.assertEqual({e["syscall"] for e in mine}, {call})
                    self.check_payloads(mine, call, payload)
                    for e in mine:
                        self.assertEqual((e["lport"], e["rport"]), (r["lport"], r["rport"]))
                        self.assertEqual(e["tid"], pid)  # netio is single-threaded

    def check_payloads(self, evs, call, limit):
        off = 0
        for e in evs:
            if limit is None:
                self.assertNotIn("payload_b64", e)
            elif call in NO_PAYLOAD:
                self.assertNotIn("payload_b64", e, "payload of %s is not in user memory" % call)
            else:
                got = base64.b64decode(e["payload_b64"])
                want = stream_bytes(off, min(limit, e["bytes"]))
                self.assertEqual(got, want, "payload at stream offset %d" % off)
                self.assertEqual(e["payload_len"], len(want))
                self.assertEqual(e["truncated"], e["bytes"] > limit)
            off += e["bytes"]


class TestTraceEvents(TraceCase):
    def check(self, proto, family, payload=2000, veth=False):
        pairs = SEND_RECV_TCP if proto == "tcp" else SEND_RECV_UDP
        extra = ["--payload=%d" % payload] if payload else []
        if veth:
            with h.NetnsPair() as ns:
                ex = Exchange(self, proto, family, ns)
                results, lines = self.trace(ex, *extra)
        else:
            ex = Exchange(self, proto, family)
            results, lines = self.trace(ex, *extra)
        self.check_events(results, lines, pairs, payload or None)
        self.assert_exact(results, lines, family, intervals=False)  # the summary: counters

    def test_tcp4_payload(self):
        self.check("tcp", 4)

    def test_tcp6_payload(self):
        self.check("tcp", 6)

    def test_udp4_payload(self):
        self.check("udp", 4)

    def test_udp6_payload(self):
        self.check("udp", 6)

    def test_veth_payload(self):
        self.check("tcp", 6, veth=True)
        self.check("udp", 4, veth=True)

    def test_truncation_is_exact(self):
        self.check("tcp", 4, payload=100)
        self.check("udp", 6, payload=999)

    def test_largest_payload(self):
        self.check("tcp", 4, payload=16384)

    def test_no_payload_unless_asked(self):
        self.check("tcp", 4, payload=0)


class TestTraceText(TraceCase):
    def run_text(self, *extra):
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read"), ("sendmsg", "recvmsg")])
        sc = h.Sockscope(["trace", "-p", ",".join(map(str, ex.pids))] + list(extra))
        for server, client in ex.peers:
            server.go()
            client.go()
        [p.result() for pair in ex.peers for p in pair]
        ex.stop()
        status, out, err = sc.finish(timeout=30)
        self.assertEqual(status, 0, err)
        return out

    def assert_clean(self, out):
        raw = out.encode("utf-8", "surrogateescape")
        bad = [b for b in raw if (b < 0x20 and b != 0x0a) or b >= 0x7f]
        self.assertEqual(bad, [], "raw control or non-ASCII bytes reached the terminal")

    def test_text_view_escapes_payload(self):
        out = self.run_text("--payload=64")
        self.assert_clean(out)
        self.assertIn("\\x1b[2J\\x00\\xc3(\\xff\\xfe", out)
        self.assertIn(" SEND ", out)
        self.assertIn(" write ", out)

    def test_hex_view(self):
        out = self.run_text("--hex", "--payload=32")
        self.assert_clean(out)
        self.assertIn("1b 5b 32 4a 00 c3 28 ff fe", out)

    def test_timestamp_ns(self):
        out = self.run_text("--timestamp=ns")
        first = [l for l in out.splitlines() if " SEND " in l][0]
        self.assertTrue(first.split()[0].isdigit(), first)


class TestTraceFilters(TraceCase):
    def pids(self, lines):
        return {e["pid"] for e in h.by_type(lines, "event")}

    def test_filters(self):
        cases = [("-4", lambda r: ":" not in r["laddr"]), ("-6", lambda r: ":" in r["laddr"]),
                 ("--tcp", lambda r: r["proto"] == "tcp"),
                 ("--udp", lambda r: r["proto"] == "udp")]
        for flag, keep in cases:
            with self.subTest(flag=flag):
                ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
                for proto, fam in (("tcp", 6), ("udp", 4), ("udp", 6)):
                    other = Exchange(self, proto, fam, pairs=[("send", "recv")])
                    ex.peers += other.peers
                    ex.pids += other.pids
                results, lines = self.trace(ex, flag)
                kept = {r["pid"] for r in results if keep(r)}
                self.assertEqual(self.pids(lines), kept)
                for r in results:
                    if r["pid"] in kept:
                        evs = events_of(lines, r["pid"])
                        self.assertEqual(sum(e["bytes"] for e in evs if e["dir"] == "send"),
                                         r["sent"])

    def test_ports_and_pids(self):
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read"), ("send", "recv")])
        port = ex.peers[0][0].ready["port"]
        results, lines = self.trace(ex, "-d", str(port))
        self.assertEqual(self.pids(lines), {ex.peers[0][1].pid})  # that pair's client only
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read"), ("send", "recv")])
        port = ex.peers[1][0].ready["port"]
        results, lines = self.trace(ex, "-s", str(port))
        self.assertEqual(self.pids(lines), {ex.peers[1][0].pid})  # that pair's server only
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read"), ("send", "recv")])
        only = ex.peers[1][1].pid
        results, lines = ex.run(["trace", "--json", "-p", str(only)])
        self.assertEqual(self.pids(lines), {only})

    def test_comm(self):
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
        results, lines = ex.run(["trace", "--json", "-c", "netio"], stop=signal.SIGINT)
        self.assertEqual({e["comm"] for e in h.by_type(lines, "event")}, {"netio"})
        self.assertTrue({r["pid"] for r in results} <= self.pids(lines))


class TestUnconnectedUdp(TraceCase):
    def test_peer_taken_from_the_call(self):
        """An unconnected UDP send names its peer in the call; -d filters on it."""
        code = ("import socket, sys\n"
                "r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', 0))\n"
                "print(r.getsockname()[1], flush=True); sys.stdin.read(1)\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "s.sendto(b'a' * 11, r.getsockname())\n"
                "s.sendmsg([b'b' * 7], [], 0, r.getsockname())\n"
                "print(s.getsockname()[1], flush=True); sys.stdin.read(1)\n")
        p = h.script(code)
        try:
            port = int(p.stdout.readline())
            sc = h.Sockscope(["trace", "--json", "-p", str(p.pid), "-d", str(port)])
            p.stdin.write("g")
            p.stdin.flush()
            sport = int(p.stdout.readline())
            time.sleep(0.3)
            status, _, err = sc.finish(signal.SIGINT)
        finally:
            p.kill()
            p.wait()
        self.assertEqual(status, 0, err)
        evs = h.by_type(sc.json_lines(), "event")
        self.assertEqual([(e["syscall"], e["bytes"], e["raddr"], e["rport"], e["lport"])
                          for e in evs],
                         [("sendto", 11, "127.0.0.1", port, sport),
                          ("sendmsg", 7, "127.0.0.1", port, sport)])


class TestTraceLoss(TraceCase):
    def test_flood_counts_every_lost_event(self):
        """A flood through a 4 KiB ring buffer: printed + lost == emitted, totals exact."""
        ex = Exchange(self, "udp", 4, pairs=[("send", "recv")], sizes=lambda i: (160000, 10),
                      chunk=16)  # 10,000 small datagrams: as many events as possible
        results, lines = self.trace(ex, "--buffer-size=4096")
        emitted = sum(r["send_calls"] + r["recv_calls"] for r in results)
        printed = len(h.by_type(lines, "event"))
        lost = sum(l["count"] for l in h.by_type(lines, "lost"))
        total = h.by_type(lines, "total")[0]
        self.assertGreater(lost, 0, "the flood should overrun a 4 KiB buffer")
        self.assertEqual(printed + lost, emitted)
        self.assertEqual(total["lost_events"], lost)
        summary = {l["pid"]: l for l in h.by_type(lines, "summary")}
        for r in results:
            self.assertEqual(summary[r["pid"]]["sent_bytes"], r["sent"])
            self.assertEqual(summary[r["pid"]]["recv_bytes"], r["received"])


class TestTraceBuffer(TopCase):
    def test_buffer_sizes(self):
        """The ring buffer: 16 MiB, 64 MiB with payloads (2000-byte events fill 16 MiB in
        40 ms at 200k/s), and what --buffer-size asks for, rounded up to a power of two."""
        for extra, want in (([], 16 << 20), (["--payload"], 64 << 20),
                            (["--payload", "--buffer-size=3M"], 4 << 20)):
            with self.subTest(args=extra):
                s = h.Sockscope(["trace", "--json"] + extra)
                try:
                    self.assertEqual(h.map_info(s.proc.pid, "events")["max_entries"], want)
                finally:
                    s.finish(signal.SIGINT)


class Flow:
    """A continuous loopback TCP flow of 64-byte writes (iperf3 -l 64): events keep coming
    faster than trace can print them to anything slower than a file."""

    def __init__(self, seconds=20):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.procs = []
        self.procs.append(subprocess.Popen(
            ["iperf3", "-s", "-1", "--forceflush", "-B", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        self.procs[0].stdout.readline()  # "-----" once it listens
        self.procs.append(subprocess.Popen(
            ["iperf3", "-c", "127.0.0.1", "-p", str(self.port), "-l", "64", "-t", str(seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        return False


class TestTraceStops(unittest.TestCase):
    """Every stop (signal, --duration, --count) takes effect at once while events keep coming,
    even when nothing reads trace's output; the summary is printed and the lost count exact."""

    def setUp(self):
        h.require_root(self)

    def trace(self, flow, *extra, settle=1):
        sc = h.Sockscope(["trace", "-s", str(flow.port)] + list(extra))
        sc.ready_at = time.monotonic()
        time.sleep(settle)  # the flow's events are in full swing
        return sc

    def wait_unread(self, sc, bound):
        """Waits for the end without reading stdout; returns seconds from ready."""
        try:
            sc.proc.wait(timeout=bound)
        finally:
            sc.kill()
        return time.monotonic() - sc.ready_at

    def check_summary(self, sc):
        lines = sc.json_lines()
        total = h.by_type(lines, "total")
        self.assertEqual(len(total), 1, sc.stderr)
        self.assertEqual(total[0]["lost_events"],
                         sum(l["count"] for l in h.by_type(lines, "lost")))
        sc.assert_unloaded(self)

    def read_slowly(self, sc, sig=None, bound=10):
        """Reads stdout at about 2 MB/s (slower than the events, as a terminal or ssh is),
        sends sig, and waits for the end; returns seconds from the signal (or ready)."""
        got = []
        reader = threading.Thread(target=lambda: got.extend(iter(
            lambda: (time.sleep(0.002), sc.proc.stdout.buffer.read1(4096))[1], b"")))
        reader.start()
        t0 = time.monotonic() if sig else sc.ready_at
        try:
            if sig:
                sc.proc.send_signal(sig)
            sc.proc.wait(timeout=bound)
        finally:
            sc.kill()
            reader.join()
        took = time.monotonic() - t0
        status, _, err = sc.finish()
        self.assertEqual(status, 0, err)
        sc.stdout = b"".join(got).decode()
        return took

    def test_signals_under_load(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(sig=sig), Flow() as flow:
                sc = self.trace(flow, "--json")
                self.assertLess(self.read_slowly(sc, sig), 1.0)
                self.check_summary(sc)

    def test_duration_under_load_slow_reader(self):
        """A reader slower than the events (a terminal, ssh): --duration still ends it."""
        with Flow() as flow:
            sc = self.trace(flow, "--json", "--duration", "2")
            self.assertLess(self.read_slowly(sc), 2 + 1.0)
        self.check_summary(sc)

    def test_count_under_load(self):
        """A guard more than a fault found: libbpf 1.1 ignores the callback's positive return
        that --count relied on, and only a drain that skipped the rest quickly hid it."""
        with Flow() as flow:
            sc = self.trace(flow, "--json", "--count", "5", settle=0)
            took = self.wait_unread(sc, 10)
            status, _, err = sc.finish()
        self.assertLess(took, 1.5)
        self.assertEqual(status, 0, err)
        self.assertEqual(len(h.by_type(sc.json_lines(), "event")), 5)

    def test_stalled_output(self):
        """Nobody reads stdout (a relay that stalled): SIGTERM and --duration still end it,
        after RUN_GRACE_S (1 s) for the summary, which nobody takes, and it says so."""
        for how in ("SIGTERM", "--duration"):
            with self.subTest(how=how), Flow() as flow:
                sc = self.trace(flow, *(["--duration", "2"] if how == "--duration" else []))
                if how == "SIGTERM":
                    sc.proc.send_signal(signal.SIGTERM)
                    took = self.wait_unread(sc, 10) - 1
                else:
                    took = self.wait_unread(sc, 10) - 2
                self.assertLess(took, 1 + 1.0)
                status, _, err = sc.finish()
                self.assertEqual(status, 0, err)
                self.assertIn("the output stalled", err)

    def test_lost_exact_with_events_unread_at_stop(self):
        """Output stalled while the peers made their calls, then SIGTERM and the output read
        at once: printed + lost (ring full or unread at the stop) = the calls netio made."""
        # 50,000 sends: more than one 50 ms slice prints, fewer than the ring buffer holds
        ex = Exchange(self, "tcp", 4, pairs=[("send", "recv")], sizes=lambda i: (800000, 10),
                      chunk=16)
        sc = h.Sockscope(["trace", "--json", "-p", ",".join(map(str, ex.pids))])
        try:
            for server, client in ex.peers:
                server.go()
                client.go()
            results = [p.result() for pair in ex.peers for p in pair]
        finally:
            ex.stop()
        time.sleep(0.5)
        t0 = time.monotonic()
        status, _, err = sc.finish(signal.SIGTERM, timeout=30)
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertEqual(status, 0, err)
        lines = sc.json_lines()
        emitted = sum(r["send_calls"] + r["recv_calls"] for r in results)
        lost = h.by_type(lines, "lost")
        unread = sum(l["count"] for l in lost if l["reason"] == "unread_at_stop")
        self.assertGreater(unread, 0, "the stalled output should leave events unread")
        self.assertEqual(len(h.by_type(lines, "event")) + sum(l["count"] for l in lost), emitted)
        self.check_summary(sc)


class TestTraceCli(unittest.TestCase):
    CASES = [
        (["--payload=0"], "invalid payload size"),
        (["--payload=-1"], "invalid payload size"),
        (["--payload=16385"], "invalid payload size"),
        (["--payload=x"], "invalid payload size"),
        (["--buffer-size=1"], "invalid buffer size"),
        (["--buffer-size=2G"], "invalid buffer size"),
        (["--timestamp=us"], "invalid timestamp"),
        (["-s", "0"], "invalid source port"),
        (["-d", "65536"], "invalid destination port"),
        (["-d", "x"], "invalid destination port"),
        (["-p", "1,,2"], "empty entry"),
        (["--count", "0"], "invalid count"),
        (["-i", "1"], "unknown option '-i'"),
        # JSON always carries payloads as base64: --hex would do nothing
        (["--json", "--hex"], "--hex: the JSON lines carry payloads as base64"),
        (["--payload", "100"], "unexpected argument '100': use --payload=100"),
    ]

    def test_bad_input_exits_2(self):
        h.assert_bad_input(self, "trace", self.CASES)

    def test_verbose_says_what_is_captured(self):
        h.require_root(self)
        for extra, said in (([], "payload capture off"), (["--payload=64"], "up to 64 bytes")):
            r = h.run([h.SOCKSCOPE, "trace", "-v", "--duration", "0.5", "-p",
                       str(os.getpid())] + extra, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(said, r.stderr)

    def test_count_events(self):
        h.require_root(self)
        ex = Exchange(self, "tcp", 4, pairs=[("send", "recv")])
        sc = h.Sockscope(["trace", "--json", "--count", "5", "-p",
                          ",".join(map(str, ex.pids))])
        for server, client in ex.peers:
            server.go()
            client.go()
        [p.result() for pair in ex.peers for p in pair]
        ex.stop()
        status, _, err = sc.finish(timeout=30)
        self.assertEqual(status, 0, err)
        self.assertEqual(len(h.by_type(sc.json_lines(), "event")), 5)
        sc.assert_unloaded(self)


if __name__ == "__main__":
    unittest.main()
