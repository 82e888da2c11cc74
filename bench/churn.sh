#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Memory under connection churn at bench scale: the churn test (tests/integration/
# test_churn.py) with a million short connections (CHURN_CONNS) under top, trace and serve at
# once. It asserts what the test does (VmRSS within a few MiB of its value after the first
# wave, per-process totals exact against the churn's own calls) and prints each monitor's RSS
# after the first wave and at the end, for docs/PERFORMANCE.md. Takes the BPF lock itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CHURN_CONNS=${CHURN_CONNS:-1000000}
exec /usr/bin/python3 -m unittest -v tests.integration.test_churn.TestChurn
