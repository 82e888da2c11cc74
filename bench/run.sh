#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sockscope's overhead benchmark (`make bench`, as root). Over loopback, bounded in time, it
# measures three loads -- iperf3 bulk TCP, a 64 B TCP ping-pong and a 64 B UDP ping-pong (both
# ends pinned to one CPU) -- under each monitoring condition: none (base), `sleep` (A/A, the
# noise), a do-nothing tp_btf program on the same hooks (the floor), `sockscope top`, nethogs
# and a bpftrace per-PID sum. Conditions are interleaved within each round, the order rotated
# each round, every monitor started fresh, given time to attach and stopped by PID; its CPU
# time over the load is read from /proc. It prints, per load, medians, the ratio of medians to
# base and the per-round paired ratios.
#
# Two more passes follow: in-kernel cost per call (run_time_ns / run_cnt with
# kernel.bpf_stats_enabled=1, which itself costs ~70 ns per run and so is kept out of the ratio
# runs) for sockscope, the no-op floor and bpftrace under the TCP ping-pong; and `top`'s own CPU
# with the ping-pong paced to ~100k socket calls/s, checking its per-process counts against the
# ping-pong's own tally.
#
# Environment: ROUNDS (5), DUR seconds per load (5), ATTACH seconds per monitor (2), CPU for the
# ping-pong (0), LOADS ("iperf3 tcp udp"), CONDS ("base aa noop top nethogs bpftrace"),
# STATS_REPS (3, 0 skips the pass), CPU_REPS (3, 0 skips), CPU_RATE round trips/s for the CPU
# pass (25000, i.e. 100k calls/s), IDLE_MAX (10: % of a CPU others may use before a round
# starts) and IDLE_WAIT (600: seconds to wait for that), OUT (results directory). Quick test:
#   ROUNDS=1 DUR=2 STATS_REPS=1 CPU_REPS=1 bench/run.sh
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

ROUNDS=${ROUNDS:-5}
DUR=${DUR:-5}
ATTACH=${ATTACH:-2}
CPU=${CPU:-0}
LOADS=${LOADS:-"iperf3 tcp udp"}
CONDS=${CONDS:-"base aa noop top nethogs bpftrace"}
STATS_REPS=${STATS_REPS:-3}
CPU_REPS=${CPU_REPS:-3}
CPU_RATE=${CPU_RATE:-25000}
SOCKSCOPE_SET=${SOCKSCOPE:-}
SOCKSCOPE=${SOCKSCOPE:-$ROOT/build/sockscope}
BENCHBIN=$ROOT/build/bench
OUT=${OUT:-$ROOT/build/bench/results-$(date +%Y%m%d-%H%M%S)}
LOCK=/tmp/sockscope-bpf.lock
IPERF_PORT=${IPERF_PORT:-5299}
IDLE_MAX=${IDLE_MAX:-10}
IDLE_WAIT=${IDLE_WAIT:-600}
HZ=$(getconf CLK_TCK)

BT_PROG='tracepoint:sock:sock_send_length /args->ret > 0/ { @send[pid] = sum(args->ret); }
tracepoint:sock:sock_recv_length /args->ret > 0/ { @recv[pid] = sum(args->ret); }'

# Program names as `bpftool prog show` reports them (the kernel keeps 15 characters).
declare -A PROG_NAMES=(
	[top]="sock_send_btf sock_recv_btf"
	[noop]="noop_send_btf noop_recv_btf"
	[bpftrace]="sock_send_lengt sock_recv_lengt"
)

PIDS=()          # every background process this script started
STATS_ON=0       # whether we turned kernel.bpf_stats_enabled on
PROGS_BEFORE=""  # BPF program ids loaded when we took the lock
LOCKED=0         # whether we hold the lock (and so may judge leftovers)

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

# ---------------------------------------------------------------- set-up and clean-up

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
	if ((STATS_ON)); then
		sysctl -qw kernel.bpf_stats_enabled=0
		STATS_ON=0
	fi
}
# On any exit, with the lock still held: stop what we started, then check that no BPF program
# of ours stayed loaded and bpf stats are off.
on_exit() {
	cleanup
	((LOCKED)) || return 0
	check_no_leftovers
	[[ $(sysctl -n kernel.bpf_stats_enabled) == 0 ]] || log "bench: WARNING: bpf stats still on"
}
trap on_exit EXIT
trap 'log "bench: interrupted"; exit 130' INT
trap 'log "bench: terminated"; exit 143' TERM

