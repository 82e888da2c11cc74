#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what sockscope needs to build (and, with --test, to run its tests and benchmarks)
# from Debian's package mirror. Idempotent: packages already present are not touched, so a
# second run costs one dpkg query and no network.
set -euo pipefail

build_pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libmicrohttpd-dev libhttp-parser-dev pkg-config
	make gcc libncurses-dev)
test_pkgs=(libcmocka-dev liburing-dev iproute2 iptables jq curl iperf3 nethogs bpftrace procps
	util-linux prometheus tshark tcpdump # the witnesses of the packet and pcapng tests
	libclang-rt-14-dev # clang's libFuzzer runtime, for make fuzz
	tmux # the terminal of the interactive screen's tests
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd) # the last six: tests/vm, kernel matrix

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]}; run 'sudo make deps' or install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
