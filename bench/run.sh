#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sockscope top's overhead benchmark (part of `make bench`, as root). Over loopback, bounded in
# time, it measures three loads -- iperf3 bulk TCP, a 64 B TCP ping-pong and a 64 B UDP
# ping-pong (both ends pinned to one CPU) -- under each monitoring condition: none (base),
# `sleep` (A/A, the noise), a do-nothing tp_btf program on the same hooks (the floor),
# `sockscope top`, nethogs and a bpftrace per-PID sum. Conditions are interleaved within each
# round, the order rotated each round, every monitor started fresh, given time to attach and
# stopped by PID; its CPU time over the load is read from /proc. It prints, per load, medians,
# the ratio of medians to base and the per-round paired ratios.
#
# Two more passes follow: in-kernel cost per call (run_time_ns / run_cnt with
# kernel.bpf_stats_enabled=1, which itself costs ~70 ns per run and so is kept out of the ratio
# runs) for sockscope, the no-op floor and bpftrace under the TCP ping-pong; and `top`'s own CPU
# with the ping-pong paced to ~100k socket calls/s, checking its per-process counts against the
# ping-pong's own tally. trace.sh, conns.sh and serve.sh measure the other subcommands the same
# way; lib.sh holds what they share.
#
# Environment (and lib.sh's): LOADS ("iperf3 tcp udp"), CONDS ("base aa noop top nethogs
# bpftrace"), CPU_REPS (3, 0 skips), CPU_RATE round trips/s for the CPU pass (25000, i.e. 100k
# calls/s). Quick test:
#   ROUNDS=1 DUR=2 STATS_REPS=1 CPU_REPS=1 bench/run.sh
set -uo pipefail

BENCH=top
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOADS=${LOADS:-"iperf3 tcp udp"}
CONDS=${CONDS:-"base aa noop top nethogs bpftrace"}
CPU_REPS=${CPU_REPS:-3}
CPU_RATE=${CPU_RATE:-25000}

# ---------------------------------------------------------------- monitor CPU pass

