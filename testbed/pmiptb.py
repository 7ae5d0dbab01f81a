# SPDX-License-Identifier: BSD-2-Clause
"""The pmipd testbed: a PMIPv6 domain built from network namespaces.

    CN --- LMA ===core=== MAG1 --a<i>--.
                     \\=== MAG2 --a<i>--+-- air: bridge b<i> --- MN<i>

Every namespace carries the testbed prefix (default "pmip-tb-").  The
core is a bridge "corebr" in the LMA namespace; the LMA's interface
"core0" and each MAG's "core0" are veth ports of it.  Access links follow RFC 5213's
point-to-point model: each MAG has one access interface a<i> per mobile
node i, a veth whose other end m<j>a<i> sits in the "air" namespace.
Mobile node i's only interface mn0 is a veth whose other end mn<i> is
port of bridge b<i> in "air".  Attaching MN i to MAG j puts m<j>a<i> into
b<i> and brings it up; detaching takes it down and out, so both the MN
and the MAG see carrier go away and come back, as a host leaving one
access point and associating with another does.  The MN keeps its
interface, its MAC and its address throughout.

State (namespaces, PIDs, attachments, parameters) is kept in
STATE_DIR/<prefix>/state.json so that "down" works from another process
and is safe to run twice.  Only processes started here are signalled,
by PID; only namespaces with our prefix and listed in the state (or, on
"down" without a state file, carrying our exact prefix) are removed.
"""

import ipaddress
import json
import os
import signal
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE_DIR = os.environ.get("PMIP_STATE_DIR", "/run/pmip-testbed")
FIXED_MAC = "00:00:5e:00:52:13"          # RFC 6543
FIXED_LL = "fe80::200:5eff:fe00:5213"    # RFC 6543
LMA_ADDR = "2001:db8:ffff::1"
MAG_ADDR = ["2001:db8:ffff::11", "2001:db8:ffff::12"]
CN_ADDR = "2001:db8:cafe::2"
CN_GW = "2001:db8:cafe::1"
ACCESS_MTU = 1460   # leaves room for the 40-byte outer header


class TestbedError(RuntimeError):
    pass


def mn_mac(i):
    return "02:00:00:00:%02x:%02x" % (i >> 8, i & 0xff)


def mn_prefix(i):
    return "2001:db8:1:%x::" % i


def mn_nai(i):
    return "mn%d@example.org" % i


def eui64(prefix, mac):
    b = [int(x, 16) for x in mac.split(":")]
    b[0] ^= 0x02
    iid = bytes([b[0], b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]])
    net = ipaddress.IPv6Address(prefix).packed[:8]
    return str(ipaddress.IPv6Address(net + iid))


