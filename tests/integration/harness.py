# SPDX-License-Identifier: GPL-2.0
"""Shared machinery of the integration tests: the built sockscope binary, the netio
ground-truth peers, network namespaces joined by a veth pair, and a lock so that no two BPF
test suites or benchmarks run at once on this machine. Everything started here is stopped
and everything created is removed, whatever the test's outcome."""

import contextlib
import faulthandler
import fcntl
import json
import os
import signal
import subprocess
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# SOCKSCOPE_BIN: another build of it, as `make sanitize` runs its smoke with build/san's
SOCKSCOPE = os.environ.get("SOCKSCOPE_BIN") or os.path.join(ROOT, "build", "sockscope")
NETIO = os.path.join(ROOT, "build", "tests", "netio")
LOCK = "/tmp/sockscope-bpf.lock"
MODULE_TIMEOUT = float(os.environ.get("SOCKSCOPE_MODULE_TIMEOUT", "900"))  # seconds
# How much slower than this machine the tests run: the kernel matrix's VMs emulate their CPU
# (tests/vm/guest.sh sets it), so a bound on how fast something reacts is stretched by it.
TIME_SCALE = float(os.environ.get("SOCKSCOPE_TIME_SCALE", "1"))


def kernel_at_least(major, minor):
    release = os.uname().release.split("-")[0].split(".")
    return (int(release[0]), int(release[1])) >= (major, minor)
READY_LINE = "collecting; Ctrl-C to stop"
ATTACHING = ("top", "trace", "conns", "serve")  # the subcommands that take --attach
_lock_fd = None


def lock():
    """Held for a whole test module: BPF suites and benchmarks must not overlap. A module
    that hangs would hold it, and every suite after it, forever: past MODULE_TIMEOUT its
    threads' stacks are printed and the run ends, failed."""
    global _lock_fd
    if _lock_fd is None:
        _lock_fd = open(LOCK, "w")
        fcntl.flock(_lock_fd, fcntl.LOCK_EX)
        faulthandler.dump_traceback_later(MODULE_TIMEOUT, exit=True)


def unlock():
    global _lock_fd
    faulthandler.cancel_dump_traceback_later()
    if _lock_fd is not None:
        fcntl.flock(_lock_fd, fcntl.LOCK_UN)
        _lock_fd.close()
        _lock_fd = None


def require_root(testcase):
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root")


def prog_ids_of(pid):
    """IDs of the BPF programs a process holds open (from /proc/PID/fdinfo)."""
    ids = set()
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        with contextlib.suppress(OSError), open(os.path.join(fddir, fd)) as f:
            for line in f:
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
    return ids


def map_info(pid, name):
    """bpftool's description of the BPF map called name that process pid holds."""
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        with contextlib.suppress(OSError), open(os.path.join(fddir, fd)) as f:
            ids = [int(l.split()[1]) for l in f if l.startswith("map_id:")]
        for mid in ids:
            info = json.loads(run(["bpftool", "-j", "map", "show", "id", str(mid)]).stdout)
            if info.get("name") == name:
                return info
    raise AssertionError("process %d holds no map %s" % (pid, name))


def map_entries(pid, name):
    """Entries in the BPF map called name that process pid holds."""
    mid = map_info(pid, name)["id"]
    dump = run(["bpftool", "-j", "map", "dump", "id", str(mid)], timeout=60)
    return len(json.loads(dump.stdout))


def loaded_prog_ids():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True,
                         check=True, timeout=20).stdout
    return {p["id"] for p in json.loads(out or "[]")}


