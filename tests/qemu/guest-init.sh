#!/bin/busybox sh
# SPDX-License-Identifier: BSD-2-Clause
#
# /init of the initramfs that tests/qemu/run-ip6tnl.sh boots under qemu
# with a stock Debian kernel (which has ip6_tunnel).  A real PMIPv6
# registration over ip6tnl devices:
#
#   cn ---- lma ======== mag ---- mn
#   cafe::2  cafe::1     ffff::11  a1 (fixed MAC)   mn0 02:00:00:00:00:01
#            ffff::1
#
# pmipd runs as LMA and as MAG with dataplane.backend = "kernel".  The MN
# solicits an RA when its link comes up; the MAG registers it with the
# LMA, both sides create an ip6tnl device, and the MN autoconfigures an
# address from its home network prefix.  Checks: both daemons chose
# ip6tnl; the devices and routes are there; ping CN -> MN and MN -> CN
# succeed and cross the tunnel devices (their counters grow); after
# SIGTERM nothing of pmipd's is left.  The console gets one line
# "PMIP-QEMU-RESULT: PASS" or "PMIP-QEMU-RESULT: FAIL <reason>", then
# the guest powers off.
export PATH=/usr/bin:/bin
/bin/busybox --install -s /bin
# iproute2's ip, not busybox's applet (which this shell would prefer).
ip() { /usr/bin/ip "$@"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/netns

T0=$(cut -d' ' -f1 /proc/uptime)
say() { echo "pmip-qemu: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
result() {
	say "guest uptime at start of test ${T0} s"
	echo "PMIP-QEMU-RESULT: $*"
	sync
	poweroff -f
	sleep 10
}
fail() {
	for f in /tmp/lma.log /tmp/mag.log; do
		[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	for n in lma mag mn; do
		echo "--- $n"
		ip -n $n -d link show 2>&1
		ip -n $n -6 addr show 2>&1
		ip -n $n -6 route show table all 2>&1
		ip -n $n -6 rule show 2>&1
	done
	result "FAIL $*"
}
# Poll (no fixed sleeps): wait_until SECONDS COMMAND...
wait_until() {
	_n=$(($1 * 10))
	shift
	while [ $_n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		_n=$((_n - 1))
		usleep 100000
	done
	return 1
}

say "kernel $(uname -r)"
for m in $(cat /modules/order); do
	insmod /modules/$m || fail "insmod $m"
done

# --- topology -----------------------------------------------------------
for n in cn lma mag mn; do
	ip netns add $n || fail "ip netns add $n"
	ip -n $n link set lo up
	ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
done
for n in lma mag; do
	ip netns exec $n sysctl -qw net.ipv6.conf.all.forwarding=1
done
ip netns exec mn sysctl -qw net.ipv6.conf.default.router_solicitation_delay=0
set -e
ip link add cn0 netns cn mtu 1460 type veth peer name cn0 netns lma mtu 1460
ip link add core0 netns lma type veth peer name core0 netns mag
ip link add a1 netns mag mtu 1460 address 00:00:5e:00:52:13 type veth \
	peer name mn0 netns mn mtu 1460 address 02:00:00:00:00:01
ip -n cn addr add 2001:db8:cafe::2/64 dev cn0 nodad
ip -n cn link set cn0 up
ip -n cn -6 route add default via 2001:db8:cafe::1
ip -n lma addr add 2001:db8:cafe::1/64 dev cn0 nodad
ip -n lma addr add 2001:db8:ffff::1/64 dev core0 nodad
ip -n lma link set cn0 up
ip -n lma link set core0 up
ip -n mag addr add 2001:db8:ffff::11/64 dev core0 nodad
ip -n mag link set core0 up
ip -n mag link set a1 up
set +e

# --- daemons ------------------------------------------------------------
# Not through the ip() function: a function in the background is a
# subshell, and $! would be its PID, not pmipd's.
/usr/bin/ip netns exec lma /usr/bin/pmipd -c /etc/pmip/lma.conf -s /run/lma.sock \
	>/tmp/lma.log 2>&1 &
LMA_PID=$!
/usr/bin/ip netns exec mag /usr/bin/pmipd -c /etc/pmip/mag.conf -s /run/mag.sock \
	>/tmp/mag.log 2>&1 &
MAG_PID=$!
wait_until 20 grep -q "dp kernel: .* tunnels from" /tmp/lma.log ||
	fail "LMA data plane did not open"
wait_until 20 grep -q "dp kernel: .* tunnels from" /tmp/mag.log ||
	fail "MAG data plane did not open"
grep "dp kernel:" /tmp/lma.log /tmp/mag.log
grep -q "dp kernel: ip6tnl tunnels from" /tmp/lma.log ||
	fail "LMA did not choose ip6tnl"
grep -q "dp kernel: ip6tnl tunnels from" /tmp/mag.log ||
	fail "MAG did not choose ip6tnl"
say "both daemons chose ip6tnl"

# --- the MN attaches ----------------------------------------------------
MN=2001:db8:1:1:0:ff:fe00:1 # SLAAC from 02:00:00:00:00:01
ip -n mn link set mn0 up
mn_has_addr() {
	ip -n mn -6 -o addr show dev mn0 scope global | grep -q "$MN" &&
		! ip -n mn -6 -o addr show dev mn0 | grep -q tentative
}
wait_until 30 mn_has_addr || fail "MN got no address from its HNP"
say "MN registered and configured $MN"

LTUN=$(ip -n lma -o link show type ip6tnl | sed -n 's/^[0-9]*: \(pmip-[0-9a-f]*\)[@:].*/\1/p')
MTUN=$(ip -n mag -o link show type ip6tnl | sed -n 's/^[0-9]*: \(pmip-[0-9a-f]*\)[@:].*/\1/p')
[ -n "$LTUN" ] || fail "no pmip- ip6tnl device at the LMA"
[ -n "$MTUN" ] || fail "no pmip- ip6tnl device at the MAG"
ip -n lma -d link show dev "$LTUN"
ip -n lma -6 route show proto 213
ip -n mag -6 route show table all proto 213
ip -n lma -d link show dev "$LTUN" | grep -q "ip6ip6 remote 2001:db8:ffff::11 local 2001:db8:ffff::1" ||
	fail "LMA tunnel endpoints"
ip -n lma -6 route show proto 213 | grep -q "2001:db8:1:1::/64 dev $LTUN" ||
	fail "LMA has no HNP route into $LTUN"
ip -n mag -6 route show table all proto 213 | grep -q "default dev $MTUN" ||
	fail "MAG has no reverse tunnel route into $MTUN"

# --- traffic through the tunnel -----------------------------------------
stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
L_TX0=$(stat_of lma "$LTUN" tx_packets)
M_RX0=$(stat_of mag "$MTUN" rx_packets)
M_TX0=$(stat_of mag "$MTUN" tx_packets)
# One warm-up exchange each way (neighbour discovery), then no loss.
pings() { # FROM TO
	ip netns exec $1 ping -c 1 -W 5 $2 >/dev/null 2>&1
	ip netns exec $1 ping -c 10 -i 0.1 -W 5 $2 >/tmp/ping.out 2>&1
	cat /tmp/ping.out
	grep -q " 0% packet loss" /tmp/ping.out
}
pings cn "$MN" || fail "ping CN -> MN"
pings mn 2001:db8:cafe::2 || fail "ping MN -> CN"
L_TX=$(($(stat_of lma "$LTUN" tx_packets) - L_TX0))
M_RX=$(($(stat_of mag "$MTUN" rx_packets) - M_RX0))
M_TX=$(($(stat_of mag "$MTUN" tx_packets) - M_TX0))
say "tunnel packets during the pings: LMA $LTUN tx $L_TX, MAG $MTUN rx $M_RX tx $M_TX"
[ "$L_TX" -ge 22 ] && [ "$M_RX" -ge 22 ] && [ "$M_TX" -ge 22 ] ||
	fail "the pings did not cross the ip6tnl devices"

say "MAG: $(grep -c 'REGISTERED -> DEREG' /tmp/mag.log) de-registrations during the test"

# --- clean shutdown -----------------------------------------------------
kill -TERM $MAG_PID $LMA_PID
wait $MAG_PID
wait $LMA_PID
for n in lma mag; do
	ip -n $n -o link show | grep -q ": pmip-" && fail "$n: pmip- device left"
	[ -z "$(ip -n $n -6 route show table all proto 213)" ] ||
		fail "$n: routes left"
done
say "clean shutdown: no device or route left"
result PASS
