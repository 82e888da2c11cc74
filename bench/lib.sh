# SPDX-License-Identifier: GPL-2.0
# Shared by the benchmark scripts (run.sh for `top`, trace.sh, conns.sh, serve.sh); sourced,
# not run. It holds what every benchmark does the same way: taking the BPF lock, starting and
# stopping monitors and loads (every process tracked, all stopped by the exit trap), waiting for
# a quiet machine, interleaved rounds with rotated order and their report (medians, ratio of
# medians, per-round paired ratios), the in-kernel cost pass (kernel.bpf_stats_enabled=1) and
# the checks on exit (no BPF program of ours left loaded, bpf stats off).
#
# A script sets BENCH (its name, for messages and the results directory), then sources this
# file, then calls bench_setup, which parses nothing but the environment:
# ROUNDS (5), DUR seconds per load (5), ATTACH seconds per monitor (2), CPU for the ping-pong
# (0), STATS_REPS (3), IDLE_MAX (10: % of a CPU others may use before a round starts),
# IDLE_WAIT (600: seconds to wait for that), SOCKSCOPE (the binary under test), OUT (results
# directory), IPERF_PORT (5299), SERVE_PORT (9599).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

ROUNDS=${ROUNDS:-5}
DUR=${DUR:-5}
ATTACH=${ATTACH:-2}
CPU=${CPU:-0}
STATS_REPS=${STATS_REPS:-3}
SOCKSCOPE_SET=${SOCKSCOPE:-}
SOCKSCOPE=${SOCKSCOPE:-$ROOT/build/sockscope}
BENCHBIN=$ROOT/build/bench
LOCK=/tmp/sockscope-bpf.lock
IPERF_PORT=${IPERF_PORT:-5299}
SERVE_PORT=${SERVE_PORT:-9599}
IDLE_MAX=${IDLE_MAX:-10}
IDLE_WAIT=${IDLE_WAIT:-600}
HZ=$(getconf CLK_TCK)

BT_PROG='tracepoint:sock:sock_send_length /args->ret > 0/ { @send[pid] = sum(args->ret); }
tracepoint:sock:sock_recv_length /args->ret > 0/ { @recv[pid] = sum(args->ret); }'

# A monitor's BPF programs as OBJECT:NAME (`*` for any object), NAME as `bpftool prog show`
# reports it (the kernel keeps 15 characters) and OBJECT told by the maps a program uses (see
# prog_table): io (the counters of top, also loaded by trace, conns and serve), trace, conns,
# noop. PROG_READY: what must be loaded before the monitor counts as attached. PROG_CALLS: the
# programs that run once per socket call, one per direction, whose run_cnt is the number of
# calls (the cost per call is then the time of all the monitor's programs over that).
declare -A PROG_READY=(
	[noop]="noop:noop_send_btf noop:noop_recv_btf"
	[top]="io:sock_send_btf io:sock_recv_btf"
	[bpftrace]="*:sock_send_lengt *:sock_recv_lengt"
	[trace]="io:sock_send_btf io:sock_recv_btf trace:sock_send_btf trace:sock_recv_btf"
	[conns]="io:sock_send_btf io:sock_recv_btf conns:conn_state_btf conns:conn_iter"
	[serve]="io:sock_send_btf io:sock_recv_btf conns:conn_state_btf conns:conn_drop_btf"
)
declare -A PROG_CALLS=(
	[noop]="noop:noop_send_btf noop:noop_recv_btf"
	[top]="io:sock_send_btf io:sock_recv_btf"
	[bpftrace]="*:sock_send_lengt *:sock_recv_lengt"
	[trace]="trace:sock_send_btf trace:sock_recv_btf"
	[conns]="io:sock_send_btf io:sock_recv_btf"
	[serve]="io:sock_send_btf io:sock_recv_btf"
)

PIDS=()          # every background process this script started
STATS_ON=0       # whether we turned kernel.bpf_stats_enabled on
PROGS_BEFORE=""  # BPF program ids loaded when we took the lock
LOCKED=0         # whether we hold the lock (and so may judge leftovers)
MON_PID=""       # the running monitor
MON_IDS=""       # ids of the BPF programs loaded when the monitor started

