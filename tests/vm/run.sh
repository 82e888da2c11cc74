#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel matrix: sockscope's integration tests on Debian's kernels, in QEMU VMs (TCG; this
# machine's KVM cannot run stock kernels). For each kernel series it picks the newest Debian 12
# package, fetches it once into tests/vm/cache/ (apt-get download + dpkg -x, never installed),
# builds an initramfs of busybox, tests/vm/init and the modules 9p needs, and boots it with the
# host's root filesystem and this tree shared read-only over 9p: the guest runs build/sockscope,
# the host's python3 and the test suite unchanged (tests/vm/guest.sh) in the attach mode the
# matrix names, and writes its results into build/vm/<kernel>-<mode>/ (a writable 9p
# share). One VM per matrix entry, as many at once as there are CPUs, while holding the lock
# that keeps BPF suites and benchmarks apart. One line per kernel, mode and test; exit status 1
# on any failure. See tests/vm/README.md.
#
# Environment:
#   MATRIX   "SERIES:MODES ..." (default "6.1:auto=fentry 6.1:kprobe 6.12:auto=tp_btf"), one
#            VM each: modes (comma separated) are forced with SOCKSCOPE_ATTACH, except auto=X,
#            which runs unforced and expects sockscope to choose X
#   TESTS    unittest names, comma separated (default: the accuracy tests of top and trace,
#            top's check against the kernel's counters (every receive path), conns' table and
#            events, serve's scrape by Prometheus, and every BPF object
#            loading, each capability failing alone)
#   HOST=1   also run the same on this machine's kernel (make test already runs its suite)
#   JOBS (nproc) VMs at once, SMP (1 vCPU: TCG runs one faster than two), MEM (1024 MiB),
#   VM_TIMEOUT (900 s), KERNEL_ARGS (added to the guest's command line), OUT (build/vm),
#   CACHE (tests/vm/cache)
#
# For diagnosis, `tests/vm/run.sh --exec 'COMMAND'` boots each kernel series of MATRIX once and
# runs COMMAND there (bash, in the repository, as root) instead of the tests; its output is
# printed and kept in build/vm/<kernel>-exec/exec.log. E.g. libbpf's log of a forced mode:
#   MATRIX=6.1:kprobe tests/vm/run.sh --exec 'build/sockscope top -v -v --attach kprobe --count 1'
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMDIR=$ROOT/tests/vm
CACHE=${CACHE:-$VMDIR/cache}
OUT=${OUT:-$ROOT/build/vm}
MATRIX=${MATRIX-"6.1:auto=fentry 6.1:kprobe 6.12:auto=tp_btf"}
TESTS=${TESTS:-tests.integration.test_top.TestAccuracy,tests.integration.test_top.TestKernelCheck,tests.integration.test_trace.TestTraceEvents,tests.integration.test_conns.TestTable,tests.integration.test_conns.TestEvents,tests.integration.test_serve.TestPrometheus,tests.integration.test_capabilities}
HOST=${HOST:-0}
SMP=${SMP:-1}
MEM=${MEM:-1024}
JOBS=${JOBS:-$(nproc)}
VM_TIMEOUT=${VM_TIMEOUT:-900}
KERNEL_ARGS=${KERNEL_ARGS-}
LOCK=/tmp/sockscope-bpf.lock

log() { echo "$*" >&2; }
die() {
	log "test-kernels: $*"
	exit 1
}

# Package names of a kernel series: Debian 12's own 6.1, and the backported 6.N (+deb12).
pkg_pattern() {
	if [[ $1 == 6.1 ]]; then
		echo '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$'
	else
		echo "^linux-image-${1//./\\.}\\.[0-9]+\\+deb12-amd64-unsigned\$"
	fi
}

newest_pkg() {
	apt-cache search --names-only "$1" 2>/dev/null | awk '{ print $1 }' | grep -E "$1" | sort -V |
		tail -1
}

