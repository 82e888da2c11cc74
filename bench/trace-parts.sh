#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where the time of a `trace` event goes (its throughput ratio against no monitor). Builds
# variants of the committed tree with bench/trace-parts.patch, which adds switches to
# trace.bpf.c, and runs trace.sh's ratio and in-kernel cost passes (64 B TCP ping-pong) on each:
#
#   full       trace as it is
#   ring-only  the ring buffer record alone: no comm, time, addresses or registers read
#   no-ring    everything read, the record written to a per-CPU slot, not the ring buffer
#   empty      neither: the filters and a record of nothing written to the per-CPU slot
#
# A variant's events are wrong (that is the point); only its cost matters. Environment:
# VARIANTS (all four), and trace.sh's ROUNDS (8), DUR (3), STATS_REPS (3). Results go to
# OUT (build/bench/trace-parts-DATE-TIME/), one trace.sh directory per variant and
# summary.md. Run as root, about 3 minutes per variant.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
VARIANTS=${VARIANTS:-"full ring-only no-ring empty"}
OUT=${OUT:-$root/build/bench/trace-parts-$(date +%Y%m%d-%H%M%S)}
export ROUNDS=${ROUNDS:-8} DUR=${DUR:-3} STATS_REPS=${STATS_REPS:-3}

flags_of() {
	case $1 in
	full) echo "" ;;
	ring-only) echo "-DNOCOMM -DNOTIME -DNOADDR -DNOREGS" ;;
	no-ring) echo "-DNORING" ;;
	empty) echo "-DNORING -DNOCOMM -DNOTIME -DNOADDR -DNOREGS" ;;
	*) echo "trace-parts: unknown variant $1" >&2; exit 2 ;;
	esac
}

work=$(mktemp -d /tmp/sockscope-parts.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"
git -C "$root" archive HEAD | tar -x -C "$work"
patch -s -d "$work" -p1 < "$here/trace-parts.patch"

{
	echo "# trace: where an event's time goes ($(git -C "$root" rev-parse --short HEAD), $(date -u +%F))"
	echo
	echo "    VARIANTS='$VARIANTS' ROUNDS=$ROUNDS DUR=$DUR STATS_REPS=$STATS_REPS bench/trace-parts.sh"
	echo
	echo "| variant | trace's send / receive program, ns per run | all programs over the no-op, ns per call | trace / no-op, paired per round |"
	echo "|---|---|---|---|"
} > "$OUT/summary.md"

for v in $VARIANTS; do
	flags=$(flags_of "$v")
	make -s -C "$work" clean >/dev/null
	make -s -C "$work" PARTS="$flags" build/sockscope >/dev/null
	cp "$work/build/sockscope" "$OUT/sockscope-$v"
	SOCKSCOPE="$OUT/sockscope-$v" CONDS="base noop trace" STATS_CONDS="noop trace" \
		SWEEP_PROTOS=" " CHECK=0 OUT="$OUT/$v" "$here/trace.sh" > "$OUT/$v.log" 2>&1
	r=$OUT/$v/report.md
	send=$(awk -F'|' '$3 ~ /trace:sock_send/ { gsub(/ /, "", $5); print $5 }' "$r")
	recv=$(awk -F'|' '$3 ~ /trace:sock_recv/ { gsub(/ /, "", $5); print $5 }' "$r")
	over=$(sed -n 's/.*trace --json adds \([0-9.]*\) ns per call.*/\1/p' "$r")
	paired=$(sed -n 's/^Paired trace \/ no-op floor per round: //p' "$r")
	echo "| $v | $send / $recv | $over | $paired |" >> "$OUT/summary.md"
done
cat "$OUT/summary.md"