log() { printf '%s\n' "$*" >&2; }
die() { log "$BENCH: $*"; exit 1; }

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
	[[ $(sysctl -n kernel.bpf_stats_enabled) == 0 ]] || log "$BENCH: WARNING: bpf stats still on"
}

track() { PIDS+=("$1"); }
untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# Installs what is missing from Debian's packages: the tools every benchmark uses, and $@
# (tool=package pairs) for this one.
need_tools() {
	local -A pkg=([iperf3]=iperf3 [jq]=jq [bpftool]=bpftool [clang]=clang [flock]=util-linux
		      [sysctl]=procps)
	local missing=() t kv
	for kv in "$@"; do pkg[${kv%%=*}]=${kv#*=}; done
	for t in "${!pkg[@]}"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("${pkg[$t]}")
	done
	((${#missing[@]} == 0)) && return 0
	log "$BENCH: installing ${missing[*]}"
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
		[[ -z $extra ]] && { log "$BENCH: no BPF program left loaded"; return 0; }
		sleep 0.2
	done
	log "$BENCH: WARNING: BPF programs still loaded after the run:"
	bpftool prog show | grep -E "^($(tr '\n' '|' <<<"$extra" | sed 's/|$//')):" >&2
	return 1
}

# Common start: root, tools, build, results directory, exit trap, and the lock, held until the
# script exits (another BPF benchmark or the integration tests take the same lock).
bench_setup() {
	[[ $(id -u) -eq 0 ]] || die "needs root (BPF programs, sysctl)"
	[[ $ROUNDS =~ ^[0-9]+$ && $DUR =~ ^[1-9][0-9]*$ ]] || die "ROUNDS and DUR must be integers"
	need_tools "$@"
	build
	OUT=${OUT:-$ROOT/build/bench/$BENCH-$(date +%Y%m%d-%H%M%S)}
	mkdir -p "$OUT" || die "cannot create $OUT"
	trap on_exit EXIT
	trap 'log "$BENCH: interrupted"; exit 130' INT
	trap 'log "$BENCH: terminated"; exit 143' TERM
	exec 9>"$LOCK"
	if ! flock -n 9; then
		log "$BENCH: waiting for $LOCK (another BPF benchmark or test suite is running)"
		flock 9
	fi
	LOCKED=1
	PROGS_BEFORE=$(prog_ids)
	[[ $(sysctl -n kernel.bpf_stats_enabled) == 0 ]] ||
		log "$BENCH: WARNING: kernel.bpf_stats_enabled was already on; turning it off"
	sysctl -qw kernel.bpf_stats_enabled=0
}

# The run's header, into $OUT/header.txt and stderr: $1 is the command that reproduces it.
header() {
	{
		echo "command: ${SOCKSCOPE_SET:+SOCKSCOPE=$SOCKSCOPE }$1"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "machine: nproc $(nproc), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
		echo "sockscope: $SOCKSCOPE ($("$SOCKSCOPE" --version 2>&1 | head -1), sha256 $(sha256sum "$SOCKSCOPE" | cut -c1-12)); tree at commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo " + uncommitted changes in src/")"
		[[ -n ${2:-} ]] && echo "peers: $2"
		echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	} | tee "$OUT/header.txt" >&2
}

footer() {
	echo
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	[[ -s $OUT/quiet.tsv ]] &&
		echo "background CPU before each step (% of a CPU): $(cut -f2 "$OUT/quiet.tsv" | tr '\n' ' ')"
	return 0
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
			log "$BENCH: machine busy (${busy}% of a CPU with nothing of ours running):"
			ps -eo pid,pcpu,etime,args --sort=-pcpu | sed -n '2,4p' | cut -c1-120 >&2
		fi
		if ((waited >= IDLE_WAIT)); then
			log "$BENCH: WARNING: still busy after ${IDLE_WAIT}s; measuring anyway"
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

# % of one core between two cpu_ns readings $1 $2 over the wall-clock interval $3..$4 (s).
cpu_pct() { awk -v a="$1" -v b="$2" -v s="$3" -v e="$4" 'BEGIN { printf "%.3f", (b - a) / 1e7 / (e - s) }'; }

now() { date +%s.%N; }

# Every loaded BPF program as "id object name run_time_ns run_cnt", the object told by the
# maps it uses (programs of one skeleton share them), or by its name for the no-op floor.
prog_table() {
	jq -nr --slurpfile m <(bpftool map show --json) --slurpfile p <(bpftool prog show --json) '
		($m[0] | map({key: (.id | tostring), value: .name}) | from_entries) as $names
		| $p[0][]
		| ([.map_ids[]? | $names[tostring]]) as $maps
		| (if ($maps | index("trace_stats")) then "trace"
		   elif ($maps | index("conn_stats")) then "conns"
		   elif ($maps | index("io_stats")) then "io"
		   elif (.name | startswith("noop_")) then "noop"
		   else "other" end) as $obj
		| "\(.id) \($obj) \(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# The lines of prog_table (from stdin) of programs loaded since the monitor started.
monitor_progs() {
	awk -v before="$MON_IDS" 'BEGIN { n = split(before, b, " "); for (i = 1; i <= n; i++) old[b[i]] = 1 }
		!($1 in old)'
}

# True when every OBJECT:NAME in $1 is among the monitor's programs.
progs_loaded() {
	local table sel
	table=$(prog_table | monitor_progs)
	for sel in $1; do
		awk -v o="${sel%%:*}" -v n="${sel#*:}" '(o == "*" || $2 == o) && $3 == n { f = 1 }
			END { exit !f }' <<<"$table" || return 1
	done
}

# Starts "$@" as the monitor named $1, stdout to $2 (stderr appended to MON_ERR, by default
# monitors.log); sets MON_PID.
start_cmd() {
	local name=$1 out=$2
	shift 2
	MON_IDS=$(prog_ids)
	"$@" >"$out" 2>>"${MON_ERR:-$OUT/monitors.log}" &
	MON_PID=$!
	track "$MON_PID"
	MON_NAME=$name
}

# Starts monitor $1 (a condition) with stdout to $2; sets MON_PID (empty for base).
start_monitor() {
	local out=$2
	MON_PID=""
	MON_NAME=$1
	case $1 in
	base) return 0 ;;
	aa) start_cmd aa "$out" sleep 100000 ;;
	noop) start_cmd noop "$out" "$BENCHBIN/noop" ;;
	top) start_cmd top "$out" "$SOCKSCOPE" top --json -i 1 ;;
	trace) start_cmd trace "$out" "$SOCKSCOPE" trace --json ;;
	conns) start_cmd conns "$out" "$SOCKSCOPE" conns -i 1 ;;
	serve) start_cmd serve "$out" "$SOCKSCOPE" serve --listen "127.0.0.1:$SERVE_PORT" ;;
	nethogs) start_cmd nethogs "$out" nethogs -t -a -d 1 lo ;;
	bpftrace) start_cmd bpftrace "$out" bpftrace -e "$BT_PROG" ;;
	*) die "unknown condition $1" ;;
	esac
}