newest_cached() {
	local d
	for d in "$CACHE"/*/; do
		d=$(basename "$d")
		[[ $d =~ $1 && -e $CACHE/$d/.ready ]] && echo "$d"
	done | sort -V | tail -1
}

# Unpacks PKG into $CACHE/PKG: root/ (the package, with modules.dep), vmlinux, .ready.
fetch() {
	local pkg=$1 d=$CACHE/$1 ver
	[[ -e $d/.ready ]] && return 0
	log "test-kernels: fetching $pkg"
	rm -rf "$d" && mkdir -p "$d/dl" || return 1
	(cd "$d/dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) || return 1
	dpkg -x "$d"/dl/*.deb "$d/root" || return 1
	rm -rf "$d/dl"
	ver=$(ls "$d/root/lib/modules")
	depmod -b "$d/root" "$ver" || return 1
	if ! python3 "$VMDIR/vmlinux.py" "$d/root/boot/vmlinuz-$ver" "$d/vmlinux"; then
		log "test-kernels: booting $pkg from its bzImage"
		cp "$d/root/boot/vmlinuz-$ver" "$d/vmlinux" || return 1
	fi
	echo "$ver" >"$d/.ready"
}

# Sets PKG to the newest package of series $1, fetched; older ones of the series are removed.
resolve() {
	local pat pkg d
	pat=$(pkg_pattern "$1")
	pkg=$(newest_pkg "$pat")
	if [[ -z $pkg ]] || ! fetch "$pkg"; then
		# package lists missing or stale (the mirror keeps only the newest kernels)
		apt-get update -q >/dev/null 2>&1
		pkg=$(newest_pkg "$pat")
	fi
	if [[ -z $pkg ]] || ! fetch "$pkg"; then
		PKG=$(newest_cached "$pat")
		[[ -n $PKG ]] || return 1
		log "test-kernels: cannot fetch ${pkg:-a $1 kernel}; using the cached $PKG"
		return 0
	fi
	PKG=$pkg
	for d in "$CACHE"/*/; do
		d=$(basename "$d")
		[[ $d =~ $pat && $d != "$pkg" ]] && rm -rf "${CACHE:?}/$d"
	done
	return 0
}

# initramfs for the kernel in $CACHE/$1: busybox, tests/vm/init, and the modules (with their
# dependencies, in load order) that a 9p root over virtio-pci needs; some are built in.
make_initramfs() {
	local d=$CACHE/$1 img=$2 ver stage m name
	ver=$(cat "$d/.ready")
	stage=$(mktemp -d) || return 1
	mkdir -p "$stage"/{bin,dev,proc,sys,modules,newroot}
	cp /bin/busybox "$stage/bin/busybox" && cp "$VMDIR/init" "$stage/init" || return 1
	mknod "$stage/dev/console" c 5 1
	for m in $(modprobe -d "$d/root" -S "$ver" -a --show-depends virtio_pci 9pnet_virtio 9p |
		awk '$1 == "insmod" { print $2 }'); do
		name=$(basename "$m")
		name=${name%.xz}
		name=${name%.zst}
		grep -qx "$name" "$stage/modules/order" 2>/dev/null && continue
		case $m in
		*.xz) xz -dc "$m" >"$stage/modules/$name" ;;
		*.zst) zstd -dcq "$m" >"$stage/modules/$name" ;;
		*) cp "$m" "$stage/modules/$name" ;;
		esac || return 1
		echo "$name" >>"$stage/modules/order"
	done
	touch "$stage/modules/order"
	(cd "$stage" && find . | cpio -o -H newc --quiet) >"$img"
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# Boots kernel package $1 and runs guest.sh with modes $2; results in $OUT/$3.
boot() {
	local d=$CACHE/$1 modes=$2 out=$OUT/$3 qpid rc t0
	t0=$(date +%s)
	rm -rf "$out" && mkdir -p "$out" || return 1
	make_initramfs "$1" "$out/initramfs.cpio" || return 1
	[[ -z $EXEC ]] || printf 'cd %q\n%s\n' "$ROOT" "$EXEC" >"$out/exec.sh"
	timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -M pc -cpu max -smp "$SMP" \
		-m "$MEM" -nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$out/console.log" \
		-kernel "$d/vmlinux" -initrd "$out/initramfs.cpio" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 $KERNEL_ARGS SS_ROOT=$ROOT SS_OUT=$out SS_MODROOT=$d/root SS_MODES=$modes SS_TESTS=$TESTS" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$ROOT,mount_tag=tree,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$out,mount_tag=results,security_model=none" \
		>"$out/qemu.log" 2>&1 &
	qpid=$!
	echo $qpid >"$out/qemu.pid"
	# the guest's progress lines, live
	tail -s 0.5 -n +1 -F --pid=$qpid "$out/console.log" 2>/dev/null |
		grep --line-buffered '^vm: ' | sed -u "s/^vm: /  [$3] /" >&2 &
	wait $qpid
	rc=$?
	wait
	rm -f "$out/initramfs.cpio" "$out/qemu.pid"
	[[ $rc -eq 124 || $rc -eq 137 ]] &&
		printf 'FAIL\t-\tVM finished\ttimed out after %s s\n' "$VM_TIMEOUT" >>"$out/results.tsv"
	echo $(($(date +%s) - t0)) >"$out/wall"
}

