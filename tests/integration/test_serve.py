# SPDX-License-Identifier: GPL-2.0
"""`sockscope serve` scraped by a real Prometheus (Debian's package) while netio moves known
bytes: the stored sockscope_sent_bytes_total / received_bytes_total of each PID equal what
its calls returned. promtool accepts the exposition, hostile process names included; the
textfile is never seen half-written; the endpoint survives malformed, oversized, slow and
concurrent requests; the exporter runs as nobody; the Grafana dashboard's queries work."""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

from tests.integration import harness as h
from tests.integration.test_top import Exchange

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path="/metrics", timeout=10):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        return r.status, r.read().decode("utf-8")


def wait_for(fn, timeout=30, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class Prometheus:
    """A throwaway Prometheus scraping one target every second."""

    def __init__(self, target_port):
        self.dir = tempfile.mkdtemp(prefix="ss-prom-")
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: sockscope\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + self.dir + "/data",
             "--web.listen-address=127.0.0.1:%d" % self.port], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_for(self.ready, what="prometheus to start")

    def ready(self):
        try:
            return http_get(self.port, "/-/ready", timeout=2)[0] == 200
        except OSError:
            return False

    def query(self, expr):
        q = urllib.parse.urlencode({"query": expr})
        status, body = http_get(self.port, "/api/v1/query?" + q)
        return json.loads(body)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def samples(body):
    """The exposition's samples as {(name, frozenset of (label, value)): value}."""
    out = {}
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _, labels = head.partition("{")
        pairs = [kv.split("=", 1) for kv in labels.rstrip("}").split('",') if kv]
        out[(name, frozenset((k, v.strip('"')) for k, v in pairs))] = float(value)
    return out


