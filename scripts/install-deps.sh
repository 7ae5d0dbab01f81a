#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Installs, from Debian's packages, everything pmipd's build, tests and
# testbed use.  Safe to run again: it installs only what is missing.
set -euo pipefail

PKGS=(
	build-essential clang pkg-config libclang-rt-14-dev
	libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libconfig-dev libcmocka-dev
	liburing-dev
	libnetfilter-queue-dev
	iproute2 iputils-ping iptables iperf3 tcpdump tshark faketime
	python3-pytest python3-scapy python3-matplotlib
	qemu-system-x86 busybox-static
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing ${missing[*]}; run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
