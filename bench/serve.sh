#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `sockscope serve`'s benchmark (part of `make bench`, as root; results in docs/PERFORMANCE.md).
# Over loopback, bounded in time:
#
# 1. Ratio: the 64 B TCP ping-pong (pinned to one CPU) and iperf3 bulk TCP under no monitor,
#    `sleep` (A/A), the no-op floor, `top` and `serve` (nobody scraping), interleaved in rounds
#    with the order rotated (lib.sh), as run.sh does for top.
# 2. In-kernel cost per call of serve's programs against top's and the no-op's
#    (kernel.bpf_stats_enabled=1, separate pass, TCP ping-pong).
# 3. A fleet: bench/fleet.c starts FLEET_PROCS (1000) processes holding FLEET_SOCKS (10) TCP
#    sockets each over loopback (FLEET_PROCS * FLEET_SOCKS / 2 connections, both ends in the
#    fleet), each writing 16 bytes on one of them about once a second and reading what
#    arrives. With serve started first (--listen 127.0.0.1:SERVE_PORT, -i each of
#    SERVE_INTERVALS in turn), once the fleet is ready and serve has refreshed, curl scrapes
#    /metrics SCRAPES (7) times, every SCRAPE_EVERY (15) seconds (90 s): curl's time_total and
#    the exposition's size per scrape, the fleet processes and series it holds, serve's own
#    render time (sockscope_scrape_duration_seconds), and serve's CPU (schedstat, all threads)
#    over the scrape window as % of one core. After the fleet has exited, one last scrape checks
#    that serve's byte and call counters for the fleet equal the fleet's own tally.
#
# Environment (and lib.sh's): LOADS ("tcp iperf3"), CONDS ("base aa noop top serve"),
# STATS_CONDS ("noop top serve"), FLEET_PROCS (1000), FLEET_SOCKS (10), FLEET_EVERY (1 s
# between a process's writes), SERVE_INTERVALS ("1 15"), SCRAPES (7), SCRAPE_EVERY (15).
# Quick test:
#   ROUNDS=1 DUR=2 STATS_REPS=1 SERVE_INTERVALS=1 SCRAPES=3 SCRAPE_EVERY=5 bench/serve.sh
set -uo pipefail

BENCH=serve
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOADS=${LOADS:-"tcp iperf3"}
CONDS=${CONDS:-"base aa noop top serve"}
STATS_CONDS=${STATS_CONDS:-"noop top serve"}
FLEET_PROCS=${FLEET_PROCS:-1000}
FLEET_SOCKS=${FLEET_SOCKS:-10}
FLEET_EVERY=${FLEET_EVERY:-1}
SERVE_INTERVALS=${SERVE_INTERVALS:-"1 15"}
SCRAPES=${SCRAPES:-7}
SCRAPE_EVERY=${SCRAPE_EVERY:-15}

URL="http://127.0.0.1:$SERVE_PORT/metrics"

# One scrape into $1; prints "time_total_s size_bytes http_code".
scrape() {
	curl -s --max-time 10 -o "$1" -w '%{time_total} %{size_download} %{http_code}\n' "$URL" ||
		echo "NA 0 000"
}

# Sum of the samples of metric $2 in exposition $1 whose labels match the regex $3.
prom_sum() {
	awk -v m="$2" -v re="$3" 'index($0, m "{") == 1 && $0 ~ re { s += $NF } END { printf "%.0f\n", s }' "$1"
}

# What exposition $1 holds for the fleet: "processes series render_seconds".
prom_facts() {
	awk '/^sockscope_sent_bytes_total\{/ && /comm="fleet"/ { match($0, /pid="[0-9]+"/); p[substr($0, RSTART, RLENGTH)] = 1 }
		/^sockscope_series / { s = $2 } /^sockscope_scrape_duration_seconds / { r = $2 }
		END { n = 0; for (k in p) n++; printf "%d %s %s\n", n, s, r }' "$1"
}

