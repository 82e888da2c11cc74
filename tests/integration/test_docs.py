# SPDX-License-Identifier: GPL-2.0
"""The help text, the man page, the bash completion and the README describe the interface the
code declares. Each command's option table (`sockscope COMMAND --list-options`, the same table
that drives getopt and --help) is compared with the man page and with what
contrib/sockscope.bash completes, both ways: an option added to a table and not documented, or
documented and gone from the code, fails here. The commands come from `sockscope --help`."""

import collections
import re
import shutil
import subprocess
import unittest

from tests.integration import harness as h

Option = collections.namedtuple("Option", "name short arg metavar values hidden")
# an option as the man page or the help spells it: "--max-conns", "-p"
SPELLING = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z0-9])(?![\w-])")


def read(path):
    with open(h.ROOT + "/" + path) as f:
        return f.read()


def commands():
    """The commands `sockscope --help` lists, one "  NAME  what it does" line each."""
    usage = h.run([h.SOCKSCOPE, "--help"]).stdout
    listing = usage.split("Commands", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  ([a-z]+) ", listing, re.M)


def option_table(cmd):
    """{"--name": Option} from the command's table, as --list-options dumps it."""
    r = h.run([h.SOCKSCOPE, cmd, "--list-options"])
    if r.returncode:
        raise AssertionError("%s --list-options: %s" % (cmd, r.stderr))
    table = {}
    for line in r.stdout.splitlines():
        name, short, arg, metavar, values, flags = line.split("\t")
        table[name] = Option(name, None if short == "-" else short, arg, metavar,
                             [] if values == "-" else values.split(","), flags == "hidden")
    return table


def spellings(option):
    return [s for s in (option.name, option.short) if s]


def man_options(cmds):
    """{command: {spelling: its paragraph}} from the man page's OPTIONS. A .SS heading says
    which commands its options are for: "(top, trace)", a command's name, or else all."""
    man = read("docs/sockscope.8").replace("\\-", "-")
    options = man.split("\n.SH OPTIONS\n", 1)[1].split("\n.SH ", 1)[0]
    found = {cmd: {} for cmd in cmds}
    for section in ("\n" + options).split("\n.SS ")[1:]:
        title, body = section.split("\n", 1)
        listed = re.search(r"\(([^)]*)\)", title)
        if listed:
            which = [c.strip() for c in listed.group(1).split(",")]
        else:
            which = [title.strip()] if title.strip() in cmds else cmds
        for cmd in which:
            if cmd not in found:
                raise AssertionError("man page: .SS %s names no command %r" % (title, cmd))
            for item in body.split(".TP\n")[1:]:
                tag = item.split("\n", 1)[0]
                for spelling in SPELLING.findall(tag):
                    found[cmd][spelling] = item
    return found


def complete(*words):
    """What contrib/sockscope.bash offers for the command line words (the last is being
    typed)."""
    script = ('source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sockscope; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "-c", script, h.ROOT + "/contrib/sockscope.bash", "sockscope"]
                       + list(words), capture_output=True, text=True, timeout=20)
    if r.returncode or r.stderr:
        raise AssertionError("completion of %s: %s" % (words, r.stderr))
    return set(r.stdout.split())


class TestDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.commands = commands()
        if not cls.commands:
            raise AssertionError("sockscope --help lists no command")
        cls.tables = {cmd: option_table(cmd) for cmd in cls.commands}

    def test_help_options_in_man_page(self):
        man = read("docs/sockscope.8").replace("\\-", "-")
        for cmd in self.commands:
            out = h.run([h.SOCKSCOPE, cmd, "--help"]).stdout
            for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", out))):
                with self.subTest(command=cmd, option=opt):
                    self.assertIn(opt, man)

    def test_help_offers_every_option_of_the_table(self):
        for cmd, table in self.tables.items():
            out = h.run([h.SOCKSCOPE, cmd, "--help"]).stdout
            offered = set(SPELLING.findall(out))
            for option in table.values():
                for spelling in spellings(option):
                    with self.subTest(command=cmd, option=spelling):
                        self.assertEqual(spelling in offered, not option.hidden)

    def test_man_page_documents_each_option_for_its_commands(self):
        man = man_options(self.commands)
        for cmd, table in self.tables.items():
            taken = {s for option in table.values() for s in spellings(option)}
            for spelling in sorted(taken):
                with self.subTest(command=cmd, option=spelling):
                    self.assertTrue(spelling in man[cmd], "in the code, not in the man page")
            for spelling in sorted(man[cmd]):
                with self.subTest(command=cmd, documented=spelling):
                    self.assertTrue(spelling in taken, "in the man page, not in the code")

    def test_man_page_names_each_value(self):
        man = man_options(self.commands)
        for cmd, table in self.tables.items():
            for option in table.values():
                for value in option.values:
                    with self.subTest(command=cmd, option=option.name, value=value):
                        self.assertRegex(man[cmd][option.name], r"\b%s\b" % re.escape(value))

    def test_completion_offers_each_option(self):
        if not shutil.which("bash"):
            self.skipTest("no bash")
        for cmd, table in self.tables.items():
            shown = {s for o in table.values() if not o.hidden for s in spellings(o)}
            with self.subTest(command=cmd):
                self.assertEqual(complete(cmd, ""), shown)
                # any unambiguous prefix works, as it does for sockscope itself
                self.assertEqual(complete(cmd[:2], "-"), shown)

    def test_completion_offers_values(self):
        """After an option that takes a set of values, those; after one that takes another
        value (a number, a path), no options."""
        if not shutil.which("bash"):
            self.skipTest("no bash")
        for cmd, table in self.tables.items():
            for option in table.values():
                if option.hidden or option.arg != "required":
                    continue
                for spelling in spellings(option):
                    with self.subTest(command=cmd, option=spelling):
                        offered = complete(cmd, spelling, "")
                        if option.values:
                            self.assertEqual(offered, set(option.values))
                        else:
                            self.assertFalse({o for o in offered if o.startswith("-")})

    def test_commands_everywhere(self):
        usage = h.run([h.SOCKSCOPE, "--help"]).stdout
        man, readme = read("docs/sockscope.8"), read("README.md")
        for cmd in self.commands:
            self.assertIn(cmd, usage)
            self.assertIn(".B " + cmd, man)
            self.assertIn("sockscope " + cmd, readme)
        if shutil.which("bash"):
            self.assertEqual(complete("") - {"--help", "--version"}, set(self.commands))


if __name__ == "__main__":
    unittest.main()