def run(cmd, check=True, capture=False, timeout=30):
    r = subprocess.run(cmd, stdout=subprocess.PIPE if capture else
                       subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise TestbedError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout if capture else r.returncode


def wait_until(pred, timeout=10.0, interval=0.02, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TestbedError("timed out after %.1f s waiting for %s" %
                               (timeout, what))
        time.sleep(interval)


DEFAULTS = {
    "prefix": "pmip-tb-",
    "mns": 1,
    "backend": "auto",          # pmipd data plane: auto | kernel | user
    "buffering": False,
    "return_to_lma": False,     # MAGs send a departed MN's packets back
    "lifetime": 3600,
    "detach": ["link", "nud"],
    "min_delay_before_bce_delete_ms": 10000,
    "rs_delay_s": 0,            # MN's router_solicitation_delay
    "log_level": "info",
    # One-way delay (ms) and loss ratio on each MAG's link to the core,
    # both directions, from testbed/tools/nfdelay.c (no netem here).
    "mag_lma_delay_ms": 0,
    "mag_lma_loss": 0.0,
    "nfdelay_rtprio": 10,       # SCHED_FIFO for the stage; 0: normal
    # Access links: "veth" (point-to-point links switched in "air") or
    # "ns3-wifi" (an ns-3 802.11 network: an AP per MAG, each MN a
    # station; build/pmip-ns3-wifi, scripts/install-ns3.sh).
    "access": "veth",
    # ns3-wifi: forward the APs' association reports to the MAGs
    # (testbed/ns3/l2fwd.py); False leaves the MAGs to their RS,
    # neighbour and frame triggers.
    "ns3_l2_events": True,
    # veth access: how an MN leaves.  "abrupt": the link just goes (the
    # MAG learns of it from carrier loss, as when a station walks out of
    # range); "announced": the AP reports the disassociation to the MAG
    # (pmipctl l2 detach) and then the link goes, as when a station
    # disassociates before it roams.
    "departure": "abrupt",
}

NFDELAY_QUEUE = 10   # MAGs: 10; LMA: 11 towards mag1, 12 towards mag2


class Testbed:
    def __init__(self, **params):
        self.p = dict(DEFAULTS)
        for k, v in params.items():
            if v is not None:
                self.p[k] = v
        if self.p["departure"] not in ("abrupt", "announced"):
            raise TestbedError("departure: %r is not abrupt or announced"
                               % (self.p["departure"],))
        self.prefix = self.p["prefix"]
        self.dir = os.path.join(STATE_DIR, self.prefix.rstrip("-"))
        self.pmipd = os.environ.get("PMIPD", os.path.join(TOP, "build",
                                                          "pmipd"))
        self.pmipctl = os.environ.get("PMIPCTL", os.path.join(
            TOP, "build", "pmipctl"))
        self.nfdelay = os.environ.get("PMIP_NFDELAY", os.path.join(
            TOP, "build", "pmip-nfdelay"))
        self.ns3wifi = os.environ.get("PMIP_NS3_WIFI", os.path.join(
            TOP, "build", "pmip-ns3-wifi"))
        self.state = {"params": self.p, "namespaces": [], "pids": {},
                      "attached": {}, "events": []}
        self._shells = {}

    # -- naming ---------------------------------------------------------
    def ns(self, name):
        return self.prefix + name

    def ip(self, ns, *args, check=True):
        return run(["ip", "-n", self.ns(ns)] + list(args), check=check)

    def ip_fast(self, ns, cmds, sync=False):
        """Run ip commands through a long-lived "ip -batch" process of
        the namespace: no fork and exec per command, so a link goes down
        or up within a few microseconds of the moment we record.  Errors
        are not reported back; use ip()/ip_batch() where they matter."""
        sh = self._shells.get(ns)
        if sh is None or sh.poll() is not None:
            sh = subprocess.Popen(["ip", "-n", self.ns(ns), "-force",
                                   "-batch", "-"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
            self._shells[ns] = sh
        if sync:
            # A command with output, to learn when all before it ran.
            cmds = list(cmds) + ["link show dev lo"]
        sh.stdin.write("\n".join(cmds) + "\n")
        sh.stdin.flush()
        if sync:
            while True:
                line = sh.stdout.readline()
                if not line:
                    raise TestbedError("ip -batch in %s ended" % ns)
                if "link/loopback" in line:
                    break

    def close_shells(self):
        for sh in self._shells.values():
            try:
                sh.stdin.close()
                sh.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                sh.kill()
        self._shells = {}

    def ip_batch(self, ns, cmds):
        r = subprocess.run(["ip", "-n", self.ns(ns), "-batch", "-"],
                           input="\n".join(cmds) + "\n", text=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=30)
        if r.returncode != 0:
            raise TestbedError("ip -batch in %s: %s" % (ns, r.stderr.strip()))

    def sysctl(self, ns, *kv):
        for x in kv:
            run(["ip", "netns", "exec", self.ns(ns), "sysctl", "-q", "-w",
                 x])

    def sock(self, node):
        return os.path.join(self.dir, node + ".sock")

    # -- state ----------------------------------------------------------
    def save(self):
        os.makedirs(self.dir, exist_ok=True)
        tmp = os.path.join(self.dir, "state.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=1)
        os.replace(tmp, os.path.join(self.dir, "state.json"))

    @classmethod
    def load(cls, prefix=None):
        prefix = prefix or DEFAULTS["prefix"]
        path = os.path.join(STATE_DIR, prefix.rstrip("-"), "state.json")
        with open(path) as f:
            st = json.load(f)
        tb = cls(**st["params"])
        tb.state = st
        return tb

    def is_up(self):
        pids = self.state.get("pids", {})
        if not pids:
            return False
        # Daemons started from an older build are not "up" for reuse.
        try:
            if self.state.get("pmipd_mtime") != \
                    os.stat(self.pmipd).st_mtime_ns:
                return False
        except OSError:
            return False
        for pid in pids.values():
            if not _alive(pid):
                return False
        return True

    # -- building -------------------------------------------------------
    def _addns(self, name):
        run(["ip", "netns", "add", self.ns(name)])
        self.state["namespaces"].append(self.ns(name))
        self.save()
        self.ip(name, "link", "set", "lo", "up")

    def _veth(self, ns_a, a, ns_b, b, mtu=None):
        # Distinct interface indexes at the two ends.  The kernel treats
        # a link change as urgent only when a device's index differs
        # from its peer's (linkwatch_urgent_event); two fresh namespaces
        # would otherwise give both ends index 2, and carrier-up would
        # then wait up to a second in linkwatch's rate limit, with the
        # bridge port dropping frames meanwhile.
        self._index += 2
        run(["ip", "link", "add", a, "netns", self.ns(ns_a), "index",
             str(self._index), "type", "veth", "peer", "name", b, "netns",
             self.ns(ns_b), "index", str(self._index + 1)])
        if mtu:
            self.ip(ns_a, "link", "set", a, "mtu", str(mtu))
            self.ip(ns_b, "link", "set", b, "mtu", str(mtu))

    def build(self):
        n = int(self.p["mns"])
        self._index = 1000
        os.makedirs(self.dir, exist_ok=True)
        for node in ["lma", "mag1", "mag2", "cn", "air"] + \
                ["mn%d" % i for i in range(1, n + 1)]:
            self._addns(node)
        for node in ("lma", "mag1", "mag2"):
            self.sysctl(node, "net.ipv6.conf.all.forwarding=1",
                        "net.ipv6.conf.default.accept_dad=0",
                        "net.ipv6.conf.all.accept_dad=0")
        self.sysctl("air", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1")
        # CN link, MTU 1460 (see KERNEL-NOTES: no PMTU black hole).
        self._veth("cn", "cn0", "lma", "cn0", mtu=ACCESS_MTU)
        self.ip("cn", "addr", "add", CN_ADDR + "/64", "dev", "cn0",
                "nodad")
        self.ip("cn", "link", "set", "cn0", "up")
        self.ip("cn", "-6", "route", "add", "default", "via", CN_GW)
        self.ip("lma", "addr", "add", CN_GW + "/64", "dev", "cn0", "nodad")
        self.ip("lma", "link", "set", "cn0", "up")
        # Core bridge "corebr" in the LMA namespace; the LMA's own core
        # interface "core0" is a veth port of it, not the bridge itself: a
        # bridge device has no encapsulation offloads (hw_enc_features), so
        # every tunnelled GSO packet the LMA sent through it was segmented
        # in software there.
        self.ip("lma", "link", "add", "corebr", "type", "bridge",
                "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
        self.ip("lma", "link", "set", "corebr", "up")
        self._veth("lma", "core0", "lma", "lc")
        self.ip("lma", "link", "set", "lc", "master", "corebr")
        self.ip("lma", "link", "set", "lc", "up")
        self.ip("lma", "addr", "add", LMA_ADDR + "/64", "dev", "core0",
                "nodad")
        self.ip("lma", "link", "set", "core0", "up")
        for j, mag in enumerate(("mag1", "mag2")):
            port = "m%d" % (j + 1)
            self._veth("lma", port, mag, "core0")
            self.ip("lma", "link", "set", port, "master", "corebr")
            self.ip("lma", "link", "set", port, "up")
            self.ip(mag, "addr", "add", MAG_ADDR[j] + "/64", "dev", "core0",
                    "nodad")
            self.ip(mag, "link", "set", "core0", "up")
        if self.p.get("access") == "ns3-wifi":
            self.save()
            self._build_ns3_wifi(n)
            self.start_link_delay()
            return
        # Access links.
        for i in range(1, n + 1):
            mn = "mn%d" % i
            self._veth(mn, "mn0", "air", "mn%d" % i, mtu=ACCESS_MTU)
            self.ip("air", "link", "add", "b%d" % i, "type", "bridge",
                    "stp_state", "0", "forward_delay", "0",
                    "mcast_snooping", "0")
            self.ip("air", "link", "set", "b%d" % i, "up")
            self.ip("air", "link", "set", "mn%d" % i, "master", "b%d" % i)
            self.ip(mn, "link", "set", "mn0", "address", mn_mac(i))
            self.sysctl(mn, "net.ipv6.conf.mn0.accept_ra=1",
                        "net.ipv6.conf.mn0.autoconf=1",
                        "net.ipv6.conf.mn0.router_solicitation_delay=%d" %
                        int(self.p["rs_delay_s"]))
            self.ip(mn, "link", "set", "mn0", "up")
            for j, mag in enumerate(("mag1", "mag2")):
                acc = "a%d" % i
                self._veth(mag, acc, "air", "m%da%d" % (j + 1, i),
                           mtu=ACCESS_MTU)
                self.ip(mag, "link", "set", acc, "address", FIXED_MAC)
                self.sysctl(mag, "net.ipv6.conf.%s.accept_dad=0" % acc)
                self.ip(mag, "link", "set", acc, "up")
        self.save()
        self.start_link_delay()

    # -- ns-3 Wi-Fi access links ------------------------------------------
    def _build_ns3_wifi(self, n):
        """The access network is ns-3's (testbed/ns3/wifi-access.cc),
        running in real time in "air": AP k's device is bridged to a tap
        that becomes MAG k's access interface a1 (shared by every MN;
        its MAC is the fixed one of RFC 6543), station i's to a tap
        that becomes MN i's mn0.  The taps are created persistent in
        "air", opened by ns-3, then moved (KERNEL-NOTES).  Association
        events reach the MAGs through testbed/ns3/l2fwd.py (pmipctl l2),
        as an AP daemon's would."""
        if not os.access(self.ns3wifi, os.X_OK):
            raise TestbedError("%s missing: run scripts/install-ns3.sh, "
                               "then 'make'" % self.ns3wifi)
        taps = ["ap1tap", "ap2tap"] + ["sta%dtap" % i
                                        for i in range(1, n + 1)]
        for t in taps:
            self.ip("air", "tuntap", "add", "mode", "tap", "name", t)
        # A station's tap has its MAC before ns-3 reads from it (UseLocal
        # learns the device address from the first frame); MAG taps the
        # fixed MAG address.
        for i in range(1, n + 1):
            self.ip("air", "link", "set", "sta%dtap" % i, "address",
                    mn_mac(i))
        for t in ("ap1tap", "ap2tap"):
            self.ip("air", "link", "set", t, "address", FIXED_MAC)
        cmd_path = os.path.join(self.dir, "ns3-wifi.cmd")
        out_path = os.path.join(self.dir, "ns3-wifi.out")
        if os.path.exists(cmd_path):
            os.unlink(cmd_path)
        os.mkfifo(cmd_path, 0o600)
        # Read-write: the FIFO never reports end of file to ns-3.
        fd = os.open(cmd_path, os.O_RDWR)
        out = open(out_path, "ab")
        start = out.tell()
        log = open(os.path.join(self.dir, "ns3-wifi.log"), "ab")
        args = [self.ns3wifi, "--stas=%d" % n,
                "--apTaps=ap1tap,ap2tap",
                "--staTaps=" + ",".join("sta%dtap" % i
                                        for i in range(1, n + 1)),
                "--staMacs=" + ",".join(mn_mac(i) for i in range(1, n + 1)),
                "--start=" + ",".join("away" for _ in range(n))]
        if os.environ.get("PMIP_NS3_PCAP"):
            args.append("--pcap=" + os.path.join(self.dir, "wifi"))
        try:
            p = subprocess.Popen(["ip", "netns", "exec", self.ns("air")] +
                                 args, stdin=fd, stdout=out, stderr=log,
                                 start_new_session=True)
        finally:
            os.close(fd)
            out.close()
            log.close()
        self.state["pids"]["ns3-wifi"] = p.pid
        self.state["ns3_out"] = out_path
        self.state["ns3_out_offset"] = start
        self.save()

        def ready():
            with open(out_path, "rb") as f:
                f.seek(start)
                return b"READY" in f.read()
        wait_until(lambda: ready() or _dead(p), timeout=30,
                   what="pmip-ns3-wifi to start")
        if p.poll() is not None:
            raise TestbedError("pmip-ns3-wifi exited with %s; see %s" % (
                p.returncode, os.path.join(self.dir, "ns3-wifi.log")))
        for j, mag in enumerate(("mag1", "mag2")):
            self.ip("air", "link", "set", "ap%dtap" % (j + 1), "netns",
                    self.ns(mag))
            self.ip(mag, "link", "set", "ap%dtap" % (j + 1), "name", "a1",
                    "address", FIXED_MAC, "mtu", str(ACCESS_MTU))
            # (created in "air", where IPv6 is off by default)
            self.sysctl(mag, "net.ipv6.conf.a1.disable_ipv6=0",
                        "net.ipv6.conf.a1.accept_dad=0")
            self.ip(mag, "link", "set", "a1", "up")
        for i in range(1, n + 1):
            mn = "mn%d" % i
            self.ip("air", "link", "set", "sta%dtap" % i, "netns",
                    self.ns(mn))
            self.ip(mn, "link", "set", "sta%dtap" % i, "name", "mn0",
                    "address", mn_mac(i), "mtu", str(ACCESS_MTU))
            self.sysctl(mn, "net.ipv6.conf.mn0.disable_ipv6=0",
                        "net.ipv6.conf.mn0.accept_ra=1",
                        "net.ipv6.conf.mn0.autoconf=1",
                        "net.ipv6.conf.mn0.router_solicitation_delay=%d" %
                        int(self.p["rs_delay_s"]))
            self.ip(mn, "link", "set", "mn0", "up")
        # The association-event forwarder (an AP daemon's role).
        if not self.p["ns3_l2_events"]:
            self.save()
            return
        flog = open(os.path.join(self.dir, "l2fwd.log"), "ab")
        f = subprocess.Popen(
            [sys.executable, os.path.join(TOP, "testbed", "ns3",
                                          "l2fwd.py"),
             "--events", out_path, "--offset", str(start),
             "--pmipctl", self.pmipctl,
             "--sock", "1=" + self.sock("mag1"),
             "--sock", "2=" + self.sock("mag2"), "--ifname", "a1"],
            stdout=flog, stderr=subprocess.STDOUT, start_new_session=True)
        flog.close()
        self.state["pids"]["l2fwd"] = f.pid
        self.save()

    def ns3_cmd(self, line):
        fd = os.open(os.path.join(self.dir, "ns3-wifi.cmd"),
                     os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def l2_events(self):
        """ns-3's association reports: dicts with kind ("connected" /
        "disconnected"), ap, sta, t_real_ns."""
        out = []
        path = self.state.get("ns3_out")
        if not path or not os.path.exists(path):
            return out
        with open(path) as f:
            f.seek(self.state.get("ns3_out_offset", 0))
            for line in f:
                w = line.split()
                if not w or not w[0].startswith("AP-STA-"):
                    continue
                kv = dict(x.split("=", 1) for x in w[1:] if "=" in x)
                out.append({"kind": w[0][7:].lower(), "ap": int(kv["ap"]),
                            "sta": kv["sta"], "t_real_ns": int(kv["t"])})
        return out

    # -- MAG-LMA delay and loss -------------------------------------------
    def _nfdelay(self, node, queues):
        name = "nfdelay-" + node
        logp = os.path.join(self.dir, name + ".log")
        log = open(logp, "ab")
        start = log.tell()
        cmd = [self.nfdelay, "-d", "%g" % float(self.p["mag_lma_delay_ms"]),
               "-l", "%g" % float(self.p["mag_lma_loss"]),
               "-S", str(len(self.state["pids"]) + 1),
               "-r", str(int(self.p["nfdelay_rtprio"]))]
        for q in queues:
            cmd += ["-q", str(q)]
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(node)] + cmd,
                             stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        log.close()
        self.state["pids"][name] = p.pid
        self.save()

        def bound():
            with open(logp, "rb") as f:
                f.seek(start)
                return b"queue(s)" in f.read()
        # No rule before the queues are bound: NFQUEUE with no listener
        # drops.
        wait_until(lambda: bound() or _dead(p), timeout=10,
                   what="pmip-nfdelay in " + node)
        if p.poll() is not None:
            raise TestbedError("pmip-nfdelay in %s exited with %s; see %s" %
                               (node, p.returncode, logp))

    def _queue_rule(self, node, queue, *match):
        run(["ip", "netns", "exec", self.ns(node), "ip6tables", "-t",
             "mangle", "-A", "POSTROUTING"] + list(match) +
            ["-j", "NFQUEUE", "--queue-num", str(queue)])

    def start_link_delay(self):
        """Delay (and drop a fraction of) the packets between each MAG and
        the LMA, both directions, with testbed/tools/nfdelay.c.  Each
        direction is held at its sender's egress (POSTROUTING), so the
        receiver's kernel timestamps (ping, tcpdump) see the delayed
        arrival: a MAG's core0 output, and the LMA's core0 output towards
        that MAG's address.  RTT MAG <-> LMA grows by 2 * mag_lma_delay_ms;
        mag_lma_loss applies to each direction."""
        d = float(self.p["mag_lma_delay_ms"])
        loss = float(self.p["mag_lma_loss"])
        if d <= 0 and loss <= 0:
            return
        if not os.access(self.nfdelay, os.X_OK):
            raise TestbedError("%s missing; run 'make' first" % self.nfdelay)
        q = NFDELAY_QUEUE
        self._nfdelay("lma", [q + 1, q + 2])
        for j, mag in enumerate(("mag1", "mag2")):
            self._nfdelay(mag, [q])
            self._queue_rule(mag, q, "-o", "core0")
            self._queue_rule("lma", q + 1 + j, "-o", "core0", "-d",
                             MAG_ADDR[j])

    # -- configuration --------------------------------------------------
    def _mn_profiles(self, with_lma):
        out = []
        for i in range(1, int(self.p["mns"]) + 1):
            out.append('\t{ id = "%s"; lladdr = "%s"; prefixes = [ "%s/64" ];'
                       '%s }' % (mn_nai(i), mn_mac(i), mn_prefix(i),
                                 (' lma = "%s";' % LMA_ADDR) if with_lma
                                 else ""))
        return "mobile_nodes = (\n" + ",\n".join(out) + "\n);\n"

    def write_configs(self):
        common = ('log_level = "%s";\nlifetime = %d;\n'
                  'dataplane = { backend = "%s"; tunnels = "dynamic"; };\n'
                  % (self.p["log_level"], int(self.p["lifetime"]),
                     self.p["backend"]))
        lma = ('# SPDX-License-Identifier: BSD-2-Clause\n'
               '# generated by testbed/pmiptb.py\n'
               'role = "lma";\naddress = "%s";\ninterface = "core0";\n'
               'control_socket = "%s";\n%s'
               'buffering = %s;\n'
               'rfc5213 = { MinDelayBeforeBCEDelete = %d; };\n'
               'mags = (\n\t{ name = "mag1"; address = "%s"; },\n'
               '\t{ name = "mag2"; address = "%s"; }\n);\n' %
               (LMA_ADDR, self.sock("lma"), common,
                "true" if self.p["buffering"] else "false",
                int(self.p["min_delay_before_bce_delete_ms"]),
                MAG_ADDR[0], MAG_ADDR[1]))
        lma += self._mn_profiles(False)
        with open(os.path.join(self.dir, "lma.conf"), "w") as f:
            f.write(lma)
        n = int(self.p["mns"])
        for j, mag in enumerate(("mag1", "mag2")):
            acc = ",\n".join('\t{ interface = "a%d"; att = 4; mn = "%s"; }' % (i, mn_nai(i))
                             for i in range(1, n + 1))
            if self.p.get("access") == "ns3-wifi":
                # One AP, one shared link: attachment comes from the
                # AP's association reports (pmipctl l2), or the MN's RS.
                acc = '\t{ interface = "a1"; att = 4; }'
            det = ", ".join('"%s"' % d for d in self.p["detach"])
            txt = ('# SPDX-License-Identifier: BSD-2-Clause\n'
                   '# generated by testbed/pmiptb.py\n'
                   'role = "mag";\naddress = "%s";\ninterface = "core0";\n'
                   'control_socket = "%s";\n%s'
                   'lma = "%s";\nmtu = %d;\ndetach = [ %s ];\n'
                   'return_to_lma = %s;\n'
                   'access = (\n%s\n);\n' %
                   (MAG_ADDR[j], self.sock(mag), common, LMA_ADDR,
                    ACCESS_MTU, det,
                    "true" if self.p.get("return_to_lma") else "false",
                    acc))
            txt += self._mn_profiles(True)
            with open(os.path.join(self.dir, mag + ".conf"), "w") as f:
                f.write(txt)

    # -- daemons --------------------------------------------------------
    def start_daemon(self, node):
        conf = os.path.join(self.dir, node + ".conf")
        log = open(os.path.join(self.dir, node + ".log"), "ab")
        wrap = list(getattr(self, "_wrap", {}).get(node, []))
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(node)] + wrap +
                             [self.pmipd, "-c", conf, "-s", self.sock(node)],
                             stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        log.close()
        self.state["pids"][node] = p.pid
        self.state["pmipd_mtime"] = os.stat(self.pmipd).st_mtime_ns
        self.save()
        wait_until(lambda: self.ctl(node, "status", check=False) is not None
                   or _dead(p), timeout=15, what="pmipd in " + node)
        if p.poll() is not None:
            raise TestbedError("pmipd in %s exited with %s; see %s" % (
                node, p.returncode, os.path.join(self.dir, node + ".log")))

    def ctl(self, node, *args, json_out=True, check=True):
        cmd = [self.pmipctl, "-s", self.sock(node)]
        if json_out:
            cmd.append("-j")
        r = subprocess.run(cmd + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=10)
        if r.returncode != 0:
            if check:
                raise TestbedError("pmipctl %s on %s: %s" % (
                    " ".join(args), node, r.stderr.strip()))
            return None
        return json.loads(r.stdout) if json_out else r.stdout

    def conf_path(self, node):
        return os.path.join(self.dir, node + ".conf")

    def edit_conf(self, node, old, new):
        path = self.conf_path(node)
        with open(path) as f:
            txt = f.read()
        if old not in txt:
            raise TestbedError("%s: %r not found" % (path, old))
        with open(path, "w") as f:
            f.write(txt.replace(old, new))

    def stop_daemon(self, node, sig=signal.SIGTERM, timeout=10):
        pid = self.state["pids"].get(node)
        if pid is None:
            return None
        rc = _terminate(pid, sig, timeout)
        del self.state["pids"][node]
        self.save()
        return rc

    # -- the access-link model -----------------------------------------
    @staticmethod
    def now():
        # Both clocks: monotonic for the flow logs, wall clock for pcaps.
        return time.monotonic_ns(), time.time_ns()

    def event(self, kind, t=None, **kw):
        t = t or self.now()
        ev = dict(kind=kind, t_ns=t[0], t_real_ns=t[1], **kw)
        self.state["events"].append(ev)
        return ev

    def attach(self, i, mag):
        j = int(mag[-1])
        if self.p.get("access") == "ns3-wifi":
            # The station moves next to AP j; it associates when it
            # hears it (the MAG learns of it from the AP's report).
            t = self.now()
            self.ns3_cmd("at %d %d" % (i, j))
            self.state["attached"][str(i)] = mag
            self.event("attach", t, mn=i, mag=mag)
            self.save()
            return
        port = "m%da%d" % (j, i)
        # The MN's side first: by the time the MAG sees carrier and
        # answers with an RA and a neighbour solicitation, the link is
        # up at both ends (association completes on both at once).  The
        # link is up from the last command on: that is the event's time.
        self.ip_fast("air", ["link set mn%d up" % i,
                             "link set %s master b%d" % (port, i)],
                     sync=True)
        t = self.now()
        self.ip_fast("air", ["link set %s up" % port])
        self.state["attached"][str(i)] = mag
        self.event("attach", t, mn=i, mag=mag)
        self.save()

    def detach(self, i):
        if self.p.get("access") == "ns3-wifi":
            # Out of every AP's range: the station leaves its BSS after
            # the beacons it misses.
            t = self.now()
            mag = self.state["attached"].get(str(i))
            self.ns3_cmd("away %d" % i)
            self.state["attached"].pop(str(i), None)
            self.event("detach", t, mn=i, mag=mag)
            self.save()
            return
        self.ip_fast("air", [], sync=True)   # the shell is up and idle
        t = self.now()   # the first command takes the link down
        mag = self.state["attached"].get(str(i))
        if mag and self.p.get("departure") == "announced":
            # The AP's disassociation report reaches the MAG first.
            self.ctl(mag, "l2", "detach", "a%d" % i, mn_mac(i),
                     json_out=False)
        # The MAG's side first: its kernel learns of the loss (carrier)
        # at once, instead of after the MN's side has gone, which would
        # leave a window in which only the MAG still sees a link.
        cmds = []
        if mag:
            port = "m%sa%d" % (mag[-1], i)
            cmds += ["link set %s down" % port,
                     "link set %s nomaster" % port]
        cmds += ["link set mn%d down" % i]
        # Both ends lose the link within microseconds of t.
        self.ip_fast("air", cmds)
        self.state["attached"].pop(str(i), None)
        self.event("detach", t, mn=i, mag=mag)
        self.save()

    def move(self, i, mag, gap_ms=0):
        self.detach(i)
        if gap_ms:
            time.sleep(gap_ms / 1000.0)
        self.attach(i, mag)

    def mn_addr(self, i):
        return eui64(mn_prefix(i), mn_mac(i))

    def mn_has_addr(self, i):
        out = run(["ip", "-n", self.ns("mn%d" % i), "-6", "-o", "addr",
                   "show", "dev", "mn0", "scope", "global"], capture=True,
                  check=False) or ""
        return self.mn_addr(i) in out and "tentative" not in out

    # -- whole testbed --------------------------------------------------
    def up(self, attach=True, timeout=20, configure=None, wrap=None):
        """Build, configure, start, attach.  configure(tb), if given,
        runs after the configuration files are written and before the
        daemons start (tests edit them there); wrap maps a node name to
        a command prefix for its pmipd (e.g. faketime)."""
        self._wrap = wrap or {}
        if os.path.exists(os.path.join(self.dir, "state.json")):
            raise TestbedError("a testbed with prefix %s is up; run "
                               "'make testbed-down' first" % self.prefix)
        self.save()
        try:
            self.build()
            self.write_configs()
            if configure:
                configure(self)
            for node in ("lma", "mag1", "mag2"):
                self.start_daemon(node)
            if attach:
                for i in range(1, int(self.p["mns"]) + 1):
                    self.attach(i, "mag1")
                for i in range(1, int(self.p["mns"]) + 1):
                    wait_until(lambda i=i: self.mn_has_addr(i),
                               timeout=timeout,
                               what="MN %d to get its address" % i)
        except BaseException:
            self.down()
            raise

    def down(self):
        self.close_shells()
        for node in list(self.state.get("pids", {})):
            try:
                self.stop_daemon(node)
            except Exception:
                pass
        listed = set(self.state.get("namespaces", []))
        present = _netns_list()
        for ns in present:
            if ns.startswith(self.prefix) and (ns in listed or not listed):
                run(["ip", "netns", "del", ns], check=False)
        for f in ("state.json",):
            try:
                os.unlink(os.path.join(self.dir, f))
            except FileNotFoundError:
                pass
        self.state["namespaces"] = []


def _netns_list():
    out = run(["ip", "netns", "list"], capture=True, check=False) or ""
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _dead(p):
    return p.poll() is not None


def _terminate(pid, sig, timeout):
    """Signal pid, wait for it to go; SIGKILL after timeout.  Returns the
    exit status when pid is our child, else None."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            wpid, status = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                return os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            if not _alive(pid):
                return None
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return None