# True when monitor $1 is ready: its BPF programs are all loaded (serve: and it answers).
attached() {
	local sel=${PROG_READY[$1]:-}
	[[ -n $sel ]] && ! progs_loaded "$sel" && return 1
	if [[ $1 == serve ]]; then
		curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$SERVE_PORT/healthz" || return 1
	fi
	return 0
}

# Gives the monitor ATTACH seconds, then up to 20 s more until its programs are in.
wait_ready() {
	[[ -z $MON_PID ]] && return 0
	sleep "$ATTACH"
	for _ in $(seq 1 100); do
		kill -0 "$MON_PID" 2>/dev/null || { log "$BENCH: monitor $1 died"; return 1; }
		attached "$1" && return 0
		sleep 0.2
	done
	log "$BENCH: monitor $1 did not attach"
	return 1
}

# Stops the monitor: SIGINT (the summary path), then SIGTERM, then SIGKILL.
stop_monitor() {
	local p=$MON_PID sig
	[[ -z $p ]] && return 0
	for sig in INT TERM KILL; do
		[[ $MON_NAME == aa && $sig == INT ]] && continue # a background sleep ignores SIGINT
		kill -"$sig" "$p" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break 2
			sleep 0.1
		done
		log "$BENCH: monitor $MON_NAME (pid $p) survived SIG$sig"
	done
	wait "$p" 2>/dev/null
	untrack "$p"
	MON_PID=""
}

