#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Opt-in: installs ns-3 (Debian's 3.37) for the ns-3 Wi-Fi access links
# ([topology] access = "ns3-wifi", build/pmip-ns3-wifi).  Large (~1 GB
# with its dependencies), so install-deps.sh does not do it.  Safe to run
# again.
set -euo pipefail

PKGS=(libns3-dev ns3 libgsl-dev)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-ns3: missing ${missing[*]}; run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libns3-tap-bridge runs its tap-creator helper from the path it was built
# at; Debian ships the helper in /usr/libexec/ns3 only.
helper=$(ls /usr/libexec/ns3/ns3.*-tap-creator 2>/dev/null | head -n1 || true)
if [ -z "$helper" ]; then
	echo "install-ns3: no tap-creator in /usr/libexec/ns3" >&2
	exit 1
fi
lib=$(ls /usr/lib/x86_64-linux-gnu/libns3*-tap-bridge*.so* 2>/dev/null | head -n1 || true)
want=""
if [ -n "$lib" ]; then
	want=$(strings "$lib" 2>/dev/null | grep -m1 '/build/.*tap-creator$' || true)
fi
[ -n "$want" ] || want=/build/ns3-QJPJQL/ns3-3.37/ns-3.37/build/src/tap-bridge/ns3.37-tap-creator
if [ ! -e "$want" ]; then
	mkdir -p "$(dirname "$want")"
	ln -sf "$helper" "$want"
fi
echo "install-ns3: ns-3 ready (tap-creator at $want)"