def sample(body, name, **labels):
    """The value of the one sample of name with these labels (among others), or None."""
    found = [v for (n, ls), v in samples(body).items()
             if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def per_process(body):
    """{pid: number of samples labelled with it}, pid 0 (no process) left out."""
    count = {}
    for (name, labels), _ in samples(body).items():
        pid = dict(labels).get("pid")
        if pid and pid != "0":
            count[pid] = count.get(pid, 0) + 1
    return count


class Serve:
    def __init__(self, *args, env=None):
        self.port = free_port()
        old = dict(os.environ)
        os.environ.update(env or {})
        try:
            self.sc = h.Sockscope(["serve", "--listen", "127.0.0.1:%d" % self.port,
                                   "--interval", "0.3"] + list(args))
        finally:
            os.environ.clear()
            os.environ.update(old)

    def stop(self):
        status, out, err = self.sc.finish(signal.SIGTERM)
        return status, err


class TestPrometheus(unittest.TestCase):
    """One scenario, several checks: serve and Prometheus run while traffic flows."""

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0 or not os.access(PROMETHEUS, os.X_OK):
            raise unittest.SkipTest("needs root and Debian's prometheus")
        cls.serve = Serve()
        cls.prom = None
        try:
            cls.prom = Prometheus(cls.serve.port)
            cls.results = cls.traffic()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.prom:
            cls.prom.stop()
        cls.status, cls.stderr = cls.serve.stop()

    @classmethod
    def traffic(cls):
        """Known bytes, retransmits and drops (iptables in a namespace pair), a reset."""
        results = []
        with h.NetnsPair() as ns:
            h.run(["ip", "netns", "exec", ns.a, "iptables", "-A", "INPUT", "-p", "tcp", "-m",
                   "statistic", "--mode", "random", "--probability", "0.02", "-j", "DROP"])

            class T(unittest.TestCase):
                def runTest(self):
                    pass

            for proto in ("tcp", "udp"):
                ex = Exchange(T(), proto, 4, ns, pairs=[("write", "read"), ("send", "recv"),
                                                        ("write", "splice")],
                              sizes=lambda i: (2000003 + i, 40009 + i) if proto == "tcp"
                              else (30011 + i, 5003 + i))
                for server, client in ex.peers:
                    server.go()
                    client.go()
                results += [p.result() for pair in ex.peers for p in pair]
        with socket.socket() as s:  # a refused connection: a reset received
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            pass
        return results

    def value(self, expr):
        res = self.prom.query(expr)["data"]["result"]
        return int(float(res[0]["value"][1])) if len(res) == 1 else None

    def test_bytes_equal_ground_truth(self):
        for r in self.results:
            for metric, key in (("sockscope_sent_bytes_total", "sent"),
                                ("sockscope_received_bytes_total", "received")):
                expr = '%s{pid="%d",proto="%s"}' % (metric, r["pid"], r["proto"])
                with self.subTest(expr=expr):
                    wait_for(lambda: self.value(expr) == r[key], what=expr)
                    self.assertEqual(self.value(expr), r[key], expr)

    def test_tcp_counters(self):
        clients = [r for r in self.results if r["role"] == "client" and r["proto"] == "tcp"]
        for r in clients:
            expr = 'sockscope_tcp_connections_opened_total{pid="%d",role="active"}' % r["pid"]
            wait_for(lambda: self.value(expr), what=expr)
            self.assertEqual(self.value(expr), 1)
        wait_for(lambda: self.value('sum(sockscope_tcp_retransmits_total)'), what="retransmits")
        wait_for(lambda: self.value('sum(sockscope_tcp_drops_total{reason="NETFILTER_DROP"})'),
                 what="netfilter drops")
        wait_for(lambda: self.value('sum(sockscope_tcp_resets_total{dir="received"})'),
                 what="resets")

    def test_dashboard_queries_return_data(self):
        with open(os.path.join(h.ROOT, "contrib", "grafana-dashboard.json")) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        self.assertGreaterEqual(len(exprs), 8)
        self.test_tcp_counters()  # all kinds of series exist by now
        time.sleep(2)
        for expr in exprs:
            with self.subTest(expr=expr):
                res = wait_for(lambda: (lambda r: r if r["data"]["result"] else None)(
                    self.prom.query(expr)), what=expr)
                self.assertEqual(res["status"], "success")

    def test_runs_unprivileged(self):
        with open("/proc/%d/status" % self.serve.sc.proc.pid) as f:
            uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
        self.assertEqual(set(uids), {"65534"})

    def test_promtool_accepts_exposition(self):
        status, body = http_get(self.serve.port)
        self.assertEqual(status, 200)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body, text=True,
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


PLAIN_CONNECTIONS = r"""
import socket, sys, threading
n = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(64)
def serve():
    for _ in range(n):  # HTTP/1.0 style: read the request, answer, close first
        a, _ = srv.accept()
        a.recv(4096); a.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
        a.close()
t = threading.Thread(target=serve); t.start()
got = 0
for i in range(n):
    c = socket.create_connection(srv.getsockname())
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while (b := c.recv(65536)):
        got += len(b)
    if i % 2:  # as curl may: close without reading the end of the stream... and with it
        c.close()
    else:
        c.shutdown(socket.SHUT_RDWR); c.close()
t.join()
print(got)
"""


class TestDrops(unittest.TestCase):
    """Closing connections normally is not a drop: 200 plain connections count none, whatever
    the kernel reports for the queues freed at close (QUEUE_PURGE, or no reason before 6.7).
    Real drops still count: TestPrometheus checks iptables' DROP (NETFILTER_DROP)."""

    def drops(self, port):
        body = http_get(port)[1]
        return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                if l.startswith("sockscope_tcp_drops_total")}

    def test_plain_connections_drop_nothing(self):
        h.require_root(self)
        serve = Serve()
        try:
            r = h.run(["/usr/bin/python3", "-c", PLAIN_CONNECTIONS, "200"], timeout=60)
            reply = len(b"HTTP/1.0 200 OK\r\nContent-Length: 5000\r\n\r\n") + 5000
            self.assertEqual(r.stdout.strip(), str(200 * reply), r.stderr)  # all came
            time.sleep(1)  # a few samples
            drops = self.drops(serve.port)
        finally:
            status, err = serve.stop()
        self.assertEqual(status, 0, err)
        # segments to closed ports (NO_SOCKET) are real drops, made by whatever else on this
        # machine connects to a port nobody listens on; those of these connections have
        # listeners, and every other reason must be absent
        self.assertEqual({k: v for k, v in drops.items() if v and "NO_SOCKET" not in k}, {})