# ---------------------------------------------------------------- loads

# TCP segments sent and received so far (all of the machine's TCP: loopback here).
tcp_segs() { awk '/^Tcp:/ { if (h) { print $12, $11; exit } h = 1 }' /proc/net/snmp; }

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
	*) die "unknown load $1" ;;
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
	trace) echo "sockscope trace --json" ;;
	conns) echo "sockscope conns" ;;
	serve) echo "sockscope serve" ;;
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
		stop_monitor
		printf '%s\t%s\t%s\tNA\tNA\n' "$round" "$load" "$cond" >>"$OUT/raw.tsv"
		return
	fi
	if [[ -n $MON_PID ]]; then
		t0=$(cpu_ticks "$MON_PID")
		n0=$(cpu_ns "$MON_PID")
	fi
	w0=$(now)
	run_load "$load" "$tag.out"
	v=$LOAD_V
	w1=$(now)
	pct=NA
	if [[ -n $MON_PID ]]; then
		t1=$(cpu_ticks "$MON_PID")
		n1=$(cpu_ns "$MON_PID")
		pct=$(cpu_pct "$n0" "$n1" "$w0" "$w1")
		printf '%s\t%s\t%s\tticks=%s\tns=%s\twall=%s\n' "$round" "$load" "$cond" \
			$((t1 - t0)) $((n1 - n0)) "$(awk -v s="$w0" -v e="$w1" 'BEGIN{print e-s}')" \
			>>"$OUT/cpu.tsv"
		kill -0 "$MON_PID" 2>/dev/null || { log "$BENCH: monitor $cond died during the load"; v=""; }
	fi
	stop_monitor
	[[ -z $v ]] && { log "$BENCH: $load under $cond failed (see $tag.out)"; v=NA; }
	printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$load" "$cond" "$v" "$pct" >>"$OUT/raw.tsv"
	log "  round $round  $(printf '%-7s %-9s' "$load" "$cond") $v $(unit_of "$load")" \
		"$([[ $pct != NA ]] && echo "  monitor CPU $pct%")"
}

