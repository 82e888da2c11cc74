# SPDX-License-Identifier: GPL-2.0
"""The interactive screen (src/tui) as a person sees it: tmux runs tests/helpers/tuidemo,
which feeds the real ncurses screen rows from a file; send-keys presses the keys and
capture-pane reads what is on the terminal. The file is the ground truth of what the rows
hold. No root and no BPF: this module takes no lock."""

import contextlib
import os
import pwd
import re
import subprocess
import tempfile
import time
import unittest

from tests.integration import harness as h

TUIDEMO = os.path.join(h.ROOT, "build", "tests", "tuidemo")
PROMPT = "$ "

# Per interval: curl sends most, nginx receives most (and moves most in all), the third
# process has a name full of terminal controls (clear screen, set the window title, bell).
ROWS = """\
P 101 root curl 5000 100 10
P 202 www-data nginx 100 9000 20
P 303 root %1b[2J%1b]0;pwned%07evil 300 300 1
L 0 tp_btf
C 1 101 tcp 127.0.0.1 40000 127.0.0.2 80 client ESTABLISHED 5000 100 10 1500 3 curl
C 2 202 tcp 127.0.0.1 80 127.0.0.3 50000 server ESTABLISHED 100 9000 10 200 0 nginx
C 3 101 udp 127.0.0.1 5353 0.0.0.0 0 client - 10 10 0 0 0 curl
"""


def setUpModule():
    if not os.access(TUIDEMO, os.X_OK):
        raise unittest.SkipTest("build/tests/tuidemo missing: run 'make helpers'")
    if subprocess.run(["sh", "-c", "command -v tmux"], capture_output=True).returncode:
        raise unittest.SkipTest("no tmux: run 'scripts/deps.sh --test'")


