#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The kernel data plane's ip6tnl path, tested under qemu with a stock
# Debian 12 kernel (the development and CI kernels have no ip6_tunnel,
# so there pmipd uses seg6; see docs/dataplane.md).
#
#   tests/qemu/run-ip6tnl.sh            (make test-qemu)
#
# 1. Fetches linux-image-6.1.0-N-amd64 (the newest N apt-cache knows)
#    with "apt-get download" into cache/qemu/ (git-ignored) and extracts
#    it with dpkg-deb -x.  A kernel already in the cache is reused when
#    the registry cannot be reached.
# 2. Builds an initramfs: busybox-static, ip(8), pmipd, their shared
#    libraries (ldd), the modules tunnel6, ip6_tunnel, veth and what they
#    depend on, tests/qemu/{lma,mag}.conf and tests/qemu/guest-init.sh as
#    /init.  Packed with "busybox cpio -o -H newc".
# 3. Boots it with qemu-system-x86_64 -accel tcg (no KVM needed) and
#    reads the console: the guest runs an LMA and a MAG with the kernel
#    backend, registers an MN, pings through the ip6tnl tunnel, and
#    prints "PMIP-QEMU-RESULT: PASS" or "... FAIL <reason>".
#
# Exit status: 0 pass, 1 fail.  When qemu, busybox-static or a kernel
# cannot be had, it prints "SKIP: <why>" and exits 0, or 1 if
# PMIP_QEMU_REQUIRED=1 (CI).  Needs no root on the host.
#
# Environment: PMIPD (default build/pmipd), PMIP_QEMU_CACHE (default
# cache/qemu), PMIP_QEMU_TIMEOUT (seconds, default 240), PMIP_QEMU_KERNEL
# (a package name, e.g. linux-image-6.1.0-56-amd64), PMIP_QEMU_INIT (another
# /init, for experiments), V=1 (whole console).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/tests/qemu
CACHE=${PMIP_QEMU_CACHE:-$TOP/cache/qemu}
PMIPD=${PMIPD:-$TOP/build/pmipd}
TIMEOUT=${PMIP_QEMU_TIMEOUT:-240}
MODULES=(tunnel6 ip6_tunnel veth)

say() { echo "test-qemu: $*"; }
skip() {
	say "SKIP: $*"
	[ "${PMIP_QEMU_REQUIRED:-0}" = 1 ] && exit 1
	exit 0
}
die() {
	say "FAIL: $*"
	exit 1
}

# --- prerequisites --------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 not installed (scripts/install-deps.sh installs qemu-system-x86)"
BUSYBOX=/bin/busybox
if [ ! -x $BUSYBOX ] || ldd $BUSYBOX >/dev/null 2>&1; then
	skip "no static $BUSYBOX (install busybox-static)"
fi
IP=$(command -v ip) || skip "no ip(8)"
[ -x "$PMIPD" ] || die "$PMIPD not built (run make)"
mkdir -p "$CACHE"

# --- the kernel -----------------------------------------------------------
pkg=${PMIP_QEMU_KERNEL:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1) || true
fi
deb=
if [ -n "$pkg" ]; then
	deb=$(ls "$CACHE/${pkg}"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1) || true
	if [ -z "$deb" ]; then
		say "downloading $pkg"
		# -o APT::Sandbox::User=root: _apt may not write into the cache
		if (cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null); then
			deb=$(ls "$CACHE/${pkg}"_*_amd64.deb | sort -V | tail -n 1)
		fi
	fi
fi
if [ -z "$deb" ]; then # offline: the newest kernel already cached
	deb=$(ls "$CACHE"/linux-image-6.1.0-*-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -n 1) || true
fi
[ -n "$deb" ] || skip "no linux-image-6.1.0-*-amd64 package (apt-get download failed, nothing cached)"
kdir=$CACHE/$(basename "$deb" .deb)
if [ ! -d "$kdir/lib/modules" ]; then
	rm -rf "$kdir.tmp"
	dpkg-deb -x "$deb" "$kdir.tmp"
	mv "$kdir.tmp" "$kdir"