class TestDropOwners(unittest.TestCase):
    def test_drop_before_socket_lookup_is_the_owners(self):
        """iptables drops a server's incoming segments at INPUT, and with early demux off no
        socket is attached to them yet: the kernel names none, and the drop is still the
        server's, found by the packet's addresses."""
        h.require_root(self)
        serve = Serve()
        try:
            with h.NetnsPair(offload=False) as ns:
                h.run(["ip", "netns", "exec", ns.a, "sysctl", "-qw",
                       "net.ipv4.tcp_early_demux=0"])
                h.run(["ip", "netns", "exec", ns.a, "iptables", "-A", "INPUT", "-p", "tcp", "-m",
                       "statistic", "--mode", "random", "--probability", "0.02", "-j", "DROP"])
                ex = Exchange(self, "tcp", 4, ns, pairs=[("write", "read")],
                              sizes=lambda i: (3000017, 1009))
                for server, client in ex.peers:
                    server.go()
                    client.go()
                results = [p.result() for pair in ex.peers for p in pair]
                witness = h.run(["ip", "netns", "exec", ns.a, "iptables", "-vxnL", "INPUT"])
            server = [r for r in results if r["role"] == "server"][0]
            key = 'sockscope_tcp_drops_total{pid="%d",comm="netio",reason="NETFILTER_DROP"}'
            mine = lambda: [float(l.split()[-1]) for l in http_get(serve.port)[1].splitlines()
                            if l.startswith(key % server["pid"])]
            got = wait_for(mine, what="drops of PID %d" % server["pid"])[0]
        finally:
            status, err = serve.stop()
        self.assertEqual(status, 0, err)
        dropped = [int(l.split()[0]) for l in witness.stdout.splitlines() if " DROP " in l]
        self.assertTrue(0 < got <= dropped[0], (got, witness.stdout))


