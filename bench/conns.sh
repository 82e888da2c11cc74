#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `sockscope conns`'s benchmark (part of `make bench`, as root; results in docs/PERFORMANCE.md).
# Over loopback, bounded in time:
#
# 1. Ratio: iperf3 bulk TCP under no monitor, `sleep` (A/A), the no-op floor, `top` (whose
#    counting programs conns also loads) and `conns -i 1` (the table, refreshed every second,
#    to /dev/null), interleaved in rounds with the order rotated (lib.sh); each monitor's CPU.
# 2. In-kernel cost of every program conns loads, during the same bulk load, with
#    kernel.bpf_stats_enabled=1 in a separate pass: ns per run, runs per second, and all of
#    them together per TCP segment sent (/proc/net/snmp OutSegs) and as a share of a core.
#    conns does not attach tcp:tcp_probe: it reads tcp_sock with an iterator each refresh,
#    which costs nothing per segment; what fires per segment or per call is what is measured.
#
# Environment (and lib.sh's): LOADS (iperf3), CONDS ("base aa noop top conns"), STATS_LOAD
# (iperf3), STATS_CONDS ("noop top conns"). Quick test:
#   ROUNDS=1 DUR=2 STATS_REPS=1 bench/conns.sh
set -uo pipefail

BENCH=conns
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOADS=${LOADS:-iperf3}
CONDS=${CONDS:-"base aa noop top conns"}
STATS_LOAD=${STATS_LOAD:-iperf3}
STATS_CONDS=${STATS_CONDS:-"noop top conns"}

main() {
	bench_setup
	header "ROUNDS=$ROUNDS DUR=$DUR ATTACH=$ATTACH LOADS='$LOADS' CONDS='$CONDS' STATS_REPS=$STATS_REPS STATS_LOAD=$STATS_LOAD STATS_CONDS='$STATS_CONDS' bench/conns.sh" \
		"$(iperf3 --version | head -1)"
	ratio_rounds
	wait_quiet stats
	stats_pass "$STATS_LOAD" "$STATS_CONDS"
	{
		cat "$OUT/header.txt"
		report
		stats_report
		footer
	} | tee "$OUT/report.md"
	log ""
	log "$BENCH: raw data and report in $OUT"
}

main "$@"
