# SPDX-License-Identifier: GPL-2.0
"""The help text, the man page and the README describe the same interface: every option a
command's --help offers is in the man page, and every command is in all three."""

import re
import unittest

from tests.integration import harness as h

COMMANDS = ["top", "trace", "conns", "serve", "doctor"]


def read(path):
    with open(h.ROOT + "/" + path) as f:
        return f.read()


class TestDocs(unittest.TestCase):
    def test_help_options_in_man_page(self):
        man = read("docs/sockscope.8").replace("\\-", "-")
        for cmd in COMMANDS:
            out = h.run([h.SOCKSCOPE, cmd, "--help"]).stdout
            for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", out))):
                with self.subTest(command=cmd, option=opt):
                    self.assertIn(opt, man)

    def test_commands_everywhere(self):
        usage = h.run([h.SOCKSCOPE, "--help"]).stdout
        man, readme = read("docs/sockscope.8"), read("README.md")
        for cmd in COMMANDS:
            self.assertIn(cmd, usage)
            self.assertIn(".B " + cmd, man)
            self.assertIn("sockscope " + cmd, readme)


if __name__ == "__main__":
    unittest.main()
