#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `sockscope trace`'s benchmark (part of `make bench`, as root; results in docs/PERFORMANCE.md).
# Over loopback, bounded in time:
#
# 1. Ratio: the 64 B TCP ping-pong (both ends pinned to one CPU) under no monitor, `sleep`
#    (A/A), the no-op floor and `trace --json > /dev/null`, interleaved in rounds with the
#    order rotated (lib.sh, as run.sh does for top).
# 2. In-kernel cost per socket call of trace's programs (and of the io counters it also loads)
#    against the no-op and top, with kernel.bpf_stats_enabled=1, in a separate pass.
# 3. Events per second delivered without loss: bench/flood.c makes socket calls at a paced
#    rate (UDP: 1-byte datagrams with sendmmsg, received with recvmmsg, 2 events each; TCP: 1-byte
#    messages with sendmmsg on one connection, Nagle on, so nearly all events are cheap sends),
#    pinned to CPU 0. For each generator and each view (JSON or text to /dev/null, without
#    payload, with --payload=2000 on 1-byte messages, and with --payload=2000 on 2000-byte
#    messages, which captures all 2000 bytes) the rate climbs (doubling from SWEEP_START) until
#    trace reports lost events or the generator cannot keep up, is bisected BISECT times, and
#    the best lossless rate is confirmed over CONFIRM_DUR seconds (stepping down 10% until it
#    holds). Loss is what trace itself reports ("N events lost so far" on stderr, the count the
#    kernel keeps of every failed ring buffer reservation).
# 4. HOLD_RATE (200,000) events/s for HOLD_DUR (10) s in every view with the default buffer:
#    must lose nothing.
# 5. Counting check, per generator: trace --json -c flood piped to a counter, at HOLD_RATE and
#    unpaced (the reader then falls behind on purpose): events delivered + events reported lost
#    must equal the calls the generator made, and the summary's byte totals must be exact.
#
# Environment (and lib.sh's): LOADS (tcp), CONDS ("base aa noop trace"), STATS_CONDS ("noop
# top trace"), SWEEP_PROTOS ("udp tcp"), SWEEP_MODES ("json text json-p text-p json-p2000
# text-p2000"), SWEEP_START (100000), SWEEP_MAX (4000000), SWEEP_DUR (5), BISECT (4),
# CONFIRM_DUR (10), HOLD_RATE (200000), HOLD_DUR (10), CHECK (1; 0 skips step 5), FLOOD_CPU
# (0). Quick test:
#   ROUNDS=1 DUR=2 STATS_REPS=1 SWEEP_MODES="json text" SWEEP_PROTOS=tcp BISECT=1 bench/trace.sh
set -uo pipefail

BENCH=trace
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOADS=${LOADS:-tcp}
CONDS=${CONDS:-"base aa noop trace"}
STATS_CONDS=${STATS_CONDS:-"noop top trace"}
SWEEP_PROTOS=${SWEEP_PROTOS:-"udp tcp"}
SWEEP_MODES=${SWEEP_MODES:-"json text json-p text-p json-p2000 text-p2000"}
SWEEP_START=${SWEEP_START:-100000}
SWEEP_MAX=${SWEEP_MAX:-4000000}
SWEEP_DUR=${SWEEP_DUR:-5}
BISECT=${BISECT:-4}
CONFIRM_DUR=${CONFIRM_DUR:-10}
HOLD_RATE=${HOLD_RATE:-200000}
HOLD_DUR=${HOLD_DUR:-10}
CHECK=${CHECK:-1}
FLOOD_CPU=${FLOOD_CPU:-0}

# trace's arguments and the generator's message size for each view
mode_args() {
	case $1 in
	json) echo "--json" ;;
	text) echo "" ;;
	json-p | json-p2000) echo "--json --payload=2000" ;;
	text-p | text-p2000) echo "--payload=2000" ;;
	*) die "unknown mode $1" ;;
	esac
}
mode_size() { [[ $1 == *-p2000 ]] && echo 2000 || echo 1; }
mode_label() {
	case $1 in
	json) echo "--json, no payload" ;;
	text) echo "text, no payload" ;;
	json-p) echo "--json --payload=2000, 1 B messages" ;;
	text-p) echo "text --payload=2000, 1 B messages" ;;
	json-p2000) echo "--json --payload=2000, 2000 B messages" ;;
	text-p2000) echo "text --payload=2000, 2000 B messages" ;;
	esac
}