class TestHostileNames(unittest.TestCase):
    def test_escaped_label_values(self):
        h.require_root(self)
        code = ("import ctypes, socket, sys\n"
                "ctypes.CDLL(None).prctl(15, b'a\"b\\\\c\\nd\\xff', 0, 0, 0)\n"
                "sys.stdin.read(1)\n"
                "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
                "c = socket.create_connection(s.getsockname()); a, _ = s.accept()\n"
                "c.sendall(b'x' * 4321); a.recv(10000)\n"
                "print('done', flush=True); sys.stdin.read(1)\n")
        p = h.script(code)
        serve = Serve("-p", str(p.pid))
        try:
            p.stdin.write("g")
            p.stdin.flush()
            self.assertEqual(p.stdout.readline().strip(), "done")
            body = wait_for(lambda: (lambda b: b if 'pid="%d"' % p.pid in b else None)(
                http_get(serve.port)[1]), what="the process's series")
        finally:
            p.kill()
            p.wait()
            serve.stop()
        line = [l for l in body.splitlines() if l.startswith("sockscope_sent_bytes_total")][0]
        self.assertIn('comm="a\\"b\\\\c\\nd\ufffd"', line)
        self.assertTrue(line.endswith(" 4321"), line)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body, text=True,
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class TestCardinality(unittest.TestCase):
    """Exited processes leave after --forget-after; --max-series caps and counts refusals."""

    CODE = ("import socket, sys\n"
            "sys.stdin.read(1)\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "c = socket.create_connection(s.getsockname()); a, _ = s.accept()\n"
            "c.sendall(b'x' * 100); a.recv(1000)\n"
            "print('done', flush=True); sys.stdin.read(1)\n")

    def setUp(self):
        h.require_root(self)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.kill()
            p.wait()

    def talker(self):
        p = h.script(self.CODE)
        self.procs.append(p)
        return p

    def go(self, p):
        p.stdin.write("g")
        p.stdin.flush()
        self.assertEqual(p.stdout.readline().strip(), "done")

    def series_of(self, port, pid):
        return 'sockscope_sent_bytes_total{pid="%d"' % pid in http_get(port)[1]

    def test_forget_after(self):
        p = self.talker()
        serve = Serve("--forget-after", "1")
        try:
            self.go(p)
            wait_for(lambda: self.series_of(serve.port, p.pid), what="the series")
            p.kill()
            p.wait()
            t0 = time.time()
            wait_for(lambda: not self.series_of(serve.port, p.pid), timeout=10,
                     what="the series to go")
            self.assertGreater(time.time() - t0, 0.5, "not before the grace period")
        finally:
            serve.stop()

    def test_forgotten_stays_forgotten(self):
        """With -p only the process's own calls use the kernel's per-CPU slots, so the counts
        of its last calls stay in a slot after it exits, and its socket's record cannot be
        reaped: that record must not bring the series back once it has gone."""
        p = self.talker()
        serve = Serve("--forget-after", "1", "-p", str(p.pid))
        try:
            self.go(p)
            body = wait_for(lambda: (lambda b: b if sample(b, "sockscope_sent_bytes_total",
                                                           pid=str(p.pid)) else None)(
                http_get(serve.port)[1]), what="the series")
            self.assertEqual(sample(body, "sockscope_sent_bytes_total", pid=str(p.pid)), 100)
            p.kill()
            p.wait()
            wait_for(lambda: not self.series_of(serve.port, p.pid), timeout=10,
                     what="the series to go")
            back = []
            deadline = time.time() + 6  # twenty intervals, six grace periods
            while time.time() < deadline and not back:
                if self.series_of(serve.port, p.pid):
                    back.append(time.time() - deadline + 6)
                time.sleep(0.1)
            self.assertEqual(back, [], "the series came back")
        finally:
            serve.stop()

    def test_refused_once_and_live_first(self):
        """Room for three: three processes talk (exported), three more talk and exit
        (refused), then the first three exit too. Over several liveness checks the refusals
        stay 3, the count of processes turned away. Then a live process talks: it takes the
        place of exited ones, and its bytes are exported."""
        gone = [self.talker() for _ in range(6)]
        live = self.talker()
        pids = [p.pid for p in gone + [live]]
        serve = Serve("--max-series", "18", "--forget-after", "20",  # 6 series each
                      "-p", ",".join(map(str, pids)))
        try:
            for p in gone[:3]:
                self.go(p)
            wait_for(lambda: "sockscope_series_processes 3\n" in http_get(serve.port)[1],
                     what="three processes exported")
            for p in gone[3:] + gone[:3]:
                if p in gone[3:]:
                    self.go(p)
                p.kill()
                p.wait()
            refused = lambda: sample(http_get(serve.port)[1], "sockscope_series_refused_total")
            wait_for(lambda: refused() == 3, what="three refusals")
            deadline = time.time() + 6  # three liveness checks (every 2 s)
            while time.time() < deadline:
                self.assertEqual(refused(), 3)
                time.sleep(0.25)
            self.go(live)
            body = wait_for(lambda: (lambda b: b if sample(b, "sockscope_sent_bytes_total",
                                                           pid=str(live.pid)) else None)(
                http_get(serve.port)[1]), what="the live process's series")
            self.assertEqual(sample(body, "sockscope_sent_bytes_total", pid=str(live.pid)), 100)
            self.assertEqual(sample(body, "sockscope_series_refused_total"), 3)
            # the exited ones grew to 7 series (their connections closed when they were
            # killed): 21, so the live one's 6 took the place of two of them
            per = per_process(body)
            self.assertEqual(per[str(live.pid)], 6)
            self.assertEqual(sorted(per.values()), [6, 7], per)
            self.assertEqual(sample(body, "sockscope_series"), 13)
            self.assertEqual(sample(body, "sockscope_series_processes"), 2)
        finally:
            serve.stop()

    def test_max_series(self):
        """--max-series bounds series: a talker has 6 (sent and received bytes and calls over
        TCP, a connection opened actively and one passively), so one fits in 10, not two."""
        first, second = self.talker(), self.talker()
        serve = Serve("--max-series", "10", "-p", "%d,%d" % (first.pid, second.pid))
        try:
            self.go(first)
            wait_for(lambda: self.series_of(serve.port, first.pid), what="the first series")
            self.go(second)
            body = wait_for(lambda: (lambda b: b if "sockscope_series_refused_total 1" in b
                                     else None)(http_get(serve.port)[1]), what="a refusal")
            self.assertNotIn('pid="%d"' % second.pid, body)
            self.assertEqual(per_process(body), {str(first.pid): 6})
            self.assertIn("sockscope_series 6\n", body)
            self.assertIn("sockscope_series_processes 1\n", body)
        finally:
            serve.stop()

    def test_series_bounded(self):
        """Five talkers of 6 series each, --max-series 20: three are exported, and the
        series counted in the scrape itself stay within the bound."""
        talkers = [self.talker() for _ in range(5)]
        serve = Serve("--max-series", "20", "-p", ",".join(str(p.pid) for p in talkers))
        try:
            for p in talkers:
                self.go(p)
            body = wait_for(lambda: (lambda b: b if "sockscope_series_refused_total 2" in b
                                     else None)(http_get(serve.port)[1]), what="two refusals")
            per = per_process(body)
            self.assertEqual(sorted(per.values()), [6, 6, 6], per)
            self.assertEqual(sample(body, "sockscope_series"), sum(per.values()))
            self.assertEqual(sample(body, "sockscope_series_processes"), 3)
        finally:
            serve.stop()