# ROUNDS rounds: each load under each of CONDS, order rotated by one each round.
ratio_rounds() {
	local round i load conds
	read -ra conds <<<"$CONDS"
	for ((round = 1; round <= ROUNDS; round++)); do
		log "$BENCH: round $round of $ROUNDS"
		wait_quiet "$round"
		for load in $LOADS; do
			for ((i = 0; i < ${#conds[@]}; i++)); do
				measure "$load" "${conds[$(((i + round - 1) % ${#conds[@]}))]}" "$round"
			done
		done
	done
}

# ---------------------------------------------------------------- reporting

median() { sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# "median (min-max)" of the numbers on stdin, printed with format $1.
spread() {
	sort -g | awk -v f="$1" '{ a[NR] = $1 } END {
		if (!NR) { print "NA"; exit }
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf f " (" f "-" f ")\n", m, a[1], a[NR] }'
}

# Column $3 of raw.tsv for load $1 and condition $2, one value per line, NA dropped.
values() {
	[[ -s $OUT/raw.tsv ]] || return 0
	awk -F'\t' -v l="$1" -v c="$2" -v k="$3" '$2 == l && $3 == c && $k != "NA" { print $k }' "$OUT/raw.tsv"
}

# Per-round ratios of condition $2 to condition $3 (default base) under load $1.
paired() {
	awk -F'\t' -v l="$1" -v c="$2" -v d="${3:-base}" '$2 == l && $4 != "NA" { v[$1, $3] = $4; r[$1] = 1 }
		END { for (i in r) if (((i, c) in v) && ((i, d) in v) && v[i, d] > 0)
			print v[i, c] / v[i, d] }' "$OUT/raw.tsv"
}

report() {
	local load cond base med pm lo hi cpu n fmt
	[[ -s $OUT/raw.tsv ]] || return 0
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
		# each monitor against the floor, round by round (the floor's own noise cancels)
		for cond in $CONDS; do
			[[ $cond == base || $cond == noop || $cond == aa ]] && continue
			[[ " $CONDS " == *" noop "* ]] || break
			pm=$(paired "$load" "$cond" noop | spread "%.3f")
			[[ $pm == NA ]] || printf '\nPaired %s / no-op floor per round: %s\n' "$cond" "$pm"
		done
	done
}

# ---------------------------------------------------------------- in-kernel cost pass

# Under load $1, for each condition in $2 (rotated, STATS_REPS repetitions): the change in
# run_time_ns and run_cnt of each of the monitor's programs over the load, into stats.tsv
# (rep cond id object name ns cnt), and the load's result and TCP segments into
# stats-load.tsv (rep cond load value seconds out_segs in_segs).
stats_pass() {
	local load=$1 rep cond i a b s0 s1 w0 w1 conds
	read -ra conds <<<"$2"
	((STATS_REPS > 0)) || return 0
	log "$BENCH: in-kernel cost pass (kernel.bpf_stats_enabled=1), $load"
	sysctl -qw kernel.bpf_stats_enabled=1 && STATS_ON=1
	for ((rep = 1; rep <= STATS_REPS; rep++)); do
		for ((i = 0; i < ${#conds[@]}; i++)); do
			cond=${conds[$(((i + rep) % ${#conds[@]}))]}
			start_monitor "$cond" /dev/null
			if ! wait_ready "$cond"; then
				stop_monitor
				continue
			fi
			a=$(prog_table | monitor_progs)
			s0=$(tcp_segs)
			w0=$(now)
			run_load "$load" "$OUT/stats-$rep-$cond.out"
			w1=$(now)
			s1=$(tcp_segs)
			b=$(prog_table | monitor_progs)
			stop_monitor
			awk -v rep="$rep" -v c="$cond" 'NR == FNR { ns[$1] = $4; cnt[$1] = $5; next }
				{ printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", rep, c, $1, $2, $3,
					$4 - ns[$1], $5 - cnt[$1] }' <(echo "$a") <(echo "$b") >>"$OUT/stats.tsv"
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cond" "$load" "${LOAD_V:-NA}" \
				"$(awk -v s="$w0" -v e="$w1" 'BEGIN { print e - s }')" \
				$((${s1% *} - ${s0% *})) $((${s1#* } - ${s0#* })) >>"$OUT/stats-load.tsv"
			log "  rep $rep  $(printf '%-9s' "$cond") $(cond_reps "$cond" | awk -v r="$rep" \
				'$1 == r { printf "%.1f ns/call over %d calls", $2, $3 }')"
		done
	done
	sysctl -qw kernel.bpf_stats_enabled=0 && STATS_ON=0
}

# Per repetition of condition $1, one line: "rep ns_per_call calls calls_per_s ns_per_segment
# bpf_pct": the time of all the monitor's programs over the calls its PROG_CALLS programs saw,
# the calls per second of the load, that time over the TCP segments sent, and as % of a core.
cond_reps() {
	awk -F'\t' -v c="$1" -v sel="${PROG_CALLS[$1]:-}" '
		BEGIN { n = split(sel, s, " "); for (i = 1; i <= n; i++) want[s[i]] = 1 }
		NR == FNR { if ($2 == c) { sec[$1] = $5; seg[$1] = $6 } next }
		$2 == c { ns[$1] += $6; if ((($4 ":" $5) in want) || (("*:" $5) in want)) cnt[$1] += $7 }
		END { for (r in sec) if (sec[r] > 0 && cnt[r] > 0)
			printf "%s %.3f %d %.0f %.3f %.4f\n", r, ns[r] / cnt[r], cnt[r], cnt[r] / sec[r],
				seg[r] ? ns[r] / seg[r] : 0, ns[r] / sec[r] / 1e7 }' \
		"$OUT/stats-load.tsv" "$OUT/stats.tsv" | sort -n
}

# Column $2 of cond_reps $1.
rep_col() { cond_reps "$1" | awk -v k="$2" '{ print $k }'; }

stats_report() {
	[[ -s $OUT/stats.tsv ]] || return 0
	local conds cond v noop
	conds=$(cut -f2 "$OUT/stats.tsv" | awk '!s[$0]++' | tr '\n' ' ')
	printf '\n## In-kernel cost (run_time_ns / run_cnt with kernel.bpf_stats_enabled=1; %s repetitions; medians, range in brackets)\n\n' "$STATS_REPS"
	printf 'Load: %s. "Per call": the time of all the monitor'"'"'s programs over the socket calls it saw.\n\n' \
		"$(cut -f3 "$OUT/stats-load.tsv" | sort -u | paste -sd' ')"
	printf '| monitor | ns per call | ratio to no-op | paired ratio to no-op | calls/s | ns per TCP segment sent | BPF time, %% of a core |\n|---|---|---|---|---|---|---|\n'
	noop=$(rep_col noop 2 | median)
	for cond in $conds; do
		v=$(rep_col "$cond" 2 | median)
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$cond")" \
			"$(rep_col "$cond" 2 | spread "%.1f")" \
			"$(awk -v v="$v" -v n="$noop" 'BEGIN { print (n != "NA" && n > 0 && v != "NA") ? sprintf("%.2f", v / n) : "-" }')" \
			"$([[ $cond == noop ]] && echo - || awk 'NR == FNR { n[$1] = $2; next }
				n[$1] > 0 { print $2 / n[$1] }' <(cond_reps noop) <(cond_reps "$cond") | spread "%.2f")" \
			"$(rep_col "$cond" 4 | median | awk '{ printf "%.0f", $1 }')" \
			"$(rep_col "$cond" 5 | spread "%.1f")" \
			"$(rep_col "$cond" 6 | spread "%.3f")"
	done
	printf '\nPer program (medians over the repetitions):\n\n'
	printf '| monitor | object:program | runs/s | ns per run |\n|---|---|---|---|\n'
	awk -F'\t' 'NR == FNR { sec[$1, $2] = $5; next }
		{ k = $2 SUBSEP $4 ":" $5; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		  rate[k] = rate[k] " " ($7 / sec[$1, $2]); per[k] = per[k] " " ($7 ? $6 / $7 : "NA") }
		END { for (i = 1; i <= n; i++) { split(order[i], p, SUBSEP)
			printf "%s\t%s\t%s\t%s\n", p[1], p[2], rate[order[i]], per[order[i]] } }' \
		"$OUT/stats-load.tsv" "$OUT/stats.tsv" |
		while IFS=$'\t' read -r cond prog rates pers; do
			printf '| %s | %s | %s | %s |\n' "$(label "$cond")" "$prog" \
				"$(tr ' ' '\n' <<<"$rates" | grep . | median | awk '{ printf "%.0f", $1 }')" \
				"$(tr ' ' '\n' <<<"$pers" | grep -v '^NA$' | grep . | median |
					awk '{ print ($1 == "NA") ? "-" : sprintf("%.1f", $1) }')"
		done
}

# What the extra in-kernel time per call predicts for a ping-pong's throughput (4 calls per
# round trip), at $1 round trips/s: far less noisy than the measured ratios on a shared VM.
stats_predict() {
	local rt=$1 cond noop v
	[[ -s $OUT/stats.tsv && $rt != NA ]] || return 0
	noop=$(rep_col noop 2 | median)
	[[ $noop == NA ]] && return 0
	printf '\nPredicted from these costs, at %.0f round trips/s (4 socket calls each):\n\n' "$rt"
	for cond in $(cut -f2 "$OUT/stats.tsv" | awk '!s[$0]++'); do
		[[ $cond == noop ]] && continue
		v=$(rep_col "$cond" 2 | median)
		[[ $v == NA ]] && continue
		awk -v c="$(label "$cond")" -v t="$v" -v n="$noop" -v rt="$rt" 'BEGIN {
			d = 4 * (t - n) * rt / 1e9
			printf "- %s adds %.1f ns per call over the no-op, %.0f ns per round trip: throughput %.3f of the floor'"'"'s (%.3f below it)\n",
				c, t - n, 4 * (t - n), 1 / (1 + d), 1 - 1 / (1 + d) }'
	done
}
