#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# In-kernel cost of the io_uring completion hook (recv_bypass.bpf.h's uring_complete_tp), from
# bpf stats, while `sockscope top` runs: every io_uring completion on the machine passes it,
# IORING_OP_SPLICE from a TCP socket is counted by it. Two loopback transfers of BYTES
# (default 300 MB): one read with IORING_OP_SPLICE, one with IORING_OP_RECV (a completion the
# hook only looks at). As root, from the repository, after `make all helpers`:
#   bench/uring.sh [BYTES]
set -euo pipefail
BYTES=${1:-300000000}
PORT=20555
exec 9>/tmp/sockscope-bpf.lock
flock 9
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
build/sockscope top -i 1 >/dev/null 2>&1 &
sc=$!
trap 'kill $sc 2>/dev/null; wait $sc 2>/dev/null; sysctl -q kernel.bpf_stats_enabled=$old_stats' EXIT
sleep 2

# "run_time_ns run_cnt" of the hook's program
stats() {
	bpftool -j prog show | python3 -c '
import json, sys
p = [p for p in json.load(sys.stdin) if p.get("name", "").startswith("uring_complete")][0]
print(p.get("run_time_ns", 0), p.get("run_cnt", 0))'
}

for call in uring_splice io_uring; do
	read -r t0 n0 < <(stats)
	echo | build/tests/netio server tcp 127.0.0.1 $PORT "$call" write "$BYTES" 0 >/dev/null &
	srv=$!
	sleep 0.3
	echo | build/tests/netio client tcp 127.0.0.1 $PORT write "$call" "$BYTES" 0 16384 >/dev/null
	wait $srv
	read -r t1 n1 < <(stats)
	awk -v c="$call" -v t=$((t1 - t0)) -v n=$((n1 - n0)) \
		'BEGIN { printf "%-13s %8d completions %6.1f ns each\n", c, n, t / n }'
done