class TestRttHistogram(unittest.TestCase):
    """The RTT histogram is the host's by default (19 series in all), per process only with
    --srtt-per-process. Witness: the two sockets of one netio connection that has closed."""

    def setUp(self):
        h.require_root(self)

    def scrape_after_transfer(self, *args):
        server, client = h.start_pair("tcp", "127.0.0.1", "127.0.0.1", "write", "read",
                                      100003, 4001)
        pids = [server.pid, client.pid]
        serve = Serve("-p", "%d,%d" % tuple(pids), *args)
        try:
            server.go()
            client.go()
            server.result()
            client.result()
            counts = lambda b: [v for (n, ls), v in samples(b).items()
                                if n == "sockscope_tcp_srtt_seconds_count"]
            body = wait_for(lambda: (lambda b: b if sum(counts(b)) == 2 else None)(
                http_get(serve.port)[1]), what="two sockets' RTT")
        finally:
            server.stop()
            client.stop()
            serve.stop()
        return pids, body

    def srtt_samples(self, body):
        return {k: v for k, v in samples(body).items()
                if k[0].startswith("sockscope_tcp_srtt_seconds")}

    def test_per_host(self):
        pids, body = self.scrape_after_transfer()
        srtt = self.srtt_samples(body)
        self.assertEqual(len(srtt), 19)  # 16 bounds, +Inf, sum, count
        self.assertTrue(all("pid" not in dict(ls) for (n, ls) in srtt), srtt)
        self.assertEqual(sample(body, "sockscope_tcp_srtt_seconds_count"), 2)

    def test_per_process_on_request(self):
        pids, body = self.scrape_after_transfer("--srtt-per-process")
        srtt = self.srtt_samples(body)
        for pid in pids:
            mine = [k for k in srtt if dict(k[1]).get("pid") == str(pid)]
            self.assertEqual(len(mine), 19, pid)
            self.assertEqual(sample(body, "sockscope_tcp_srtt_seconds_count", pid=str(pid)), 1)
        per = per_process(body)
        self.assertEqual(sample(body, "sockscope_series"), sum(per.values()))


