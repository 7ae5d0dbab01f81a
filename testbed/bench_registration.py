#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Registration benchmark: many MAGs register many MNs at one LMA.

    make bench-registration            (root; BENCH_ARGS="--mns 20000" etc.)
    testbed/bench_registration.py [--mns N] [--mags M] [--backends fake,kernel]

Two network namespaces joined by a veth pair (prefix pmip-bench-):

  pmip-bench-lma   pmipd as LMA, 2001:db8:b::1, pinned to CPU 1
  pmip-bench-mag   pmip-regload acting as M MAGs: 2001:db8:b::101 ...
                   (one address per MAG on the veth), pinned to CPU 0

For each data-plane backend (fake: signalling only; kernel: routes and
tunnels through netlink as well), a fresh pmipd with a generated
configuration (N profiles, M MAGs) and three phases: first registration
of all N MNs, lifetime extension, de-registration.  Reported per phase:
registrations per second and latency percentiles (PBU sent -> PBA
received), once with --window PBUs outstanding (throughput) and once
with one outstanding (latency without queueing, on a fresh daemon); from
the daemon (`pmipctl -j stats`) its own per-step
processing times; memory per binding from VmRSS before and after the
first registrations, and the daemon's own bytes_per_binding
(`pmipctl -j bc`, which must list all N bindings).

Writes captures/bench-registration-<UTC time>.json and prints a summary
with the targets (docs/benchmarks.md, "Registration").
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
PREFIX = "pmip-bench-"
NS_LMA = PREFIX + "lma"
NS_MAG = PREFIX + "mag"
IF_LMA = "pmip-bench-l"
IF_MAG = "pmip-bench-m"
LMA_ADDR = "2001:db8:b::1"
TARGETS = {
    "daemon_us_per_registration_max": 100.0,
    "registrations_per_s_min": 10000,
    "bytes_per_binding_max": 1024,
}


