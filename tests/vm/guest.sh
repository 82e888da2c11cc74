#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The part of the kernel matrix that runs inside a VM (started by tests/vm/init, with the host's
# root filesystem as its own): sockscope doctor and its check, then for each attach mode a
# check that top and trace attach their counting hooks that way, and the integration tests
# with that mode forced (SOCKSCOPE_ATTACH, which tests/integration/harness.py passes on as
# --attach). Also runs on the host itself (tests/vm/run.sh with HOST=1; SS_MODROOT empty).
#
# Environment: SS_ROOT (repository), SS_OUT (results directory), SS_MODROOT (unpacked kernel
# package, for modprobe -d), SS_MODES (comma separated modes to force; "auto=X" runs unforced
# and expects X), SS_TESTS (unittest names, comma separated).
# Writes to SS_OUT: results.tsv (`<PASS|FAIL|SKIP>\t<mode>\t<check>\t<detail>`, one line per
# check and test), doctor.txt, doctor.json, doctor-check.tsv, <mode>-attach-<top|trace>.txt
# (and -vv.txt, libbpf's log, when attaching failed), <mode>-tests.log, dmesg.txt.
set -uo pipefail

cd "$SS_ROOT" || exit 1
OUT=$SS_OUT
BIN=$SS_ROOT/build/sockscope
RES=$OUT/results.tsv
: >"$RES"

say() { echo "vm: $*" >&2; }  # in a VM, stderr is the serial console

# What went wrong, from the stderr of a sockscope that did not start: the program the verifier
# rejected and its last word on it, or else the first lines.
why_not() {
	local prog verdict
	prog=$(grep -m1 -o "^libbpf: prog '[^']*': BPF program load failed: .*" "$1")
	verdict=$(awk '/-- END PROG LOAD LOG --/ { print p2; exit } { p2 = p1; p1 = $0 }' "$1")
	if [[ -n $prog ]]; then
		echo "$prog: $verdict; $(grep -m1 '^sockscope [a-z]*: ' "$1")"
	else
		grep -v '^sockscope: attached' "$1" | head -c 400 | tr '\n' ' '
	fi
}

# result STATUS MODE CHECK [DETAIL]
result() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$RES"
	[[ $1 == PASS ]] || say "$1 $2 $3 ${4:-}"
}

if [[ -n ${SS_MODROOT:-} ]]; then
	ip link set lo up
	# veth is a module on Debian's kernels; the netns-pair tests need it
	modprobe -d "$SS_MODROOT" veth 2>"$OUT/modprobe.txt" ||
		result FAIL - "modprobe veth" "$(head -c 300 "$OUT/modprobe.txt")"
fi

export PYTHONPATH=$SS_ROOT
# TCG emulates every instruction: what takes 1 s here may take several there
[[ -n ${SS_MODROOT:-} ]] && export SOCKSCOPE_TIME_SCALE=4

# run.sh --exec: a command of the caller's instead of the matrix, for diagnosis
if [[ -e $OUT/exec.sh ]]; then
	bash "$OUT/exec.sh" >"$OUT/exec.log" 2>&1
	result "$([[ $? -eq 0 ]] && echo PASS || echo FAIL)" - "--exec" "output in $OUT/exec.log"
	echo done >>"$RES.done"
	exit 0
fi
IFS=, read -ra modes <<<"$SS_MODES"
IFS=, read -ra tests <<<"$SS_TESTS"
expected=
must_work=()
for m in "${modes[@]}"; do
	[[ $m == auto=* ]] && expected=${m#auto=} || must_work+=("$m")
done

# On the host, BPF suites and benchmarks must not overlap: hold their lock, except while the
# tests run, as the test harness takes it itself. In a VM, /tmp is the guest's own.
exec 8>/tmp/sockscope-bpf.lock
flock 8

say "$(uname -r): doctor"
"$BIN" doctor >"$OUT/doctor.txt" 2>&1
echo "exit status $?" >>"$OUT/doctor.txt"
"$BIN" doctor --json >"$OUT/doctor.json" 2>"$OUT/doctor-json.err"
/usr/bin/python3 tests/vm/check_doctor.py "$OUT/doctor.txt" "$OUT/doctor.json" "${expected:--}" \
	"${must_work[@]}" >"$OUT/doctor-check.tsv" 2>&1
while IFS=$'\t' read -r st what detail; do
	result "$st" - "$what" "$detail"
done <"$OUT/doctor-check.tsv"

for m in "${modes[@]}"; do
	mode=${m%%=*}
	want=${m#*=}
	force=()
	[[ $mode == auto ]] || force=(--attach "$mode")
	# The modes each counting hook attached with, under -v, for top and for trace.
	for cmd in top trace; do
		f=$OUT/$mode-attach-$cmd.txt
		timeout 120 "$BIN" "$cmd" -v --json --duration 0.5 "${force[@]}" >/dev/null 2>"$f"
		rc=$?
		got=$(sed -n 's/^sockscope: attached \(sock_send\|sock_recv\) via \([a-z_]*\):.*/\1=\2/p' "$f" |
			sort -u | tr '\n' ' ')
		if [[ $rc -eq 0 && $got == "sock_recv=$want sock_send=$want " ]]; then
			result PASS "$m" "attach $cmd" "$got"
		else
			result FAIL "$m" "attach $cmd" "exit $rc, attached: ${got:-nothing}; $(why_not "$f")"
			# libbpf's own account of the failure, for the report
			timeout 120 "$BIN" "$cmd" -v -v --json --duration 0.5 "${force[@]}" \
				>/dev/null 2>"$OUT/$mode-attach-$cmd-vv.txt"
		fi
	done
	say "$(uname -r): integration tests, attach mode $mode"
	t0=$(date +%s)
	flock -u 8
	if [[ $mode == auto ]]; then
		env -u SOCKSCOPE_ATTACH /usr/bin/python3 tests/vm/unittest_tsv.py "$OUT/$mode-tests.tsv" \
			"${tests[@]}" >"$OUT/$mode-tests.log" 2>&1 8>&-
	else
		SOCKSCOPE_ATTACH=$mode /usr/bin/python3 tests/vm/unittest_tsv.py "$OUT/$mode-tests.tsv" \
			"${tests[@]}" >"$OUT/$mode-tests.log" 2>&1 8>&-
	fi
	flock 8
	echo "tests took $(($(date +%s) - t0)) s" >>"$OUT/$mode-tests.log"
	while IFS=$'\t' read -r st id secs; do
		result "$st" "$m" "${id#tests.integration.}" "$secs s"
	done <"$OUT/$mode-tests.tsv"
done

# A BPF program that upset the kernel shows there, whatever the tests said (in a VM: the
# host's log goes back further than this run).
dmesg >"$OUT/dmesg.txt" 2>&1
if [[ -z ${SS_MODROOT:-} ]]; then
	:
elif grep -qE 'BUG:|WARNING:|Oops|Call Trace:' "$OUT/dmesg.txt"; then
	result FAIL - "kernel log clean" "$(grep -m1 -E 'BUG:|WARNING:|Oops|Call Trace:' "$OUT/dmesg.txt")"
else
	result PASS - "kernel log clean" ""
fi
echo done >>"$RES.done"