# The lines of $OUT/$2/results.tsv, labelled with kernel $1; counts into PASSED/FAILED.
report() {
	local res=$OUT/$2/results.tsv st mode what detail
	[[ -s $res.done ]] ||
		printf 'FAIL\t-\tVM finished\tno results (see %s)\n' "$OUT/$2/console.log" >>"$res"
	while IFS=$'\t' read -r st mode what detail; do
		printf '%-4s  %-15s %-12s %-55s %s\n' "$st" "$1" "$mode" "$what" "$detail"
		case $st in
		PASS) PASSED=$((PASSED + 1)) ;;
		FAIL) FAILED=$((FAILED + 1)) ;;
		esac
	done <"$res"
}

# The VMs to boot, "SERIES:MODES" each: MATRIX, or with --exec one per series.
vms() {
	local e
	if [[ -z $EXEC ]]; then
		printf '%s\n' $MATRIX
	else
		for e in $MATRIX; do echo "${e%%:*}:exec"; done | sort -u
	fi
}

main() {
	local entry series modes tag name t0 kernel=() dir=() i summary=()
	command -v qemu-system-x86_64 >/dev/null && [[ -x /bin/busybox ]] && command -v depmod >/dev/null ||
		die "missing qemu-system-x86, busybox-static or kmod: run 'make test-deps'"
	[[ $(id -u) -eq 0 ]] || die "needs root (apt-get download into the cache, BPF on the host)"
	[[ -x $ROOT/build/sockscope && -x $ROOT/build/tests/netio ]] ||
		die "build sockscope and its test helpers first: make all helpers"
	mkdir -p "$CACHE" "$OUT"
	PASSED=0 FAILED=0
	t0=$(date +%s)

	if [[ $HOST == 1 && -z $EXEC ]]; then
		# unlocked: the test harness takes the lock itself, guest.sh around the rest
		rm -rf "$OUT/host" && mkdir -p "$OUT/host"
		SS_ROOT=$ROOT SS_OUT=$OUT/host SS_MODROOT= SS_MODES=auto=tp_btf SS_TESTS=$TESTS \
			bash "$VMDIR/guest.sh" 2> >(sed -u 's/^vm: /  [host] /' >&2)
		echo $(($(date +%s) - t0)) >"$OUT/host/wall"
		echo done >>"$OUT/host/results.tsv.done"
		kernel+=("host-$(uname -r | cut -d- -f1)") dir+=(host)
	fi

	# QEMU takes a whole CPU: no BPF test suite or benchmark may run beside it.
	exec 9>"$LOCK"
	flock 9
	trap 'for f in "$OUT"/*/qemu.pid; do [[ -e $f ]] && kill "$(cat "$f")"; done; exit 130' INT TERM
	for entry in $(vms); do
		series=${entry%%:*}
		modes=${entry#*:}
		if ! resolve "$series"; then
			printf 'FAIL  %-15s %-12s %s\n' "$series" - "no Debian $series kernel in the mirror or the cache"
			FAILED=$((FAILED + 1))
			continue
		fi
		tag=$(cat "$CACHE/$PKG/.ready")
		tag=${tag%-amd64}
		name=$tag-${modes%%[=,]*}
		while (($(jobs -rp | wc -l) >= JOBS)); do
			wait -n
		done
		log "test-kernels: booting $PKG, attach modes $modes"
		boot "$PKG" "$modes" "$name" &
		kernel+=("$tag") dir+=("$name")
	done
	wait
	flock -u 9

	for i in "${!dir[@]}"; do
		[[ -z $EXEC ]] || { echo "== ${kernel[i]}: $EXEC"; cat "$OUT/${dir[i]}/exec.log"; }
		report "${kernel[i]}" "${dir[i]}"
		summary+=("${dir[i]}: $(cat "$OUT/${dir[i]}/wall" 2>/dev/null || echo '?') s")
	done
	log "test-kernels: wall time per VM: ${summary[*]}; all: $(($(date +%s) - t0)) s"
	echo "test-kernels: $PASSED passed, $FAILED failed"
	[[ $FAILED -eq 0 ]]
}

EXEC=
if [[ ${1:-} == --exec && $# -eq 2 ]]; then
	EXEC=$2
elif [[ $# -ne 0 ]]; then
	die "usage: tests/vm/run.sh [--exec COMMAND]"
fi
main