track() { PIDS+=("$1"); }
untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

need_tools() {
	local -A pkg=([iperf3]=iperf3 [nethogs]=nethogs [bpftrace]=bpftrace [jq]=jq
		      [bpftool]=bpftool [clang]=clang [flock]=util-linux [sysctl]=procps)
	local missing=() t
	for t in "${!pkg[@]}"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("${pkg[$t]}")
	done
	((${#missing[@]} == 0)) && return 0
	log "bench: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
}

# The bench's own helpers are always brought up to date; sockscope is built only when missing
# (`make bench` has just built it; SOCKSCOPE= names another build, e.g. of a given commit).
build() {
	if [[ ! -x $SOCKSCOPE ]]; then
		[[ $SOCKSCOPE == "$ROOT/build/sockscope" ]] || die "no executable $SOCKSCOPE"
		make -s -C "$ROOT" all >/dev/null || die "make failed"
	fi
	make -s -C "$ROOT" -f bench/Makefile >/dev/null || die "building bench/ failed"
}

prog_ids() { bpftool prog show --json | jq -r '.[].id' | sort -n | tr '\n' ' '; }

# Waits for BPF programs loaded by us to be gone (their release is deferred a little).
check_no_leftovers() {
	local now extra
	for _ in $(seq 1 25); do
		now=$(prog_ids)
		extra=$(comm -13 <(tr ' ' '\n' <<<"$PROGS_BEFORE" | sort) \
			<(tr ' ' '\n' <<<"$now" | sort) | grep -v '^$' || true)
		[[ -z $extra ]] && { log "bench: no BPF program left loaded"; return 0; }
		sleep 0.2
	done
	log "bench: WARNING: BPF programs still loaded after the run:"
	bpftool prog show | grep -E "^($(tr '\n' '|' <<<"$extra" | sed 's/|$//')):" >&2
	return 1
}

# CPU busy % of the whole machine (100 = one CPU) over $1 seconds, from /proc/stat.
machine_busy() {
	local a b
	a=$(head -1 /proc/stat)
	sleep "$1"
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" -v s="$1" -v hz="$HZ" 'BEGIN {
		n = split(a, x); split(b, y)
		for (i = 2; i <= 9 && i <= n; i++) { t += y[i] - x[i]; if (i == 5 || i == 6) idle += y[i] - x[i] }
		printf "%.0f\n", (t - idle) / hz / s * 100 }'
}

# The machine is shared: before each round, wait (up to IDLE_WAIT s) for it to be quiet, since
# a process spinning on the other CPU moves the ping-pong by far more than any monitor does.
wait_quiet() {
	local busy waited=0
	while :; do
		busy=$(machine_busy 1)
		((busy <= IDLE_MAX)) && break
		if ((waited == 0)); then
			log "bench: machine busy (${busy}% of a CPU with nothing of ours running):"
			ps -eo pid,pcpu,etime,args --sort=-pcpu | sed -n '2,4p' | cut -c1-120 >&2
		fi
		if ((waited >= IDLE_WAIT)); then
			log "bench: WARNING: still busy after ${IDLE_WAIT}s; measuring anyway"
			break
		fi
		sleep 4
		waited=$((waited + 5))
	done
	printf '%s\t%s\t%s\n' "$1" "$busy" "$waited" >>"$OUT/quiet.tsv"
}

# ---------------------------------------------------------------- monitors

# CPU time of a process in clock ticks (utime + stime, all threads, from /proc/PID/stat).
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	awk '{ print $12 + $13 }' <<<"$s"
}

# Run time in ns summed over the process's threads (schedstat): finer than ticks.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# Starts monitor $1 with stdout to $2; sets MON_PID (empty for base).
start_monitor() {
	local out=$2 err=$OUT/monitors.log
	MON_PID=""
	case $1 in
	base) return 0 ;;
	aa) sleep 100000 >"$out" 2>>"$err" & ;;
	noop) "$BENCHBIN/noop" >"$out" 2>>"$err" & ;;
	top) "$SOCKSCOPE" top --json -i 1 >"$out" 2>>"$err" & ;;
	nethogs) nethogs -t -a -d 1 lo >"$out" 2>>"$err" & ;;
	bpftrace) bpftrace -e "$BT_PROG" >"$out" 2>>"$err" & ;;
	*) die "unknown condition $1" ;;
	esac
	MON_PID=$!
	track "$MON_PID"
}