class Pane:
    """A shell in a detached tmux session on a private server, so that nothing here touches
    anyone else's tmux; close() kills that server and whatever runs in it."""

    def __init__(self, width, height, env=None):
        self.sock = "sockscope-tui-%d-%d" % (os.getpid(), time.monotonic_ns())
        e = dict(os.environ)
        e.pop("TMUX", None)
        shell_env = dict(LANG="C.UTF-8", LC_ALL="C.UTF-8", PS1=PROMPT, **(env or {}))
        shell = ["env"] + ["%s=%s" % kv for kv in shell_env.items()]
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                  *shell, "bash", "--norc", "--noprofile", env=e)
        try:
            self.path = self.show("#{socket_path}")
            self.tmux("set-option", "-g", "status", "off")
            self.wait(lambda s: PROMPT.strip() in s, "the shell's prompt")
        except BaseException:
            self.close()  # the test's cleanups are not registered yet
            raise

    def tmux(self, *args, env=None):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), capture_output=True,
                              text=True, timeout=10, env=env, check=True).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", "-t", "t", *(["-e"] if escapes else []))

    def lines(self):
        return self.screen().split("\n")

    def show(self, fmt):
        return self.tmux("display-message", "-p", "-t", "t", fmt).strip()

    def wait(self, pred, what, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            s = self.screen()
            if pred(s):
                return s
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for %s; screen:\n%s" % (what, s))
            time.sleep(0.05)

    def close(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True,
                       timeout=10)
        with contextlib.suppress(FileNotFoundError, AttributeError):
            os.unlink(self.path)  # tmux leaves its socket behind


class ScreenTest(unittest.TestCase):
    width, height, args, env, prefix, text = 120, 30, [], None, [], ROWS

    def setUp(self):
        fd, self.rows = tempfile.mkstemp(prefix="tuidemo-", suffix=".rows")
        with os.fdopen(fd, "w") as f:
            f.write(self.text)
        self.addCleanup(os.unlink, self.rows)
        self.pane = Pane(self.width, self.height, self.env)
        self.addCleanup(self.pane.close)
        os.chmod(self.rows, 0o644)
        cmd = " ".join(self.prefix + [TUIDEMO] + self.args + [self.rows])
        self.pane.keys(cmd + '; echo "EXIT=$?"', "Enter")
        self.pane.wait(lambda s: "SENT/s" in s, "the screen")

    def body(self):
        """The table's rows: the lines between the column titles and the status line."""
        return [l for l in self.pane.lines()[2:self.height - 1] if l.strip()]

    def comm_order(self):
        return [re.split(r"\s+", l.strip())[2] for l in self.body()]

    def press(self, key, pred, what):
        self.pane.keys(key)
        return self.pane.wait(pred, what)

    def rows_are(self, order):
        return lambda s: self.comm_order()[:len(order)] == order

    def quit(self):
        self.pane.keys("q")
        return self.pane.wait(lambda s: "EXIT=" in s, "the exit")


class TestTop(ScreenTest):
    def test_sort_keys_reorder_rows(self):
        # total rate by default: nginx moves 9100 B an interval, curl 5100, the third 600
        self.pane.wait(self.rows_are(["nginx", "curl"]), "busiest first")
        self.press("s", self.rows_are(["curl"]), "curl first by sent")
        self.press("r", self.rows_are(["nginx", "\\x1b[2J\\x1b]0;p…", "curl"]),
                   "by received")
        self.press("p", lambda s: [l.split()[0] for l in self.body()] == ["101", "202", "303"],
                   "PID order")
        # the screen shows what the file says: per interval 5000 B sent, 100 received
        self.press("m", lambda s: "kbit" in s, "bits per second")
        row = self.body()[0].split()
        self.assertEqual(row[:3], ["101", "root", "curl"])
        self.assertEqual(row[3:7], ["40.0", "kbit", "800", "bit"])

    def test_totals_follow_the_counts(self):
        self.press("m", lambda s: "kbit" in s, "bits per second")
        self.press("m", lambda s: "SENT/s" not in s and "CALLS" in s, "totals")
        calls = {l.split()[0]: int(l.split()[-1]) for l in self.body()}
        # totals are the file's numbers times the samples taken: the same multiple for all
        k = calls["101"] // 10
        self.assertGreaterEqual(k, 1)
        self.assertEqual(calls, {"101": 10 * k, "202": 20 * k, "303": k})

    def test_filter(self):
        s = self.press("/", lambda s: "Filter: _" in s, "the filter line")
        for c in "NGI":
            self.pane.keys(c)
        self.pane.wait(lambda s: self.comm_order() == ["nginx"], "nginx alone")
        self.assertIn("Filter: NGI_", self.pane.lines()[-2] + self.pane.screen())
        self.press("Enter", lambda s: 'filter "NGI"' in s, "the kept filter")
        self.pane.wait(lambda s: self.comm_order() == ["nginx"], "still nginx alone")
        self.pane.keys("/")
        self.press("Escape", lambda s: len(self.comm_order()) == 3, "every row again")

    def test_enter_shows_the_process_connections(self):
        self.press("p", lambda s: self.body()[0].split()[0] == "101", "curl selected")
        s = self.press("Enter", lambda s: "LOCAL" in s and "127.0.0.2:80" in s,
                       "curl's connections")
        self.assertIn("connections of PID 101 (curl)", s)
        table = "\n".join(self.body())
        self.assertRegex(table, r"tcp\s+127\.0\.0\.1:40000\s+127\.0\.0\.2:80\s+client\s+"
                                r"ESTABLISHED\s+101\s+curl")
        self.assertRegex(table, r"udp\s+127\.0\.0\.1:5353\s+\*:\*")
        self.assertNotIn("nginx", table)  # another process's socket
        self.assertRegex(table, r"(?m)1\.5ms\s+3\s*$")  # srtt and retransmits
        self.press("Escape", lambda s: "USER" in s and "LOCAL" not in s, "back to processes")
        self.assertEqual(self.body()[0].split()[0], "101")  # still on curl

    def test_help(self):
        s = self.press("h", lambda s: "Keys" in s, "the help")
        self.assertIn("sort by sent, received or total rate", s)
        self.assertIn("q Ctrl-C  quit", s)
        self.press("x", lambda s: "SENT/s" in s and "Keys" not in s, "the table again")

    def test_quit_restores_the_terminal(self):
        self.assertEqual(self.pane.show("#{alternate_on}"), "1")
        self.pane.keys("z", "x")  # keys the screen does not use: still not the shell's
        s = self.quit()
        self.assertEqual(self.pane.show("#{alternate_on}"), "0")
        self.assertIn("tuidemo: done after", s)
        self.assertIn("EXIT=0", s)
        self.assertNotIn("SENT/s", s)  # nothing of the screen left in the normal one
        self.pane.keys("echo LEAKED", "Enter")
        s = self.pane.wait(lambda s: "\nLEAKED" in s, "the shell")
        self.assertIn(PROMPT + "echo LEAKED\n", s)
        self.assertNotIn("command not found", s)

    def test_hostile_name_is_escaped(self):
        s = self.pane.screen(escapes=True)
        self.assertIn("\\x1b[2J\\x1b]0;p", s)
        self.assertNotIn("pwned", self.pane.show("#{pane_title}"))  # no title was set
        self.assertIn("nginx", s)  # nor was the screen cleared
        s = self.pane.screen()
        self.assertEqual(len(self.body()), 3)

    def test_ctrl_c_ends_cleanly(self):
        self.pane.keys("C-c")
        s = self.pane.wait(lambda s: "EXIT=" in s, "the exit")
        self.assertIn("EXIT=0", s)
        self.assertEqual(self.pane.show("#{alternate_on}"), "0")

    def test_resize_redraws(self):
        self.assertIn("USER", self.pane.screen())
        self.pane.tmux("resize-window", "-t", "t", "-x", "60", "-y", "12")
        self.pane.wait(lambda s: "USER" not in s and "TOTAL RECV" in s, "a 60-column table")
        self.pane.tmux("resize-window", "-t", "t", "-x", "50", "-y", "12")
        self.pane.wait(lambda s: "terminal too narrow" in s, "too narrow")


    def test_pause_and_interval(self):
        self.press(" ", lambda s: "PAUSED" in s, "paused")
        frozen = self.body()
        time.sleep(2.5)  # two intervals: the kernel side keeps counting, the screen holds
        self.assertEqual(self.body(), frozen)
        self.press(" ", lambda s: "PAUSED" not in s and self.body() != frozen, "running")
        self.press("+", lambda s: "every 2.0s" in s, "a longer interval")
        for _ in range(25):
            self.pane.keys("-")
        self.pane.wait(lambda s: "every 0.1s" in s, "the shortest interval")
        time.sleep(0.3)
        self.assertIn("every 0.1s", self.pane.screen())  # never below

    def test_rising_lost_count_stands_out(self):
        self.pane.wait(lambda s: "lost 0" in s, "no loss")
        red = re.compile(r"\x1b\[[0-9;]*31[;m][^\x1b]*lost")
        self.assertIsNone(red.search(self.pane.screen(escapes=True)))
        with open(self.rows, "w") as f:
            f.write(ROWS.replace("L 0 tp_btf", "L 7 tp_btf"))
        self.pane.wait(lambda s: "lost 7" in s, "the loss")
        self.assertRegex(self.pane.screen(escapes=True), red)
        # the next interval loses nothing more: back to plain
        self.pane.wait(lambda s: not red.search(self.pane.screen(escapes=True)), "plain again")
        self.assertIn("lost 7", self.pane.screen())


class TestUser(ScreenTest):
    """USER comes from the owner of /proc/PID, named by the user database."""
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    gone = 4194304  # PID_MAX_LIMIT: PIDs stay below it
    text = "P self - me 5 5 1\nP 1 - init 1 1 1\nP %d - gone 1 1 1\n" % gone

    def test_user_names(self):
        self.pane.wait(lambda s: len(self.body()) == 3, "three rows")
        users = {l.split()[2]: l.split()[1] for l in self.body()}
        pid1 = pwd.getpwuid(os.stat("/proc/1").st_uid).pw_name
        self.assertEqual(users["init"], pid1)
        self.assertEqual(users["gone"], "?")
        self.assertEqual(users["me"], pwd.getpwuid(65534).pw_name)


class TestNarrow(ScreenTest):
    width, height = 60, 10

    def test_columns_cut_without_wrapping(self):
        lines = self.pane.wait(lambda s: "4.9 KiB" in s, "rates").split("\n")
        self.assertTrue(lines[0].startswith("top  "), lines[0])
        self.assertIn("lost 0", lines[0])
        self.assertEqual(lines[1].split(), ["PID", "COMM", "SENT/s", "RECV/s", "TOTAL", "SENT",
                                            "TOTAL", "RECV"])
        self.assertEqual(len(self.body()), 3)
        self.assertTrue(lines[9].startswith("Enter: connections"), lines[9])
        for l in lines[:10]:
            self.assertLessEqual(len(l), 60)
        self.assertIn("\\x1b[2J…", self.pane.screen())  # a cut name ends in an ellipsis


class TestConns(ScreenTest):
    args = ["-c"]

    def test_conns_sorts_and_marks_retransmits(self):
        self.pane.wait(lambda s: "127.0.0.3:50000" in s, "the connections")
        s = self.pane.screen(escapes=True)
        retr_line = next(l for l in s.split("\n") if "127.0.0.2:80" in l)
        self.assertRegex(retr_line, r"\x1b\[[0-9;]*31[;m]")  # red: 3 retransmits
        self.press("F6", lambda s: True, "F6")
        self.pane.keys("s")
        self.pane.wait(lambda s: "127.0.0.2:80" in self.body()[0], "curl's socket first")
        self.pane.keys("r")
        self.pane.wait(lambda s: "127.0.0.3:50000" in self.body()[0], "nginx's first")


class TestNoColor(ScreenTest):
    args = ["-c"]
    env = {"NO_COLOR": "1"}

    def test_no_color(self):
        self.pane.wait(lambda s: "127.0.0.2:80" in s, "the connections")
        s = self.pane.screen(escapes=True)
        self.assertIsNone(re.search(r"\x1b\[[0-9;]*3[0-7][;m]", s))
        self.assertRegex(s, r"\x1b\[[0-9;]*[14][;m]")  # bold or underline still mark it


if __name__ == "__main__":
    unittest.main()


class TestSourceFd(ScreenTest):
    """Between samples the screen serves the command's fd (its ring buffer), not only keys."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tuidemo-")
        self.fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(self.fifo)
        self.addCleanup(os.rmdir, self.dir)
        self.addCleanup(os.unlink, self.fifo)
        self.args = ["-i", "60000", "-f", self.fifo]  # one sample, at the start
        super().setUp()

    def test_fd_is_served_between_samples(self):
        self.pane.wait(lambda s: "hooks fifo:0" in s, "the fifo's count")
        fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"hello")
        finally:
            os.close(fd)
        time.sleep(0.3)  # no sample for a minute: only the fd's callback can count them
        self.press("s", lambda s: "hooks fifo:5" in s, "5 bytes consumed")