# The fleet scenario with serve refreshing every $1 seconds; one line to fleet.tsv per scrape
# (interval k time_total size code fleet_procs series render_s) and one to fleet-cpu.tsv
# (interval procs sockets window_s serve_cpu_pct sent_ok recv_ok calls_ok), and the numbers
# the final check compared to fleet-check.tsv.
fleet_run() {
	local iv=$1 tag=$OUT/fleet-i$1 fpid secs warm n0 n1 w0 w1 k t next line socks
	local sent want_sent recv want_recv scalls want_scalls rcalls want_rcalls
	warm=$((iv + 5))
	secs=$((warm + (SCRAPES - 1) * SCRAPE_EVERY + 10))
	log "$BENCH: fleet of $FLEET_PROCS processes x $FLEET_SOCKS sockets, serve -i $iv, $SCRAPES scrapes every $SCRAPE_EVERY s"
	MON_ERR=$tag.err start_cmd serve /dev/null "$SOCKSCOPE" serve --listen "127.0.0.1:$SERVE_PORT" -i "$iv"
	if ! wait_ready serve; then
		stop_monitor
		return 1
	fi
	"$BENCHBIN/fleet" -n "$FLEET_PROCS" -k "$FLEET_SOCKS" -t "$secs" -e "$FLEET_EVERY" \
		>"$tag.fleet" 2>>"$tag.err" &
	fpid=$!
	track "$fpid"
	for _ in $(seq 1 600); do
		grep -q '"ready"' "$tag.fleet" 2>/dev/null && break
		kill -0 "$fpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '"ready"' "$tag.fleet"; then
		log "$BENCH: the fleet did not get ready (see $tag.err)"
		stop_monitor
		return 1
	fi
	socks=$(ss -Htan state established | wc -l)
	sleep "$warm"
	n0=$(cpu_ns "$MON_PID")
	w0=$(now)
	next=$w0
	for ((k = 1; k <= SCRAPES; k++)); do
		line=$(scrape "$tag-$k.prom")
		printf '%s\t%s\t%s\t%s\n' "$iv" "$k" "${line// /$'\t'}" "$(prom_facts "$tag-$k.prom" | tr ' ' '\t')" >>"$OUT/fleet.tsv"
		log "  scrape $k: $(tail -1 "$OUT/fleet.tsv" | awk -F'\t' '{ printf "%.1f ms, %d bytes, HTTP %s, %d fleet processes, %s series, rendered in %.1f ms", $3 * 1000, $4, $5, $6, $7, $8 * 1000 }')"
		((k == SCRAPES)) && break
		next=$(awk -v n="$next" -v e="$SCRAPE_EVERY" 'BEGIN { printf "%.3f\n", n + e }')
		t=$(awk -v n="$next" -v now="$(now)" 'BEGIN { d = n - now; print (d > 0 ? d : 0) }')
		sleep "$t"
	done
	w1=$(now)
	n1=$(cpu_ns "$MON_PID")
	kill -0 "$MON_PID" 2>/dev/null || log "$BENCH: serve died during the scrapes (see $tag.err)"
	# the fleet ends by itself; then two refreshes, and the counters must match its tally
	timeout $((secs + 60)) tail --pid="$fpid" -f /dev/null
	wait "$fpid" 2>/dev/null
	untrack "$fpid"
	sleep $((2 * iv + 1))
	scrape "$tag-final.prom" >/dev/null
	stop_monitor
	sent=$(prom_sum "$tag-final.prom" sockscope_sent_bytes_total 'comm="fleet"')
	recv=$(prom_sum "$tag-final.prom" sockscope_received_bytes_total 'comm="fleet"')
	scalls=$(prom_sum "$tag-final.prom" sockscope_send_calls_total 'comm="fleet"')
	rcalls=$(prom_sum "$tag-final.prom" sockscope_receive_calls_total 'comm="fleet"')
	read -r want_sent want_recv want_scalls want_rcalls < <(jq -r 'select(.type == "done") |
		"\(.send_bytes) \(.recv_bytes) \(.send_calls) \(.recv_calls)"' "$tag.fleet")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$iv" "$sent" "${want_sent:-NA}" "$recv" \
		"${want_recv:-NA}" "$scalls" "${want_scalls:-NA}" "$rcalls" "${want_rcalls:-NA}" >>"$OUT/fleet-check.tsv"
	printf '%s\t%s\t%s\t%s\t%s\n' "$iv" "$FLEET_PROCS" "$socks" \
		"$(awk -v s="$w0" -v e="$w1" 'BEGIN { printf "%.1f", e - s }')" \
		"$(cpu_pct "$n0" "$n1" "$w0" "$w1")" >>"$OUT/fleet-cpu.tsv"
	log "  serve CPU over the scrapes: $(tail -1 "$OUT/fleet-cpu.tsv" | cut -f5)% of a core;" \
		"fleet bytes sent $want_sent, serve says $sent; received $want_recv, serve says $recv"
}

fleet_report() {
	local iv
	[[ -s $OUT/fleet-cpu.tsv ]] || return 0
	printf '\n## Scrapes with %s processes holding %s TCP sockets each (curl every %s s, %s scrapes)\n\n' \
		"$FLEET_PROCS" "$FLEET_SOCKS" "$SCRAPE_EVERY" "$SCRAPES"
	printf '| serve -i | established TCP sockets | scrape time_total median | max | exposition bytes | fleet processes exported | series | render time median (max) | serve CPU, %% of a core | counters exact |\n|---|---|---|---|---|---|---|---|---|---|\n'
	while IFS=$'\t' read -r iv procs socks window cpu; do
		printf '| %s s | %s | %s ms | %s ms | %s | %s | %s | %s ms | **%s** (over %s s) | %s |\n' "$iv" "$socks" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print $3 * 1000 }' "$OUT/fleet.tsv" | median | awk '{ printf "%.1f", $1 }')" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print $3 * 1000 }' "$OUT/fleet.tsv" | sort -g | tail -1 | awk '{ printf "%.1f", $1 }')" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print $4 }' "$OUT/fleet.tsv" | median)" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print $6 }' "$OUT/fleet.tsv" | median)" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print $7 }' "$OUT/fleet.tsv" | median)" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print $8 * 1000 }' "$OUT/fleet.tsv" | spread "%.1f" | sed 's/ (.*-/ (/')" \
			"$cpu" "$window" \
			"$(awk -F'\t' -v i="$iv" '$1 == i { print ($2 == $3 && $4 == $5 && $6 == $7 && $8 == $9) ? "yes" : "**no**: sent " $2 "/" $3 ", recv " $4 "/" $5 ", calls " $6 "/" $7 ", " $8 "/" $9 }' "$OUT/fleet-check.tsv")"
	done <"$OUT/fleet-cpu.tsv"
	printf '\nEvery scrape (interval, n, time_total s, bytes, HTTP code, fleet processes, series, render s) is in fleet.tsv.\n'
}

main() {
	local iv
	bench_setup curl=curl
	header "ROUNDS=$ROUNDS DUR=$DUR ATTACH=$ATTACH CPU=$CPU LOADS='$LOADS' CONDS='$CONDS' STATS_REPS=$STATS_REPS STATS_CONDS='$STATS_CONDS' FLEET_PROCS=$FLEET_PROCS FLEET_SOCKS=$FLEET_SOCKS FLEET_EVERY=$FLEET_EVERY SERVE_INTERVALS='$SERVE_INTERVALS' SCRAPES=$SCRAPES SCRAPE_EVERY=$SCRAPE_EVERY bench/serve.sh" \
		"$(iperf3 --version | head -1); $(curl --version | head -1 | cut -d' ' -f1-2)"
	ratio_rounds
	wait_quiet stats
	stats_pass tcp "$STATS_CONDS"
	for iv in $SERVE_INTERVALS; do
		wait_quiet "fleet-$iv"
		fleet_run "$iv"
	done
	{
		cat "$OUT/header.txt"
		report
		stats_report
		stats_predict "$(values tcp base 4 | median)"
		fleet_report
		footer
	} | tee "$OUT/report.md"
	log ""
	log "$BENCH: raw data and report in $OUT"
}

main "$@"