# One run: trace in view $2 (output to /dev/null), the generator $1 at $3 events/s (0:
# unpaced) for $4 s. Appends to flood.tsv: step proto mode target achieved events lost
# trace_cpu_pct ok; sets FR_LOST, FR_RATE (achieved events/s) and FR_GEN (1 when the generator
# fell more than 3% short of the target).
flood_run() {
	local proto=$1 mode=$2 rate=$3 secs=$4 step=$5 tag err n0 n1 w0 w1 args
	tag=$OUT/flood-$proto-$mode-$rate-$secs-$step
	err=$tag.err
	FR_LOST=NA FR_RATE=0 FR_GEN=0
	read -ra args <<<"$(mode_args "$mode")"
	MON_ERR=$err start_cmd trace /dev/null "$SOCKSCOPE" trace "${args[@]}"
	if ! wait_ready trace; then
		stop_monitor
		return 1
	fi
	n0=$(cpu_ns "$MON_PID")
	w0=$(now)
	timeout -k 5 $((secs + 30)) "$BENCHBIN/flood" $([[ $proto == tcp ]] && echo -T) \
		-t "$secs" -s "$(mode_size "$mode")" -C "$FLOOD_CPU" -r "$rate" >"$tag.json" 2>>"$err"
	w1=$(now)
	n1=$(cpu_ns "$MON_PID")
	kill -0 "$MON_PID" 2>/dev/null || log "$BENCH: trace died during the run (see $err)"
	stop_monitor
	FR_RATE=$(jq -r '.events_per_sec' "$tag.json" 2>/dev/null)
	[[ $FR_RATE =~ ^[0-9.]+$ ]] || { log "$BENCH: flood failed (see $tag.json, $err)"; FR_RATE=0; return 1; }
	FR_LOST=$(grep -o '[0-9]* events lost so far' "$err" | tail -1 | cut -d' ' -f1)
	FR_LOST=${FR_LOST:-0}
	((rate > 0)) && awk -v a="$FR_RATE" -v t="$rate" 'BEGIN { exit !(a < 0.97 * t) }' && FR_GEN=1
	printf '%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\n' "$step" "$proto" "$mode" "$rate" "$FR_RATE" \
		"$(jq -r '.events' "$tag.json")" "$FR_LOST" "$(cpu_pct "$n0" "$n1" "$w0" "$w1")" \
		"$FR_GEN" >>"$OUT/flood.tsv"
	log "  $(printf '%-4s %-11s %-6s target %8s' "$proto" "$mode" "$step" "$rate"): $(printf '%.0f' "$FR_RATE") events/s, lost $FR_LOST$( ((FR_GEN)) && echo ' (generator short of the target)')"
	return 0
}

# Finds the highest rate generator $1 and view $2 sustain without loss: doubling from
# SWEEP_START until a run loses events or the generator falls short of the target (the two
# CPUs are then saturated: generator, trace's programs on its CPU and trace's reader), then
# BISECT bisections, then the best target again over CONFIRM_DUR s, stepping down 10% until
# it holds. One line to sweep.tsv: proto mode best_target confirmed_target.
sweep() {
	local proto=$1 mode=$2 rate=$SWEEP_START good=0 bad=0 i mid conf
	while ((rate <= SWEEP_MAX)); do
		flood_run "$proto" "$mode" "$rate" "$SWEEP_DUR" climb || break
		if [[ $FR_LOST != 0 ]] || ((FR_GEN)); then
			bad=$rate
			break
		fi
		good=$rate
		rate=$((rate * 2))
	done
	for ((i = 0; i < BISECT && bad > 0; i++)); do
		mid=$(((good + bad) / 2))
		flood_run "$proto" "$mode" "$mid" "$SWEEP_DUR" bisect || break
		if [[ $FR_LOST == 0 ]] && ((!FR_GEN)); then
			good=$mid
		else
			bad=$mid
		fi
	done
	conf=$good
	for i in 1 2 3 4; do
		((conf > 0)) || break
		flood_run "$proto" "$mode" "$conf" "$CONFIRM_DUR" confirm || break
		[[ $FR_LOST == 0 ]] && break
		conf=$((conf * 9 / 10))
	done
	printf '%s\t%s\t%s\t%s\n' "$proto" "$mode" "$good" "$conf" >>"$OUT/sweep.tsv"
}