def run(cmd, timeout=20, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def script(code):
    """A Python program given as source, stdin and stdout piped: it says on stdout what it
    made (ports) and waits on stdin for the test to let it go on."""
    return subprocess.Popen(["/usr/bin/python3", "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


class Sockscope:
    """A running `sockscope` whose readiness is known and whose output is parsed."""

    def __init__(self, args, ready_timeout=20, env=None):
        self.args = [SOCKSCOPE] + list(args)
        if "-v" not in self.args:
            self.args.append("-v")
        # the kernel matrix (tests/vm) forces an attach mode for a whole run; a hook that has
        # no way of that mode keeps its own choice
        if os.environ.get("SOCKSCOPE_ATTACH") and args and args[0] in ATTACHING:
            self.args += ["--attach", os.environ["SOCKSCOPE_ATTACH"]]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="surrogateescape", env=env)
        self.stderr_lines = []
        deadline = time.time() + ready_timeout
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.stderr_lines.append(line)
            if READY_LINE in line:
                self.prog_ids = prog_ids_of(self.proc.pid)
                return
        self.kill()
        raise AssertionError("sockscope did not start: " + "".join(self.stderr_lines))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def finish(self, sig=None, timeout=30):
        """Stops it (with sig, or by waiting for it to end) and returns (status, out, err)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.stdout = out
        self.stderr = "".join(self.stderr_lines) + err
        return self.proc.returncode, out, self.stderr

    def assert_unloaded(self, testcase):
        """Every program this sockscope loaded is gone now that it has ended."""
        testcase.assertTrue(self.prog_ids, "no BPF programs seen while running")
        deadline = time.time() + 5  # the kernel frees programs after an RCU grace period
        while (left := self.prog_ids & loaded_prog_ids()) and time.time() < deadline:
            time.sleep(0.1)
        testcase.assertEqual(left, set(), "BPF programs left loaded")

    def json_lines(self):
        return [json.loads(l) for l in self.stdout.splitlines() if l.startswith("{")]


class Peer:
    """A netio client or server, blocked until go() so sockscope can be given its PID."""

    def __init__(self, argv, netns=None, hold=False):
        prefix = ["ip", "netns", "exec", netns] if netns else []
        env = dict(os.environ, NETIO_HOLD="1") if hold else None
        self.proc = subprocess.Popen(prefix + [NETIO] + argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("netio did not start: " + self.proc.stderr.read())
        self.ready = json.loads(line)
        self.pid = self.ready["pid"]
        assert self.pid == self.proc.pid, "ip netns exec must exec netio in place"

    def go(self):
        self.proc.stdin.write("g")
        self.proc.stdin.flush()

    def report(self):
        """With hold: what it moved, while its connection stays open."""
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("netio failed: " + self.proc.stderr.read())
        return json.loads(line)

    def release(self):
        self.go()
        self.proc.wait(timeout=30)

    def result(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise AssertionError("netio failed: " + err)
        return json.loads(out.strip().splitlines()[-1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_pair(proto, server_addr, client_addr, send_call, recv_call, nbytes, reply,
               server_ns=None, client_ns=None, chunk=None, hold=False):
    """A server and a client, both blocked, that will move nbytes one way and reply back."""
    server = Peer(["server", proto, server_addr, "0", recv_call, send_call, str(nbytes),
                   str(reply)], server_ns, hold)
    argv = ["client", proto, client_addr, str(server.ready["port"]), send_call, recv_call,
            str(nbytes), str(reply)]
    if chunk:
        argv.append(str(chunk))
    try:
        client = Peer(argv, client_ns, hold)
    except Exception:
        server.stop()
        raise
    return server, client


class NetnsPair:
    """Two network namespaces joined by a veth pair, IPv4 10.201.0.1/.2 and IPv6
    fd00:201::1/::2 (no duplicate address detection, so the addresses work at once).
    offload=False makes every TCP segment its own packet, for rules that drop packets."""

    A4, B4, A6, B6 = "10.201.0.1", "10.201.0.2", "fd00:201::1", "fd00:201::2"

    def __init__(self, offload=True):
        tag = str(os.getpid())
        self.a, self.b = "ssa" + tag, "ssb" + tag
        self.offload = offload

    def __enter__(self):
        try:
            self._setup()
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def _setup(self):
        sh = lambda *c: subprocess.run(c, check=True, capture_output=True, timeout=20)
        for ns in (self.a, self.b):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "veth-" + self.a[-6:], "netns", self.a, "type", "veth",
           "peer", "name", "veth-" + self.b[-6:], "netns", self.b)
        for ns, dev, v4, v6 in ((self.a, "veth-" + self.a[-6:], self.A4, self.A6),
                                (self.b, "veth-" + self.b[-6:], self.B4, self.B6)):
            sh("ip", "-n", ns, "addr", "add", v4 + "/24", "dev", dev)
            sh("ip", "-n", ns, "addr", "add", v6 + "/64", "dev", dev, "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
            if not self.offload:  # one packet per segment, as on a real wire
                sh("ip", "-n", ns, "link", "set", "dev", dev, "gso_max_segs", "1")

    def __exit__(self, *exc):
        for ns in (self.a, self.b):
            for pid in run(["ip", "netns", "pids", ns]).stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        return False


def by_type(lines, kind):
    return [l for l in lines if l.get("type") == kind]


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, path, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return path
    raise unittest.SkipTest("no cgroup v2 hierarchy mounted")


def assert_bad_input(testcase, command, cases):
    """Each (args, message): exit status 2, one line on stderr naming the problem, no output."""
    for args, message in cases:
        with testcase.subTest(args=args):
            r = run([SOCKSCOPE, command] + list(args))
            testcase.assertEqual(r.returncode, 2, r.stderr)
            testcase.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            testcase.assertIn(message, r.stderr)
            testcase.assertEqual(r.stdout, "")