# `top` during a ping-pong paced to $1 round trips/s (0: unpaced); checks its counts.
cpu_run() {
	local rate=$1 rep=$2 tag=$OUT/cpu-$1-$2 t0 t1 n0 n1 w0 w1 v
	local seen truth seenb truthb secs rts
	start_monitor top "$tag.jsonl"
	wait_ready top || { stop_monitor; return; }
	t0=$(cpu_ticks "$MON_PID")
	n0=$(cpu_ns "$MON_PID")
	w0=$(date +%s.%N)
	run_load tcp "$tag.out" "$([[ $rate != 0 ]] && echo "$rate")"
	v=$LOAD_V
	w1=$(date +%s.%N)
	t1=$(cpu_ticks "$MON_PID")
	n1=$(cpu_ns "$MON_PID")
	stop_monitor
	[[ -z $v ]] && { log "$BENCH: paced ping-pong failed"; return; }
	# calls seen by top for the two ping-pong processes, and the ping-pong's own tally
	jq -rs --slurpfile pp "$tag.out" '
		($pp[0]) as $p
		| [ .[] | select(.type == "summary" and (.pid == $p.client_pid or .pid == $p.server_pid)) ]
		| (map(.sent_calls + .recv_calls) | add // 0) as $seen
		| (map(.sent_bytes + .recv_bytes) | add // 0) as $seenb
		| ($p.client_sent_calls + $p.client_recv_calls + $p.server_sent_calls + $p.server_recv_calls) as $truth
		| ($p.client_sent_bytes + $p.client_recv_bytes + $p.server_sent_bytes + $p.server_recv_bytes) as $truthb
		| "\($seen) \($truth) \($seenb) \($truthb) \($p.seconds) \($p.rt_per_sec)"' \
		"$tag.jsonl" >"$tag.check" 2>&1
	read -r seen truth seenb truthb secs rts <"$tag.check"
	awk -v r="$rate" -v rep="$rep" -v t="$((t1 - t0))" -v hz="$HZ" -v n="$((n1 - n0))" \
		-v s="$w0" -v e="$w1" -v seen="$seen" -v truth="$truth" -v sb="$seenb" \
		-v tb="$truthb" -v secs="$secs" -v rts="$rts" 'BEGIN {
		w = e - s
		printf "%s\t%s\t%.0f\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t%.0f\n", r, rep, rts,
			n / 1e7 / w, t / hz * 100 / w, seen, truth, sb, tb, seen / secs }' \
		>>"$OUT/cpu-pass.tsv"
	[[ $seen == "$truth" && $seenb == "$truthb" ]] ||
		log "$BENCH: WARNING: top counted $seen calls / $seenb bytes for the ping-pong," \
			"which made $truth calls / $truthb bytes (see $tag.jsonl)"
	log "  rate ${rate/#0/max}  rep $rep  $(tail -1 "$OUT/cpu-pass.tsv" | awk -F'\t' \
		'{ printf "%s rt/s, top CPU %s%% (ticks: %s%%), %s calls/s seen", $3, $4, $5, $10 }')"
}

cpu_pass() {
	local rep
	((CPU_REPS > 0)) || return 0
	[[ " $CONDS " == *" top "* ]] || return 0
	log "$BENCH: top's own CPU, tcp ping-pong paced to $CPU_RATE rt/s and unpaced"
	for ((rep = 1; rep <= CPU_REPS; rep++)); do
		cpu_run "$CPU_RATE" "$rep"
		cpu_run 0 "$rep"
	done
}

cpu_report() {
	[[ -s $OUT/cpu-pass.tsv ]] || return 0
	printf '\n## sockscope top'"'"'s own CPU (tcp ping-pong, median of %s runs, %s s each)\n\n' "$CPU_REPS" "$DUR"
	printf '| pacing | round trips/s | socket calls/s seen by top | top CPU %% of a core (schedstat) | (from utime+stime ticks) | counts exact |\n'
	printf '|---|---|---|---|---|---|\n'
	local rate
	for rate in "$CPU_RATE" 0; do
		awk -F'\t' -v r="$rate" '$1 == r' "$OUT/cpu-pass.tsv" | grep -q . || continue
		printf '| %s | %s | %s | %s | %s | %s |\n' \
			"$([[ $rate == 0 ]] && echo "none" || echo "$rate rt/s")" \
			"$(awk -F'\t' -v r="$rate" '$1 == r { print $3 }' "$OUT/cpu-pass.tsv" | median)" \
			"$(awk -F'\t' -v r="$rate" '$1 == r { print $10 }' "$OUT/cpu-pass.tsv" | median)" \
			"$(awk -F'\t' -v r="$rate" '$1 == r { print $4 }' "$OUT/cpu-pass.tsv" | median)" \
			"$(awk -F'\t' -v r="$rate" '$1 == r { print $5 }' "$OUT/cpu-pass.tsv" | median)" \
			"$(awk -F'\t' -v r="$rate" '$1 == r { n++; if ($6 == $7 && $8 == $9) ok++ }
				END { printf "%d of %d", ok, n }' "$OUT/cpu-pass.tsv")"
	done
}

# ---------------------------------------------------------------- main

main() {
	bench_setup nethogs=nethogs bpftrace=bpftrace
	header "ROUNDS=$ROUNDS DUR=$DUR ATTACH=$ATTACH CPU=$CPU LOADS='$LOADS' CONDS='$CONDS' STATS_REPS=$STATS_REPS CPU_REPS=$CPU_REPS CPU_RATE=$CPU_RATE bench/run.sh" \
		"$(iperf3 --version | head -1); $(nethogs -V 2>&1 | head -1); $(bpftrace --version)"
	ratio_rounds
	wait_quiet stats
	stats_pass tcp "$(for c in noop top bpftrace; do [[ " $CONDS " == *" $c "* ]] && echo "$c"; done | tr '\n' ' ')"
	wait_quiet cpu
	cpu_pass
	{
		cat "$OUT/header.txt"
		report
		stats_report
		stats_predict "$(values tcp base 4 | median)"
		cpu_report
		footer
	} | tee "$OUT/report.md"
	log ""
	log "$BENCH: raw data and report in $OUT"
}

main "$@"