# True when monitor $1's BPF programs are all loaded (or it has none).
attached() {
	local names=${PROG_NAMES[$1]:-} n loaded
	[[ -z $names ]] && return 0
	loaded=$(bpftool prog show --json | jq -r '.[].name')
	for n in $names; do
		grep -qx "$n" <<<"$loaded" || return 1
	done
}

# Gives the monitor ATTACH seconds, then up to 20 s more until its programs are in.
wait_ready() {
	[[ -z $MON_PID ]] && return 0
	sleep "$ATTACH"
	for _ in $(seq 1 100); do
		kill -0 "$MON_PID" 2>/dev/null || { log "bench: monitor $1 died"; return 1; }
		attached "$1" && return 0
		sleep 0.2
	done
	log "bench: monitor $1 did not attach"
	return 1
}

# Stops the monitor: SIGINT (the summary path), then SIGTERM, then SIGKILL.
stop_monitor() {
	local p=$MON_PID sig
	[[ -z $p ]] && return 0
	for sig in INT TERM KILL; do
		[[ $1 == aa && $sig == INT ]] && continue # a background sleep ignores SIGINT
		kill -"$sig" "$p" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break 2
			sleep 0.1
		done
		log "bench: monitor $1 (pid $p) survived SIG$sig"
	done
	wait "$p" 2>/dev/null
	untrack "$p"
	MON_PID=""
}

# ---------------------------------------------------------------- loads

# Runs load $1 for DUR seconds (ping-pong paced to $3 round trips/s if given), saving its raw
# output in $2; sets LOAD_V to its throughput (Gbit/s or round trips/s), empty on failure.
# Runs in the calling shell, not a subshell, so that the trap knows every PID it starts.
run_load() {
	local raw=$2 sp v
	LOAD_V=""
	case $1 in
	iperf3)
		iperf3 -s -1 -B 127.0.0.1 -p "$IPERF_PORT" >/dev/null 2>&1 &
		sp=$!
		track "$sp"
		for _ in $(seq 1 50); do
			ss -Hltn "sport = :$IPERF_PORT" | grep -q . && break
			sleep 0.05
		done
		timeout -k 5 $((DUR + 30)) iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t "$DUR" -J \
			>"$raw" 2>&1
		timeout 10 tail --pid="$sp" -f /dev/null
		kill "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
		untrack "$sp"
		v=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$raw" 2>/dev/null)
		;;
	tcp | udp)
		timeout -k 5 $((DUR + 30)) "$BENCHBIN/pingpong" $([[ $1 == udp ]] && echo -u) \
			-t "$DUR" -C "$CPU" -s 64 ${3:+-r "$3"} >"$raw" 2>&1
		v=$(jq -r '.rt_per_sec' "$raw" 2>/dev/null)
		;;
	esac
	[[ $v =~ ^[0-9.e+]+$ ]] && LOAD_V=$v
	return 0
}

label() {
	case $1 in
	base) echo "base (no monitor)" ;;
	aa) echo "A/A (sleep)" ;;
	noop) echo "no-op tp_btf floor" ;;
	top) echo "sockscope top" ;;
	nethogs) echo "nethogs -t" ;;
	bpftrace) echo "bpftrace per-PID sum" ;;
	*) echo "$1" ;;
	esac
}

unit_of() { [[ $1 == iperf3 ]] && echo "Gbit/s" || echo "round trips/s"; }