fi
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
moddir=$kdir/lib/modules/$kver
say "kernel $kver ($(basename "$deb"))"

# --- the initramfs --------------------------------------------------------
WORK=$(mktemp -d /tmp/pmip-qemu.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
root=$WORK/root
mkdir -p "$root"/{bin,usr/bin,etc/pmip,proc,sys,dev,run,tmp,modules,lib64}

# A binary (into /usr/bin: the guest puts busybox's applets into /bin)
# and every shared library ldd lists, at the same paths.
copy_bin() {
	install -m 755 "$1" "$root/usr/bin/$2"
	ldd "$1" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' |
		while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
}
install -m 755 $BUSYBOX "$root/bin/busybox"
copy_bin "$IP" ip
copy_bin "$PMIPD" pmipd
strip "$root/usr/bin/pmipd" 2>/dev/null || true
# libgcc_s is loaded at run time (pthread_cancel, backtraces) without
# showing in ldd.
for l in /lib/x86_64-linux-gnu/libgcc_s.so.1; do
	[ -e "$l" ] && mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l"
done

# Modules and their dependencies (modinfo's depends=), dependencies first.
declare -A seen=()
order=()
add_module() {
	local m=$1 f dep
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n 1)
	if [ -z "$f" ]; then
		grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null && return 0
		die "module $m not in $kver"
	fi
	case $f in
	*.xz) xz -dc "$f" >"$root/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$root/modules/$m.ko" ;;
	*) cp "$f" "$root/modules/$m.ko" ;;
	esac
	for dep in $(tr '\0' '\n' <"$root/modules/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$dep"
	done
	order+=("$m.ko")
}
for m in "${MODULES[@]}"; do
	add_module "$m"
done
printf '%s\n' "${order[@]}" >"$root/modules/order"

install -m 755 "${PMIP_QEMU_INIT:-$HERE/guest-init.sh}" "$root/init"
cp "$HERE/lma.conf" "$HERE/mag.conf" "$root/etc/pmip/"
initrd=$WORK/initrd.cpio.gz
(cd "$root" && find . | $BUSYBOX cpio -o -H newc 2>/dev/null | gzip -1 >"$initrd")
say "initramfs $(du -k "$initrd" | cut -f1) KiB, modules: ${order[*]}"

# --- boot -----------------------------------------------------------------
console=$CACHE/console.log
start=$(date +%s.%N)
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg,thread=multi -smp 2 -m 512 -nographic -no-reboot \
	-nic none -kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet" </dev/null >"$console" 2>&1
rc=$?
set -e
secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
tr -d '\r' <"$console" >"$console.tmp" && mv "$console.tmp" "$console"

if [ "${V:-0}" = 1 ]; then
	cat "$console"
else
	grep -E '^(pmip-qemu:|PMIP-QEMU-RESULT:)' "$console" | sed 's/^/  /' || true
fi
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	grep -q 'PMIP-QEMU-RESULT:' "$console" ||
		{ tail -n 40 "$console"; die "no result within ${TIMEOUT} s (console: $console)"; }
fi
line=$(grep -m1 '^PMIP-QEMU-RESULT:' "$console" || true)
if [ -z "$line" ]; then
	tail -n 40 "$console"
	if grep -qiE 'could not (access|initialize)|failed to initialize' "$console"; then
		skip "qemu cannot run here (qemu exit $rc; console: $console)"
	fi
	die "guest printed no result (qemu exit $rc; console: $console)"
fi
case $line in
*": PASS"*)
	say "PASS: LMA/MAG registration over ip6tnl under qemu (${secs} s)"
	exit 0
	;;
*)
	sed -n '/^PMIP-QEMU-RESULT:/q;/^--- /,$p' "$console" | tail -n 120
	die "${line#PMIP-QEMU-RESULT: FAIL } (${secs} s; console: $console)"
	;;
esac