def sh(*cmd, check=True, **kw):
    return subprocess.run(list(cmd), check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


def nsx(ns, *cmd, **kw):
    return sh("ip", "netns", "exec", ns, *cmd, **kw)


def teardown():
    for ns in (NS_LMA, NS_MAG):
        sh("ip", "netns", "del", ns, check=False)


def setup(mags):
    teardown()
    sh("ip", "netns", "add", NS_LMA)
    sh("ip", "netns", "add", NS_MAG)
    sh("ip", "link", "add", IF_LMA, "netns", NS_LMA, "type", "veth",
       "peer", "name", IF_MAG, "netns", NS_MAG)
    for ns, ifn in ((NS_LMA, IF_LMA), (NS_MAG, IF_MAG)):
        nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
        nsx(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
        nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        nsx(ns, "ip", "link", "set", "lo", "up")
        nsx(ns, "ip", "link", "set", ifn, "up")
    nsx(NS_LMA, "ip", "-6", "addr", "add", LMA_ADDR + "/64", "dev", IF_LMA,
        "nodad")
    for j in range(mags):
        nsx(NS_MAG, "ip", "-6", "addr", "add",
            "2001:db8:b::%x/64" % (0x101 + j), "dev", IF_MAG, "nodad")
    # Neighbour entries for all MAGs before the clock starts.
    for j in range(mags):
        nsx(NS_MAG, "ping", "-6", "-c", "1", "-W", "2", "-I",
            "2001:db8:b::%x" % (0x101 + j), LMA_ADDR, check=False)


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Lma:
    def __init__(self, build, workdir, backend, mns, mags):
        self.build = build
        self.sock = os.path.join(workdir, "lma-%s.sock" % backend)
        self.conf = os.path.join(workdir, "lma-%s.conf" % backend)
        self.log = os.path.join(workdir, "lma-%s.log" % backend)
        sh(os.path.join(build, "pmip-regload"), "-C", self.conf, "-n",
           str(mns), "-m", str(mags), "-b", backend, "-I", IF_LMA, "-S",
           self.sock)
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_LMA, "taskset", "-c", "1",
             os.path.join(build, "pmipd"), "-c", self.conf],
            stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("pmipd exited: see %s" % self.log)
            if self.ctl("status", check=False).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("pmipd did not answer on %s" % self.sock)
        # ip netns exec execs the daemon: same PID.
        self.pid = self.proc.pid

    def ctl(self, *args, check=True, timeout_s=30):
        return sh(os.path.join(self.build, "pmipctl"), "-t", str(timeout_s),
                  "-s", self.sock, *args, check=check)

    def json(self, *args):
        return json.loads(self.ctl("-j", *args).stdout)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.logf.close()


def regload(build, mns, mags, window, phases):
    p = nsx(NS_MAG, "taskset", "-c", "0", os.path.join(build, "pmip-regload"),
            "-n", str(mns), "-m", str(mags), "-w", str(window), "-l",
            LMA_ADDR, "-p", phases, timeout=1200)
    return json.loads(p.stdout)


def latency_run(a, backend, workdir):
    """One PBU outstanding at a time: latency without queueing."""
    lma = Lma(a.build, workdir, backend, a.mns, a.mags)
    try:
        r = regload(a.build, a.mns, a.mags, 1, "first,refresh,dereg")
    finally:
        lma.stop()
    return r["phases"]


def run_backend(a, backend, workdir):
    lma = Lma(a.build, workdir, backend, a.mns, a.mags)
    try:
        rss0 = vmrss_kib(lma.pid)
        first = regload(a.build, a.mns, a.mags, a.window, "first")
        rss1 = vmrss_kib(lma.pid)
        t0 = time.monotonic()
        bc = lma.json("bc")
        bc_s = time.monotonic() - t0
        bc_text = lma.ctl("bc").stdout
        rest = regload(a.build, a.mns, a.mags, a.window, "refresh,dereg")
        stats = lma.json("stats")
    finally:
        lma.stop()
    phases = dict(first["phases"])
    phases.update(rest["phases"])
    t = stats["timing_us"]
    steps = ("validation", "binding_cache", "data_plane", "send")
    return {
        "backend": backend,
        "phases": phases,
        "phases_window_1": latency_run(a, backend, workdir),
        "lma_timing_us": t,
        "lma_mean_us_per_registration": {
            k: t[k]["mean"] for k in ("pbu_to_pba_first_registration",
                                      "pbu_to_pba_lifetime_extension",
                                      "pbu_to_pba_deregistration")},
        "lma_steps_mean_us_sum": round(sum(t[s]["mean"] for s in steps), 3),
        "counters": stats["counters"],
        "memory": {
            "vmrss_before_kib": rss0,
            "vmrss_after_kib": rss1,
            "rss_bytes_per_binding": round((rss1 - rss0) * 1024 / a.mns, 1),
            "daemon_bytes_per_binding": bc["bytes_per_binding"],
        },
        "pmipctl_bc": {"count": bc["count"], "json_bytes": len(json.dumps(bc)),
                       "json_seconds": round(bc_s, 3),
                       "text_lines": bc_text.count("\n")},
    }


def summary(res):
    print("%-8s %-26s %10s %9s %9s %9s %9s %9s" % (
        "backend", "phase", "reg/s", "p50 us", "p90 us", "p99 us",
        "max us", "lma us"))
    key = {"first_registration": "pbu_to_pba_first_registration",
           "refresh": "pbu_to_pba_lifetime_extension",
           "deregistration": "pbu_to_pba_deregistration"}
    for b, r in res["runs"].items():
        rows = [(ph, v, "") for ph, v in r["phases"].items()]
        rows += [(ph, v, " (w=1)") for ph, v in r["phases_window_1"].items()]
        for ph, v, w in rows:
            print("%-8s %-26s %10.0f %9.1f %9.1f %9.1f %9.1f %9.2f" % (
                b, ph + w, v["registrations_per_s"], v.get("p50_us", -1),
                v.get("p90_us", -1), v.get("p99_us", -1),
                v.get("max_us", -1),
                r["lma_mean_us_per_registration"][key[ph]]))
        m = r["memory"]
        print("%-8s memory: %.0f B/binding (VmRSS), %d B/binding (daemon); "
              "pmipctl bc: %d entries, %d bytes JSON in %.2f s" % (
                  b, m["rss_bytes_per_binding"],
                  m["daemon_bytes_per_binding"], r["pmipctl_bc"]["count"],
                  r["pmipctl_bc"]["json_bytes"],
                  r["pmipctl_bc"]["json_seconds"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mns", type=int, default=10000)
    ap.add_argument("--mags", type=int, default=8)
    ap.add_argument("--window", type=int, default=64,
                    help="outstanding PBUs at most")
    ap.add_argument("--backends", default="fake,kernel")
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_registration: needs root (network namespaces)",
              file=sys.stderr)
        return 2
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    workdir = os.path.join(TOP, "captures", "bench-registration-" + stamp)
    os.makedirs(workdir, exist_ok=True)
    out = a.out or workdir + ".json"

    def on_signal(signo, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    res = {"date": stamp, "mns": a.mns, "mags": a.mags, "window": a.window,
           "cpus": os.cpu_count(), "targets": TARGETS, "runs": {}}
    try:
        setup(a.mags)
        for b in a.backends.split(","):
            res["runs"][b] = run_backend(a, b, workdir)
    finally:
        teardown()
    with open(out, "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    summary(res)
    print("written to %s" % os.path.relpath(out, TOP))
    return 0


if __name__ == "__main__":
    sys.exit(main())