# One measurement: load $1 under condition $2 in round $3; appends a line to raw.tsv.
measure() {
	local load=$1 cond=$2 round=$3 tag=$OUT/r$3-$1-$2 v t0 t1 n0 n1 w0 w1 pct
	start_monitor "$cond" /dev/null
	if ! wait_ready "$cond"; then
		stop_monitor "$cond"
		printf '%s\t%s\t%s\tNA\tNA\n' "$round" "$load" "$cond" >>"$OUT/raw.tsv"
		return
	fi
	if [[ -n $MON_PID ]]; then
		t0=$(cpu_ticks "$MON_PID")
		n0=$(cpu_ns "$MON_PID")
	fi
	w0=$(date +%s.%N)
	run_load "$load" "$tag.out"
	v=$LOAD_V
	w1=$(date +%s.%N)
	pct=NA
	if [[ -n $MON_PID ]]; then
		t1=$(cpu_ticks "$MON_PID")
		n1=$(cpu_ns "$MON_PID")
		pct=$(awk -v a="$n0" -v b="$n1" -v s="$w0" -v e="$w1" \
			'BEGIN { printf "%.3f", (b - a) / 1e7 / (e - s) }')
		printf '%s\t%s\t%s\tticks=%s\tns=%s\twall=%s\n' "$round" "$load" "$cond" \
			$((t1 - t0)) $((n1 - n0)) "$(awk -v s="$w0" -v e="$w1" 'BEGIN{print e-s}')" \
			>>"$OUT/cpu.tsv"
	fi
	stop_monitor "$cond"
	[[ -z $v ]] && { log "bench: $load under $cond failed (see $tag.out)"; v=NA; }
	printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$load" "$cond" "$v" "$pct" >>"$OUT/raw.tsv"
	log "  round $round  $(printf '%-7s %-9s' "$load" "$cond") $v $(unit_of "$load")" \
		"$([[ $pct != NA ]] && echo "  monitor CPU $pct%")"
}

# ---------------------------------------------------------------- reporting

median() { sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Column $2 of raw.tsv for load $1 and condition $3, one value per line, NA dropped.
values() { awk -F'\t' -v l="$1" -v c="$2" -v k="$3" '$2 == l && $3 == c && $k != "NA" { print $k }' "$OUT/raw.tsv"; }

# Per-round ratios of condition $2 to base under load $1.
paired() {
	awk -F'\t' -v l="$1" -v c="$2" '$2 == l && $4 != "NA" { v[$1, $3] = $4; r[$1] = 1 }
		END { for (i in r) if (((i, c) in v) && ((i, "base") in v) && v[i, "base"] > 0)
			print v[i, c] / v[i, "base"] }' "$OUT/raw.tsv"
}

report() {
	local load cond base med pm lo hi cpu n fmt
	printf '\n## Throughput under each monitor (%s rounds, %s s per load, medians)\n' \
		"$ROUNDS" "$DUR"
	for load in $LOADS; do
		base=$(values "$load" base 4 | median)
		fmt=$([[ $load == iperf3 ]] && echo "%.2f" || echo "%.0f")
		printf '\n### %s (%s)\n\n' "$load" "$(unit_of "$load")"
		printf '| condition | median | ratio of medians | paired ratio median | paired range | n | monitor CPU %% |\n'
		printf '|---|---|---|---|---|---|---|\n'
		for cond in $CONDS; do
			med=$(values "$load" "$cond" 4 | median)
			n=$(values "$load" "$cond" 4 | wc -l)
			cpu=$(values "$load" "$cond" 5 | median)
			if [[ $cond == base ]]; then
				printf "| %s | $fmt | 1 | 1 | - | %s | - |\n" "$(label "$cond")" "$med" "$n"
				continue
			fi
			pm=$(paired "$load" "$cond" | median)
			lo=$(paired "$load" "$cond" | sort -g | head -1)
			hi=$(paired "$load" "$cond" | sort -g | tail -1)
			awk -v c="$(label "$cond")" -v m="$med" -v b="$base" -v pm="$pm" -v lo="${lo:-NA}" \
				-v hi="${hi:-NA}" -v n="$n" -v cpu="$cpu" -v fmt="$fmt" 'BEGIN {
				if (m != "NA") m = sprintf(fmt, m)
				r = (b > 0 && m != "NA") ? sprintf("%.3f", m / b) : "NA"
				f = (pm != "NA") ? sprintf("%.3f", pm) : "NA"
				g = (lo != "NA") ? sprintf("%.3f-%.3f", lo, hi) : "NA"
				printf "| %s | %s | %s | %s | %s | %s | %s |\n", c, m, r, f, g, n, cpu }'
		done
	done
}

# ---------------------------------------------------------------- in-kernel cost pass

# Sum of run_time_ns and run_cnt over the named programs: "ns cnt".
prog_stats() {
	local names=$1
	bpftool prog show --json | jq -r --arg n "$names" '
		($n | split(" ")) as $want
		| [ .[] | select(.name as $x | $want | index($x)) ]
		| "\(map(.run_time_ns // 0) | add // 0) \(map(.run_cnt // 0) | add // 0)"'
}

