# SPDX-License-Identifier: GPL-2.0
"""Kernel-side filters of `sockscope top`: what they select is counted exactly, and what they
do not select never appears."""

import os
import shutil
import signal
import tempfile
import unittest

from tests.integration import harness as h
from tests.integration.test_top import Exchange, TopCase


def setUpModule():
    h.lock()


def tearDownModule():
    h.unlock()


def pids_in(lines):
    return {l["pid"] for l in lines if "pid" in l}


class TestFilters(TopCase):
    def test_pid_filter_excludes_others(self):
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
        other = h.start_pair("tcp", "127.0.0.1", "127.0.0.1", "send", "recv", 77777, 555)
        ex_pids = ",".join(map(str, ex.pids))
        ex.peers.append(other)  # runs, but is not named with -p
        results, lines = ex.run(["top", "--json", "-i", "0.2", "-p", ex_pids])
        theirs = {other[0].pid, other[1].pid}
        self.assertFalse(pids_in(lines) & theirs, "unselected PIDs reported")
        self.assert_exact([r for r in results if r["pid"] not in theirs], lines, 4)

    def check_family(self, flag, keep):
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
        v6 = Exchange(self, "tcp", 6, pairs=[("send", "recv")])
        ex.peers += v6.peers
        ex.pids += v6.pids
        results, lines = ex.run(["top", "--json", "-i", "0.2", flag, "-p",
                                 ",".join(map(str, ex.pids))])
        kept = [r for r in results if (":" in r["laddr"]) == (keep == 6)]
        dropped = {r["pid"] for r in results} - {r["pid"] for r in kept}
        self.assertEqual(len(kept), 2)
        self.assertFalse(pids_in(lines) & dropped)
        self.assert_exact(kept, lines, keep)

    def test_ipv4_only(self):
        self.check_family("-4", 4)

    def test_ipv6_only(self):
        self.check_family("-6", 6)

    def check_proto(self, flag, keep):
        ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
        udp = Exchange(self, "udp", 4, pairs=[("send", "recv")])
        ex.peers += udp.peers
        ex.pids += udp.pids
        results, lines = ex.run(["top", "--json", "-i", "0.2", flag, "-p",
                                 ",".join(map(str, ex.pids))])
        kept = [r for r in results if r["proto"] == keep]
        dropped = {r["pid"] for r in results if r["proto"] != keep}
        self.assertFalse(pids_in(lines) & dropped)
        self.assert_exact(kept, lines, 4)

    def test_tcp_only(self):
        self.check_proto("--tcp", "tcp")

    def test_udp_only(self):
        self.check_proto("--udp", "udp")

    def test_ports(self):
        """-s matches the local port (the server's side), -d the remote port (the client's)."""
        for flag, role in (("-s", "server"), ("-d", "client")):
            ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
            port = ex.peers[0][0].ready["port"]
            results, lines = ex.run(["top", "--json", "-i", "0.2", flag, str(port), "-p",
                                     ",".join(map(str, ex.pids))])
            kept = [r for r in results if r["role"] == role]
            other = {r["pid"] for r in results if r["role"] != role}
            self.assertFalse(pids_in(lines) & other, flag)
            self.assert_exact(kept, lines, 4)

    def test_comm_filter_by_comm(self):
        """-c selects by name in the kernel; --by comm adds up all processes of that name."""
        tmp = tempfile.mkdtemp()
        try:
            renamed = os.path.join(tmp, "otherio")
            shutil.copy(h.NETIO, renamed)
            ex = Exchange(self, "tcp", 4, pairs=[("write", "read"), ("sendmsg", "recvmsg")])
            saved, h.NETIO = h.NETIO, renamed
            try:
                other = h.start_pair("tcp", "127.0.0.1", "127.0.0.1", "send", "recv", 4444, 44)
            finally:
                h.NETIO = saved
            ex.peers.append(other)
            results, lines = ex.run(["top", "--json", "-i", "0.2", "-c", "netio", "--by",
                                     "comm"], stop=signal.SIGINT)
        finally:
            shutil.rmtree(tmp)
        rows = h.by_type(lines, "summary")
        self.assertEqual([r["comm"] for r in rows], ["netio"], rows)
        netio = [r for r in results if r["pid"] not in (other[0].pid, other[1].pid)]
        self.assertEqual(rows[0]["processes"], 4)
        self.assertEqual(rows[0]["sent_bytes"], sum(r["sent"] for r in netio))
        self.assertEqual(rows[0]["recv_bytes"], sum(r["received"] for r in netio))
        self.assertNotIn("pid", rows[0])

    def test_cgroup_filter(self):
        root = h.cgroup2_root()
        cg = os.path.join(root, "sockscope-test-%d" % os.getpid())
        os.mkdir(cg)
        try:
            ex = Exchange(self, "tcp", 4, pairs=[("write", "read")])
            client = ex.peers[0][1]
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(client.pid))
            results, lines = ex.run(["top", "--json", "-i", "0.2", "--cgroup", cg, "-p",
                                     ",".join(map(str, ex.pids))])
        finally:
            os.rmdir(cg)
        self.assertEqual(pids_in(lines), {client.pid})
        self.assert_exact([r for r in results if r["pid"] == client.pid], lines, 4)


if __name__ == "__main__":
    unittest.main()