# Step 5: trace --json -c flood into a counter; compares with the generator's own tally.
count_check() {
	local proto=$1 rate=$2 secs=$3 tag=$OUT/check-$1-$2 fifo counter cpid
	fifo=$OUT/.fifo
	rm -f "$fifo" && mkfifo "$fifo" || return 1
	# events and lost counts, and the summary's total object
	awk -v out="$tag.count" '/"type":"event"/ { e++; next }
		/"type":"lost"/ { if (match($0, /"count":[0-9]+/)) l += substr($0, RSTART + 8, RLENGTH - 8); next }
		/"type":"total"/ { t = $0 }
		END { printf "%d %d %s\n", e, l, t > out }' <"$fifo" &
	cpid=$!
	track "$cpid"
	MON_ERR=$tag.err start_cmd trace "$fifo" "$SOCKSCOPE" trace --json -c flood
	if ! wait_ready trace; then
		stop_monitor
		return 1
	fi
	timeout -k 5 $((secs + 30)) "$BENCHBIN/flood" $([[ $proto == tcp ]] && echo -T) \
		-t "$secs" -s 1 -C "$FLOOD_CPU" -r "$rate" >"$tag.json" 2>>"$tag.err"
	sleep 1
	stop_monitor
	timeout 60 tail --pid="$cpid" -f /dev/null
	wait "$cpid" 2>/dev/null
	untrack "$cpid"
	rm -f "$fifo"
	jq -r --rawfile c "$tag.count" '
		($c | split(" ")) as $w
		| ($w[2:] | join(" ") | fromjson? // {}) as $t
		| [.events, ($w[0] | tonumber), ($w[1] | tonumber), .send_bytes + .recv_bytes,
		   (($t.sent_bytes // -1) + ($t.recv_bytes // 0)), ($t.lost_events // "NA"), .events_per_sec]
		| @tsv' "$tag.json" | sed "s/^/$proto\t$rate\t/" >>"$OUT/check.tsv"
	log "  check $proto rate ${rate/#0/max}: $(tail -1 "$OUT/check.tsv" | awk -F'\t' \
		'{ printf "made %s calls, %s events delivered + %s lost = %s; bytes %s vs summary %s", $3, $4, $5, $4 + $5, $6, $7 }')"
}

# From every run of the search (flood.tsv: step proto mode target achieved events lost cpu
# short), per generator and view: the highest achieved rate without loss, over SWEEP_DUR s and
# confirmed over CONFIRM_DUR s, trace's CPU there, the lowest achieved rate that lost events,
# and the lowest at which the generator fell short of its target.
flood_report() {
	local proto mode
	printf '\n## Events per second delivered without loss (default 16 MiB buffer, output to /dev/null)\n\n'
	printf 'Rates are what the generator achieved, in events/s (socket calls: sends and receives), over every run of the search (doubling from %s, %s bisections, %s s each; confirmation %s s). The generator and trace'"'"'s programs share CPU %s; trace'"'"'s reader gets the other CPU.\n\n' \
		"$SWEEP_START" "$BISECT" "$SWEEP_DUR" "$CONFIRM_DUR" "$FLOOD_CPU"
	printf '| generator | view | highest without loss (%s s) | confirmed without loss (%s s) | trace CPU %% there | lowest with loss: events lost (%%) | generator short of target from |\n|---|---|---|---|---|---|---|\n' \
		"$SWEEP_DUR" "$CONFIRM_DUR"
	while IFS=$'\t' read -r proto mode _ _; do
		awk -F'\t' -v p="$proto" -v m="$mode" -v d="$CONFIRM_DUR" -v lbl="$(mode_label "$mode")" '
			$2 != p || $3 != m || $1 == "hold" { next }
			$7 == 0 && $1 != "confirm" && $5 > best { best = $5 }
			$7 == 0 && $1 == "confirm" && $5 > conf { conf = $5; cpu = $8 }
			$7 > 0 && (lossy == "" || $5 < lossy) { lossy = $5; lost = $7; ev = $6 }
			$9 == 1 && (short == "" || $5 < short) { short = $5 }
			function f(x) { return x == "" ? "-" : sprintf("%\047.0f", x) }
			END { printf "| %s | %s | %s | %s | %s | %s | %s |\n", p, lbl, f(best), f(conf),
				cpu == "" ? "-" : cpu,
				lossy == "" ? "none" : sprintf("%\047.0f: %\047.0f (%.1f%%)", lossy, lost, 100 * lost / ev),
				short == "" ? "-" : f(short) }' "$OUT/flood.tsv"
	done <"$OUT/sweep.tsv"
	printf '\nEvery run (step, target, achieved, events, lost, trace CPU %%, generator short) is in flood.tsv.\n'
}

hold_report() {
	[[ -s $OUT/flood.tsv ]] || return 0
	awk -F'\t' '$1 == "hold"' "$OUT/flood.tsv" | grep -q . || return 0
	printf '\n## %s events/s for %s s, default buffer\n\n' "$HOLD_RATE" "$HOLD_DUR"
	printf '| generator | view | achieved events/s | events | lost | trace CPU %% |\n|---|---|---|---|---|---|\n'
	awk -F'\t' '$1 == "hold"' "$OUT/flood.tsv" | while IFS=$'\t' read -r _ proto mode _ ach ev lost cpu _; do
		printf '| %s | %s | %s | %s | **%s** | %s |\n' "$proto" "$(mode_label "$mode")" \
			"$(printf "%'.0f" "$ach")" "$(printf "%'.0f" "$ev")" "$lost" "$cpu"
	done
}

check_report() {
	[[ -s $OUT/check.tsv ]] || return 0
	printf '\n## Nothing lost silently: trace --json -c flood into a counter\n\n'
	printf '| generator | rate | calls made | events delivered | lost (reported) | delivered + lost = made | bytes moved | summary bytes | exact |\n|---|---|---|---|---|---|---|---|---|\n'
	while IFS=$'\t' read -r proto rate made got lost bytes sbytes slost _; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$proto" \
			"$([[ $rate == 0 ]] && echo "unpaced" || printf "%'.0f/s" "$rate")" "$made" "$got" "$lost" \
			"$( ((got + lost == made)) && echo yes || echo "**no**")" "$bytes" "$sbytes" \
			"$( ((bytes == sbytes)) && echo yes || echo "**no**")"
	done <"$OUT/check.tsv"
}

main() {
	local proto mode
	bench_setup
	header "ROUNDS=$ROUNDS DUR=$DUR ATTACH=$ATTACH CPU=$CPU LOADS='$LOADS' CONDS='$CONDS' STATS_REPS=$STATS_REPS STATS_CONDS='$STATS_CONDS' SWEEP_PROTOS='$SWEEP_PROTOS' SWEEP_MODES='$SWEEP_MODES' SWEEP_START=$SWEEP_START SWEEP_DUR=$SWEEP_DUR BISECT=$BISECT CONFIRM_DUR=$CONFIRM_DUR HOLD_RATE=$HOLD_RATE HOLD_DUR=$HOLD_DUR CHECK=$CHECK bench/trace.sh"
	ratio_rounds
	wait_quiet stats
	stats_pass tcp "$STATS_CONDS"
	for proto in $SWEEP_PROTOS; do
		for mode in $SWEEP_MODES; do
			log "$BENCH: highest lossless rate, $proto generator, $(mode_label "$mode")"
			wait_quiet "sweep-$proto-$mode"
			sweep "$proto" "$mode"
		done
	done
	log "$BENCH: $HOLD_RATE events/s for $HOLD_DUR s"
	for proto in $SWEEP_PROTOS; do
		for mode in $SWEEP_MODES; do
			flood_run "$proto" "$mode" "$HOLD_RATE" "$HOLD_DUR" hold
		done
	done
	if ((CHECK)); then
		log "$BENCH: counting check"
		for proto in $SWEEP_PROTOS; do
			count_check "$proto" "$HOLD_RATE" "$HOLD_DUR"
			count_check "$proto" 0 5
		done
	fi
	{
		cat "$OUT/header.txt"
		report
		stats_report
		stats_predict "$(values tcp base 4 | median)"
		[[ -s $OUT/sweep.tsv ]] && flood_report
		hold_report
		check_report
		footer
	} | tee "$OUT/report.md"
	log ""
	log "$BENCH: raw data and report in $OUT"
}

main "$@"