stats_pass() {
	local rep cond conds=(noop top bpftrace) i a b ns cnt
	((STATS_REPS > 0)) || return 0
	log "bench: in-kernel cost pass (kernel.bpf_stats_enabled=1), tcp ping-pong"
	sysctl -qw kernel.bpf_stats_enabled=1 && STATS_ON=1
	for ((rep = 1; rep <= STATS_REPS; rep++)); do
		for ((i = 0; i < ${#conds[@]}; i++)); do
			cond=${conds[$(((i + rep) % ${#conds[@]}))]}
			[[ " $CONDS " == *" $cond "* ]] || continue
			start_monitor "$cond" /dev/null
			if ! wait_ready "$cond"; then
				stop_monitor "$cond"
				continue
			fi
			a=$(prog_stats "${PROG_NAMES[$cond]}")
			run_load tcp "$OUT/stats-$rep-$cond.out"
			b=$(prog_stats "${PROG_NAMES[$cond]}")
			stop_monitor "$cond"
			ns=$((${b% *} - ${a% *}))
			cnt=$((${b#* } - ${a#* }))
			printf '%s\t%s\t%s\t%s\n' "$rep" "$cond" "$ns" "$cnt" >>"$OUT/stats.tsv"
			log "  rep $rep  $(printf '%-9s' "$cond") $(awk -v n="$ns" -v c="$cnt" \
				'BEGIN { printf "%.1f ns/call over %d calls", c ? n / c : 0, c }')"
		done
	done
	sysctl -qw kernel.bpf_stats_enabled=0 && STATS_ON=0
}

nscall() { awk -F'\t' -v c="$1" '$2 == c && $4 > 0 { print $3 / $4 }' "$OUT/stats.tsv"; }

stats_report() {
	[[ -s $OUT/stats.tsv ]] || return 0
	local noop cond v rt
	printf '\n## In-kernel cost per call (run_time_ns / run_cnt, stats on, tcp ping-pong, median of %s)\n\n' "$STATS_REPS"
	printf '| program | ns per call | range | ratio to no-op | calls/s (run_cnt / DUR) |\n|---|---|---|---|---|\n'
	noop=$(nscall noop | median)
	for cond in noop top bpftrace; do
		v=$(nscall "$cond" | median)
		[[ $v == NA ]] && continue
		awk -v c="$(label "$cond")" -v v="$v" -v n="$noop" -v d="$DUR" \
			-v lo="$(nscall "$cond" | sort -g | head -1)" \
			-v hi="$(nscall "$cond" | sort -g | tail -1)" \
			-v r="$(awk -F'\t' -v c="$cond" '$2 == c { print $4 }' "$OUT/stats.tsv" | median)" \
			'BEGIN { printf "| %s | %.1f | %.1f-%.1f | %s | %.0f |\n", c, v, lo, hi,
				(n != "NA" && n > 0) ? sprintf("%.2f", v / n) : "NA", r / d }'
	done
	# What the extra in-kernel time alone predicts for the ping-pong ratio (4 calls per
	# round trip): far less noisy than the measured ratios on a shared VM.
	# adjacent runs of top and the no-op within a repetition, as a paired ratio
	v=$(awk -F'\t' '{ ns[$1, $2] = $4 ? $3 / $4 : 0; r[$1] = 1 } END { for (i in r)
		if (ns[i, "top"] > 0 && ns[i, "noop"] > 0) print ns[i, "top"] / ns[i, "noop"] }' \
		"$OUT/stats.tsv" | sort -g | tr '\n' ' ')
	[[ -n $v ]] && awk -v l="$v" 'BEGIN { n = split(l, a, " ")
		m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		printf "\nPaired top/no-op ratio per repetition: median %.2f, range %.2f-%.2f (n=%d)\n", m, a[1], a[n], n }'
	v=$(nscall top | median)
	rt=$(values tcp base 4 | median)
	[[ $v != NA && $noop != NA && $rt != NA ]] &&
		awk -v t="$v" -v n="$noop" -v rt="$rt" 'BEGIN {
			printf "\nPredicted from these costs: top adds %.1f ns per call over the no-op, %.0f ns per\n", t - n, 4 * (t - n)
			printf "TCP round trip (4 calls); at the base median of %.0f round trips/s that is %.2f%% of a round trip.\n", rt, 4 * (t - n) * rt / 1e7 }'
}

# ---------------------------------------------------------------- monitor CPU pass

# `top` during a ping-pong paced to $1 round trips/s (0: unpaced); checks its counts.
cpu_run() {
	local rate=$1 rep=$2 tag=$OUT/cpu-$1-$2 t0 t1 n0 n1 w0 w1 v
	local seen truth seenb truthb secs rts
	start_monitor top "$tag.jsonl"
	wait_ready top || { stop_monitor top; return; }
	t0=$(cpu_ticks "$MON_PID")
	n0=$(cpu_ns "$MON_PID")
	w0=$(date +%s.%N)
	run_load tcp "$tag.out" "$([[ $rate != 0 ]] && echo "$rate")"
	v=$LOAD_V
	w1=$(date +%s.%N)
	t1=$(cpu_ticks "$MON_PID")
	n1=$(cpu_ns "$MON_PID")
	stop_monitor top
	[[ -z $v ]] && { log "bench: paced ping-pong failed"; return; }
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
		log "bench: WARNING: top counted $seen calls / $seenb bytes for the ping-pong," \
			"which made $truth calls / $truthb bytes (see $tag.jsonl)"
	log "  rate ${rate/#0/max}  rep $rep  $(tail -1 "$OUT/cpu-pass.tsv" | awk -F'\t' \
		'{ printf "%s rt/s, top CPU %s%% (ticks: %s%%), %s calls/s seen", $3, $4, $5, $10 }')"
}

cpu_pass() {
	local rep
	((CPU_REPS > 0)) || return 0
	[[ " $CONDS " == *" top "* ]] || return 0
	log "bench: top's own CPU, tcp ping-pong paced to $CPU_RATE rt/s and unpaced"
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
	local round i load cond conds
	[[ $(id -u) -eq 0 ]] || die "needs root (BPF programs, sysctl, nethogs)"
	[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DUR =~ ^[1-9][0-9]*$ ]] || die "ROUNDS and DUR must be positive integers"
	need_tools
	build
	mkdir -p "$OUT" || die "cannot create $OUT"

	# One BPF benchmark or test suite at a time on this machine.
	exec 9>"$LOCK"
	if ! flock -n 9; then
		log "bench: waiting for $LOCK (another BPF benchmark or test suite is running)"
		flock 9
	fi
	LOCKED=1
	PROGS_BEFORE=$(prog_ids)
	[[ $(sysctl -n kernel.bpf_stats_enabled) == 0 ]] ||
		log "bench: WARNING: kernel.bpf_stats_enabled was already on; turning it off"
	sysctl -qw kernel.bpf_stats_enabled=0

	{
		echo "command: ${SOCKSCOPE_SET:+SOCKSCOPE=$SOCKSCOPE }ROUNDS=$ROUNDS DUR=$DUR ATTACH=$ATTACH CPU=$CPU LOADS='$LOADS' CONDS='$CONDS' STATS_REPS=$STATS_REPS CPU_REPS=$CPU_REPS CPU_RATE=$CPU_RATE bench/run.sh"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "machine: nproc $(nproc), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
		echo "sockscope: $SOCKSCOPE ($("$SOCKSCOPE" --version 2>&1 | head -1), sha256 $(sha256sum "$SOCKSCOPE" | cut -c1-12)); tree at commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo " + uncommitted changes in src/")"
		echo "peers: $(iperf3 --version | head -1); $(nethogs -V 2>&1 | head -1); $(bpftrace --version)"
		echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	} | tee "$OUT/header.txt" >&2

	read -ra conds <<<"$CONDS"
	for ((round = 1; round <= ROUNDS; round++)); do
		log "bench: round $round of $ROUNDS"
		wait_quiet "$round"
		for load in $LOADS; do
			for ((i = 0; i < ${#conds[@]}; i++)); do
				cond=${conds[$(((i + round - 1) % ${#conds[@]}))]}
				measure "$load" "$cond" "$round"
			done
		done
	done
	wait_quiet stats
	stats_pass
	wait_quiet cpu
	cpu_pass
	{
		cat "$OUT/header.txt"
		report
		stats_report
		cpu_report
		echo
		echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "background CPU before each round (% of a CPU): $(cut -f2 "$OUT/quiet.tsv" | tr '\n' ' ')"
	} | tee "$OUT/report.md"
	log ""
	log "bench: raw data and report in $OUT"
}

main "$@"
