#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# In-kernel cost of the io_uring completion hook (recv_bypass.bpf.h's uring_complete_tp), from
# bpf stats, while `sockscope top` runs: every io_uring completion on the machine passes it,
# IORING_OP_SPLICE from a TCP socket is counted by it. Two loopback transfers of BYTES
# (default 300 MB): one read with IORING_OP_SPLICE, one with IORING_OP_RECV (a completion the
# hook only looks at). As root (part of `make bench`; results in docs/PERFORMANCE.md):
#   bench/uring.sh [BYTES]
# lib.sh takes the lock, starts and stops the monitor, turns bpf stats on and off, and checks
# that nothing is left loaded.
set -uo pipefail
BENCH=uring
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BYTES=${1:-300000000}
PORT=20555

# "run_time_ns run_cnt" of the hook's program, as prog_table lists it
hook_stats() {
	prog_table | monitor_progs | awk '$3 ~ /^uring_complete/ { print $4, $5; exit }'
}

# One transfer read with call $1 ("uring_splice" or "io_uring"): the hook's ns per completion.
transfer() {
	local t0 n0 t1 n1 srv
	read -r t0 n0 < <(hook_stats)
	echo | build/tests/netio server tcp 127.0.0.1 $PORT "$1" write "$BYTES" 0 >/dev/null &
	srv=$!
	track "$srv"
	sleep 0.3
	echo | build/tests/netio client tcp 127.0.0.1 $PORT write "$1" "$BYTES" 0 16384 >/dev/null
	wait "$srv"
	untrack "$srv"
	read -r t1 n1 < <(hook_stats)
	awk -v c="$1" -v t=$((t1 - t0)) -v n=$((n1 - n0)) \
		'BEGIN { printf "%-13s %8d completions %6.1f ns each\n", c, n, t / n }'
}

main() {
	bench_setup
	make -s -C "$ROOT" helpers >/dev/null || die "building the test helpers failed"
	header "bench/uring.sh $BYTES"
	sysctl -qw kernel.bpf_stats_enabled=1 && STATS_ON=1
	start_monitor top /dev/null
	wait_ready top || die "top did not attach"
	transfer uring_splice | tee -a "$OUT/uring.txt"
	transfer io_uring | tee -a "$OUT/uring.txt"
	stop_monitor
}

main
