#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Provisions the Vagrant VM: the project's own dependency script, then a
# first build, so that "make testbed && make handover" and "make test"
# work as root at /pmipd.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq make
cd /pmipd
./scripts/install-deps.sh
make -j"$(nproc)"
# The stock kernel has ip6_tunnel: load it so pmipd's kernel data plane
# picks ip6tnl devices (it falls back to seg6 where the module is absent).
modprobe ip6_tunnel || true
echo "pmipd VM ready: sudo -i; cd /pmipd; make testbed && make handover"