class TestCapabilityDown(unittest.TestCase):
    """A capability that cannot load (the conns object, refused for real by the verifier)
    costs its metrics only: the byte counters of io stay exact, and capability_up says so."""

    def setUp(self):
        h.require_root(self)

    def transfer(self, serve):
        server, client = h.start_pair("tcp", "127.0.0.1", "127.0.0.1", "write", "read",
                                      1000003, 40009)
        try:
            server.go()
            client.go()
            results = [server.result(), client.result()]
        finally:
            server.stop()
            client.stop()
        for r in results:
            for metric, key in (("sockscope_sent_bytes_total", "sent"),
                                ("sockscope_received_bytes_total", "received")):
                wait_for(lambda: sample(http_get(serve.port)[1], metric, pid=str(r["pid"]),
                                        proto="tcp") == r[key], timeout=10,
                         what="%s of %d = %d" % (metric, r["pid"], r[key]))
        return http_get(serve.port)[1]

    def test_exports_bytes_without_conns(self):
        serve = Serve(env={"SOCKSCOPE_TEST_FAIL_LOAD": "conns"})
        try:
            body = self.transfer(serve)
        finally:
            status, err = serve.stop()
        self.assertEqual(status, 0, err)
        self.assertEqual(sample(body, "sockscope_capability_up", capability="conns"), 0)
        self.assertEqual(sample(body, "sockscope_capability_up", capability="io"), 1)
        self.assertEqual([k for k in samples(body) if k[0].startswith("sockscope_tcp_")], [])
        missing = [l for l in err.splitlines() if "no TCP metrics" in l]
        self.assertEqual(len(missing), 1, err)
        self.assertRegex(missing[0], r"BPF program 'conn_\w+' \(conns capability\): \S")
        self.assertIn("sockscope doctor", missing[0])

    def test_all_up_without_fault(self):
        serve = Serve()
        try:
            body = self.transfer(serve)
        finally:
            status, err = serve.stop()
        self.assertEqual(status, 0, err)
        for cap in ("io", "conns"):
            self.assertEqual(sample(body, "sockscope_capability_up", capability=cap), 1, cap)
        self.assertNotIn("no TCP metrics", err)

    def test_exits_1_without_io(self):
        r = h.run([h.SOCKSCOPE, "serve", "--listen", "127.0.0.1:%d" % free_port()],
                  timeout=60, env=dict(os.environ, SOCKSCOPE_TEST_FAIL_LOAD="io"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"BPF program '\w+' \(io capability\)")


class TestTextfile(unittest.TestCase):
    def test_never_partial(self):
        h.require_root(self)
        d = tempfile.mkdtemp(prefix="ss-text-")
        os.chmod(d, 0o777)
        path = os.path.join(d, "sockscope.prom")
        serve = Serve("--textfile", path, "--interval", "0.05")
        try:
            wait_for(lambda: os.path.exists(path), what="the textfile")
            seen = set()
            deadline = time.time() + 2
            while time.time() < deadline:
                with open(path) as f:
                    text = f.read()
                self.assertTrue(text.startswith("# HELP "), text[:80])
                last = text.rstrip("\n").splitlines()[-1]
                self.assertTrue(last.startswith("sockscope_build_info{"), last)
                seen.add(hash(text))
            r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, text=True,
                               capture_output=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertGreater(len(seen), 1, "the file was rewritten while read")
        finally:
            serve.stop()
            shutil.rmtree(d)


class Attack:
    """Holds slow connections (one header line a second, never a whole request) and idle
    ones (nothing sent) against a port, opening a new one whenever the server closes one,
    as a slowloris does; in one thread, until the with block ends."""

    def __init__(self, port, slow, idle):
        self.port, self.want = port, [True] * slow + [False] * idle
        self.socks = [None] * (slow + idle)
        self.reconnects = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(30)
        for s in self.socks:
            if s:
                s.close()

    def open(self):
        return sum(1 for s in self.socks if s)

    def connect(self, i):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
            s.setblocking(False)
            if self.want[i]:
                s.send(b"GET /metrics HTTP/1.1\r\n")
            self.socks[i] = s
        except OSError:
            self.socks[i] = None

    def alive(self, i):
        """Whether the server still holds socket i open; a slow one sends its next line."""
        s = self.socks[i]
        try:
            if s.recv(4096) == b"":
                return False
        except BlockingIOError:
            pass
        except OSError:
            return False
        try:
            if self.want[i]:
                s.send(b"X-Slow: %d\r\n" % i)
            return True
        except OSError:
            return False

    def loop(self):
        while not self.done.is_set():
            for i, s in enumerate(self.socks):
                if self.done.is_set():
                    break
                if s and self.alive(i):
                    continue
                if s:
                    s.close()
                    self.reconnects += 1
                self.connect(i)
            self.done.wait(1)


class TestEndpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        cls.serve = Serve()
        wait_for(lambda: http_get(cls.serve.port)[0] == 200, what="serve")

    @classmethod
    def tearDownClass(cls):
        status, err = cls.serve.stop()
        assert status == 0, err

    def raw(self, data, read=True):
        with socket.create_connection(("127.0.0.1", self.serve.port), timeout=15) as s:
            s.sendall(data)
            return s.recv(4096) if read else b""

    def assert_serving(self):
        status, body = http_get(self.serve.port)
        self.assertEqual(status, 200)
        self.assertIn("sockscope_build_info", body)

    def test_paths_and_methods(self):
        self.assertEqual(http_get(self.serve.port, "/healthz"), (200, "ok\n"))
        self.assertIn("metrics", http_get(self.serve.port, "/")[1])
        for method in (b"POST", b"PUT", b"DELETE"):
            self.assertIn(b" 405 ", self.raw(method + b" /metrics HTTP/1.1\r\nHost: x\r\n"
                                                      b"Content-Length: 0\r\n\r\n"))
        self.assertIn(b" 404 ", self.raw(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"))
        head = self.raw(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b" 200 ", head)

    def test_openmetrics_when_asked(self):
        """The first request asks for it; from the next interval on, it is served."""
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % self.serve.port, headers={
            "Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})

        def fetch():
            with urllib.request.urlopen(req, timeout=10) as r:
                ctype = r.headers["Content-Type"]
                body = r.read().decode()
            return (ctype, body) if ctype.startswith("application/openmetrics-text") else None

        ctype, body = wait_for(fetch, timeout=5, what="OpenMetrics")
        self.assertTrue(ctype.startswith("application/openmetrics-text; version=1.0.0"), ctype)
        self.assertTrue(body.endswith("# EOF\n"))
        self.assertIn("# TYPE sockscope_lost_events counter\n", body)
        self.assertIn("# TYPE sockscope_build info\n", body)
        self.assertIn("\nsockscope_lost_events_total ", body)
        plain = http_get(self.serve.port)[1]
        self.assertIn("# TYPE sockscope_lost_events_total counter\n", plain)
        self.assertNotIn("# EOF", plain)

    def test_malformed_and_oversized(self):
        self.raw(b"\x00\xff garbage \r\n\r\n")
        self.assert_serving()
        big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
        try:
            reply = self.raw(big)
            self.assertNotIn(b" 200 ", reply[:20])
        except (ConnectionResetError, BrokenPipeError):
            pass  # refused mid-request: as good
        self.assert_serving()

    def test_slow_client_does_not_block_others(self):
        slow = socket.create_connection(("127.0.0.1", self.serve.port))
        try:
            slow.sendall(b"GET /metrics HTTP/1.1\r\nHo")
            t0 = time.time()
            self.assert_serving()
            self.assertLess(time.time() - t0, 2)
        finally:
            slow.close()

    def scrape_during(self, attack, seconds):
        """Scrapes every 0.25 s for seconds; returns the failures (error or over 1 s)."""
        failures = []
        deadline = time.time() + seconds
        while time.time() < deadline:
            t0 = time.time()
            try:
                status, body = http_get(self.serve.port, timeout=1)
                if status != 200 or "sockscope_build_info" not in body:
                    failures.append((round(t0 % 100, 2), status))
            except OSError as e:
                failures.append((round(t0 % 100, 2), repr(e)))
            if time.time() - t0 > 1:
                failures.append((round(t0 % 100, 2), "took %.2f s" % (time.time() - t0)))
            time.sleep(0.25)
        return failures

    def test_scrapes_answer_under_attack(self):
        """150 idle connections, then 150 more that send a header line a second: each one
        the server closes is opened again at once. Past the 10 s a request may take, so that
        the deadline is exercised too, every scrape is answered within 1 s."""
        with Attack(self.serve.port, slow=0, idle=150) as idle:
            wait_for(lambda: idle.open() == 150, timeout=10, what="150 idle connections")
            self.assertEqual(self.scrape_during(idle, 4), [])
        with Attack(self.serve.port, slow=150, idle=150) as both:
            wait_for(lambda: both.open() == 300, timeout=10, what="300 connections")
            self.assertEqual(self.scrape_during(both, 12), [])
            self.assertGreater(both.reconnects, 0, "the attack never reached a limit")
        self.assert_serving()

    def test_concurrent_scrapes(self):
        results = []

        def scrape():
            try:
                status, body = http_get(self.serve.port, timeout=20)
                results.append(status == 200 and body.rstrip().splitlines()[-1]
                               .startswith("sockscope_build_info"))
            except OSError as e:
                results.append(e)

        threads = [threading.Thread(target=scrape) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [True] * 50)
        self.assert_serving()


def listeners(port):
    """The kernel's own list of TCP sockets listening on port: their local addresses."""
    out = h.run(["ss", "-Hltn", "sport = :%d" % port]).stdout
    return sorted(l.split()[3].rsplit(":", 1)[0] for l in out.splitlines())


class TestListen(unittest.TestCase):
    """--listen takes what node_exporter users type: :PORT (every address), a name, a
    bracketed IPv6 address, 0.0.0.0. serve says where it listens once it is ready; the
    kernel's listening socket and a real client agree."""

    def setUp(self):
        h.require_root(self)

    def start(self, listen):
        """Runs serve without -v until it says it listens; returns (proc, that line)."""
        proc = subprocess.Popen([h.SOCKSCOPE, "serve", "--listen", listen],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = b""
        deadline = time.time() + 20
        while not re.search(rb"listening on \S*\n", err) and time.time() < deadline:
            if not select.select([proc.stderr], [], [], max(deadline - time.time(), 0))[0]:
                break  # silent for 20 s
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
        lines = [l for l in err.decode(errors="replace").splitlines() if "listening on" in l]
        if lines and lines[0].endswith("/metrics"):
            return proc, lines[0].strip()
        proc.kill()
        proc.wait()
        raise AssertionError("serve did not say it listens: " + err.decode(errors="replace"))

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        try:
            self.assertEqual(proc.wait(timeout=20), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def answers(self, host, port):
        url = "http://%s:%d/healthz" % (host, port)
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200

    def test_forms(self):
        cases = [(":%d", "*", "http://[::]:%d/metrics", ["127.0.0.1", "[::1]"]),  # dual stack
                 ("localhost:%d", "127.0.0.1", "http://127.0.0.1:%d/metrics", ["127.0.0.1"]),
                 ("[::1]:%d", "[::1]", "http://[::1]:%d/metrics", ["[::1]"]),
                 ("0.0.0.0:%d", "0.0.0.0", "http://0.0.0.0:%d/metrics", ["127.0.0.1"])]
        for form, local, said, clients in cases:
            port = free_port()
            with self.subTest(listen=form % port):
                proc, line = self.start(form % port)
                try:
                    self.assertEqual(line, "sockscope serve: listening on " + said % port)
                    self.assertEqual(listeners(port), [local])
                    for c in clients:
                        self.assertTrue(self.answers(c, port), c)
                finally:
                    self.stop(proc)


class TestStopUnderLoad(unittest.TestCase):
    """A signal ends serve promptly while sockets open and close as fast as four processes
    can make them (a release notice each) and 300 connections hold the HTTP side."""

    CHURN = ("import socket, sys, time\n"
             "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(128)\n"
             "end = time.time() + 60\n"
             "while time.time() < end:\n"
             "    c = socket.create_connection(l.getsockname()); a, _ = l.accept()\n"
             "    c.sendall(b'x'); a.recv(1); c.close(); a.close()\n")

    def test_signal_under_load(self):
        h.require_root(self)
        churn = [subprocess.Popen(["/usr/bin/python3", "-c", self.CHURN]) for _ in range(4)]
        serve = Serve()
        try:
            with Attack(serve.port, slow=150, idle=150) as attack:
                wait_for(lambda: attack.open() == 300, timeout=10, what="300 connections")
                time.sleep(2)  # a few intervals of churn
                t0 = time.time()
                status, err = serve.stop()
                took = time.time() - t0
            self.assertEqual(status, 0, err)
            self.assertLess(took, 2, "serve took %.1f s to stop" % took)
        finally:
            serve.sc.kill()
            for p in churn:
                p.kill()
                p.wait()


class TestServeCli(unittest.TestCase):
    def test_bad_input_exits_2(self):
        cases = [(["--listen", "127.0.0.1"], "invalid listen address"),
                 (["--listen", "127.0.0.1:0"], "invalid listen port"),
                 (["--listen", "127.0.0.1:70000"], "invalid listen port"),
                 (["--listen", "nohost.invalid:80"], "cannot resolve 'nohost.invalid'"),
                 (["--listen", "::1:80"], "expected HOST:PORT, :PORT or [IPv6]:PORT"),
                 (["--listen", "x" * 10000 + ":80"], "invalid listen address"),
                 (["--user", "no-such-user-here"], "unknown user"),
                 (["--textfile", "/proc/sockscope.prom"], "invalid textfile"),
                 (["--textfile", "/nonexistent/dir/x.prom"], "invalid textfile"),
                 (["--max-series", "0"], "invalid series limit"),
                 (["--forget-after", "x"], "invalid forget-after")]
        h.assert_bad_input(self, "serve", cases)


if __name__ == "__main__":
    unittest.main()
