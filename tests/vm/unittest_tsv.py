# SPDX-License-Identifier: GPL-2.0
"""Runs the named unittest tests (as `python3 -m unittest` would) with the verbose log on
stderr, and appends one line per test to the file named first: `<PASS|FAIL|SKIP>\t<test id>\t
<seconds>`. A test that failed any of its subtests is FAIL. Exit status 0 when all passed.
Used by tests/vm/guest.sh, whose caller turns these lines into the matrix report."""

import sys
import time
import unittest


class TsvResult(unittest.TextTestResult):
    tsv = None

    def startTest(self, test):
        self._status, self._t0 = "PASS", time.monotonic()
        super().startTest(test)

    def _fail(self):
        self._status = "FAIL"

    def addFailure(self, test, err):
        self._fail()
        super().addFailure(test, err)

    def addError(self, test, err):
        self._fail()
        super().addError(test, err)

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._fail()
        super().addSubTest(test, subtest, err)

    def addSkip(self, test, reason):
        self._status = "SKIP"
        super().addSkip(test, reason)

    def addUnexpectedSuccess(self, test):
        self._fail()
        super().addUnexpectedSuccess(test)

    def stopTest(self, test):
        super().stopTest(test)
        with open(self.tsv, "a") as f:
            f.write("%s\t%s\t%.1f\n" % (self._status, test.id(), time.monotonic() - self._t0))


def main():
    TsvResult.tsv = sys.argv[1]
    suite = unittest.defaultTestLoader.loadTestsFromNames(sys.argv[2:])
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2, resultclass=TsvResult)
    sys.exit(0 if runner.run(suite).wasSuccessful() else 1)


if __name__ == "__main__":
    main()
