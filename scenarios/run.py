#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Run a handover scenario on the namespace testbed and report it.

  scenarios/run.py scenarios/basic.toml [--keep] [--json]

Reuses a running testbed ("make testbed") when its parameters match the
scenario's, else (re)builds it.  Writes captures/<run-id>/ (and the
captures/latest link): a pcap per node interface, pmipctl -j snapshots,
daemon logs, the flow logs and results.json, then prints a summary.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "testbed"))
sys.path.insert(0, os.path.join(TOP, "analysis"))
import pmiptb  # noqa: E402
import report  # noqa: E402

UDPFLOW = os.environ.get("UDPFLOW", os.path.join(TOP, "build",
                                                 "pmip-udpflow"))
DOWN_PORT = 5000   # CN -> MN i on port DOWN_PORT + i
UP_PORT = 6000     # MN i -> CN on port UP_PORT + i
TCP_PORT = 5201

SCENARIO_DEFAULTS = {
    "topology": {"mns": 1, "backend": "auto", "buffering": False,
                 "return_to_lma": False,
                 "detach": ["link", "nud"],
                 "lifetime": pmiptb.DEFAULTS["lifetime"],
                 "mag_lma_delay_ms": 0, "mag_lma_loss": 0.0,
                 "access": "veth", "ns3_l2_events": True,
                 "departure": "abrupt"},
    "traffic": {"udp_rate": 1000, "udp_size": 200, "tcp": True,
                "tcp_rate": "50M"},
    "handover": {"count": 4, "gap_ms": 100, "dwell_s": 2.0,
                 "warmup_s": 1.5, "tail_s": 1.5},
}


def load_scenario(path):
    with open(path, "rb") as f:
        sc = tomllib.load(f)
    out = {"name": sc.get("name", os.path.splitext(
        os.path.basename(path))[0]), "description": sc.get("description",
                                                            ""),
           "file": os.path.relpath(path, TOP)}
    for sec, defaults in SCENARIO_DEFAULTS.items():
        given = sc.get(sec, {})
        unknown = set(given) - set(defaults)
        if unknown:
            raise SystemExit("%s: [%s]: unknown key(s) %s" % (
                path, sec, ", ".join(sorted(unknown))))
        merged = dict(defaults)
        merged.update(given)
        out[sec] = merged
    extra = set(sc) - set(SCENARIO_DEFAULTS) - {"name", "description"}
    if extra:
        raise SystemExit("%s: unknown section(s) %s" % (
            path, ", ".join(sorted(extra))))
    return out


def testbed_params(sc):
    t = sc["topology"]
    return {"mns": int(t["mns"]), "backend": t["backend"],
            "buffering": bool(t["buffering"]), "detach": list(t["detach"]),
            "return_to_lma": bool(t["return_to_lma"]),
            "lifetime": int(t["lifetime"]),
            "mag_lma_delay_ms": float(t["mag_lma_delay_ms"]),
            "mag_lma_loss": float(t["mag_lma_loss"]),
            "access": str(t["access"]),
            "ns3_l2_events": bool(t["ns3_l2_events"]),
            "departure": str(t["departure"])}


def ensure_testbed(sc, prefix):
    want = testbed_params(sc)
    try:
        tb = pmiptb.Testbed.load(prefix)
        have = {k: tb.p.get(k) for k in want}
        if have == want and tb.is_up():
            return tb, False
        print("testbed: parameters differ from the scenario's "
              "(or it is not healthy); rebuilding")
        tb.down()
    except FileNotFoundError:
        pass
    tb = pmiptb.Testbed(prefix=prefix, **want)
    tb.up()
    return tb, True


class Procs:
    """Background processes of one run, ended by PID."""

    def __init__(self):
        self.procs = []

    def start(self, name, ns, cmd, out=None):
        f = open(out, "wb") if out else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, stdout=f,
                             stderr=subprocess.PIPE,
                             start_new_session=True)
        if out:
            f.close()
        self.procs.append((name, p))
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        return p.returncode

    def stop_all(self):
        for _, p in self.procs:
            self.stop(p)


def capture_points(tb):
    n = int(tb.p["mns"])
    pts = [("cn", "cn0"), ("lma", "cn0"), ("lma", "core0"),
           ("mag1", "core0"), ("mag2", "core0")]
    for i in range(1, min(n, 2) + 1):
        pts += [("mag1", "a%d" % i), ("mag2", "a%d" % i),
                ("mn%d" % i, "mn0")]
    return pts


def log_offsets(tb):
    out = {}
    for node in ("lma", "mag1", "mag2"):
        path = os.path.join(tb.dir, node + ".log")
        out[node] = os.path.getsize(path) if os.path.exists(path) else 0
    return out


def copy_logs(tb, offsets, rundir):
    for node, off in offsets.items():
        path = os.path.join(tb.dir, node + ".log")
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f, \
                open(os.path.join(rundir, "pmipd-%s.log" % node), "wb") as o:
            f.seek(off)
            shutil.copyfileobj(f, o)


def snapshot(tb, rundir, tag):
    snap = {}
    for node, cmds in (("lma", ("status", "bc", "stats", "buffers")),
                       ("mag1", ("status", "bul", "stats")),
                       ("mag2", ("status", "bul", "stats"))):
        snap[node] = {}
        for c in cmds:
            snap[node][c] = tb.ctl(node, c, check=False)
    with open(os.path.join(rundir, "pmipctl-%s.json" % tag), "w") as f:
        json.dump(snap, f, indent=1)
    return snap


def run(sc, args):
    if os.geteuid() != 0:
        raise SystemExit("run.py: the testbed needs root")
    if not os.access(UDPFLOW, os.X_OK):
        raise SystemExit("run.py: %s missing; run 'make' first" % UDPFLOW)
    run_id = datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + \
        "-" + sc["name"]
    capdir = os.path.abspath(args.captures)
    rundir = os.path.join(capdir, run_id)
    os.makedirs(rundir)
    latest = os.path.join(capdir, "latest")
    if os.path.islink(latest):
        os.unlink(latest)
    os.symlink(run_id, latest)

    tb, built = ensure_testbed(sc, args.prefix)
    n = int(tb.p["mns"])
    tr, ho = sc["traffic"], sc["handover"]
    duration = ho["warmup_s"] + ho["count"] * (ho["dwell_s"] +
                                               ho["gap_ms"] / 1000.0) + \
        ho["tail_s"]
    offsets = log_offsets(tb)
    procs = Procs()
    t_start = time.monotonic_ns()
    t_traffic = t_start
    try:
        # Start from MAG1 with every MN registered.
        for i in range(1, n + 1):
            if tb.state["attached"].get(str(i)) != "mag1":
                tb.move(i, "mag1")
        for i in range(1, n + 1):
            pmiptb.wait_until(lambda i=i: tb.mn_has_addr(i), timeout=20,
                              what="MN %d registered at mag1" % i)
        snapshot(tb, rundir, "before")
        tcpdumps = []
        for node, ifc in capture_points(tb):
            pcap = os.path.join(rundir, "%s-%s.pcap" % (node, ifc))
            tcpdumps.append(procs.start(
                "tcpdump", tb.ns(node),
                ["tcpdump", "-q", "-n", "-s", "200", "-B", "8192", "-i",
                 ifc, "-w", pcap, "-U"]))
        time.sleep(0.5)   # let tcpdump attach
        # The receivers are stopped once the senders are done; their own
        # limit only guards against a hung run (a loaded machine's
        # sender may fall behind its schedule by seconds).
        recv = []
        for i in range(1, n + 1):
            recv.append(("down", i, procs.start(
                "recv", tb.ns("mn%d" % i),
                [UDPFLOW, "recv", "-p", str(DOWN_PORT + i), "-o",
                 os.path.join(rundir, "udp-down-mn%d.csv" % i), "-t",
                 str(duration * 3 + 10)],
                out=os.path.join(rundir, "udp-down-mn%d.json" % i))))
            recv.append(("up", i, procs.start(
                "recv", tb.ns("cn"),
                [UDPFLOW, "recv", "-p", str(UP_PORT + i), "-o",
                 os.path.join(rundir, "udp-up-mn%d.csv" % i), "-t",
                 str(duration * 3 + 10)],
                out=os.path.join(rundir, "udp-up-mn%d.json" % i))))
        iperf = None
        if tr["tcp"]:
            procs.start("iperf3-s", tb.ns("mn1"),
                        ["iperf3", "-s", "-1", "-p", str(TCP_PORT)])
        time.sleep(0.3)
        senders = []
        for i in range(1, n + 1):
            common = ["-r", str(tr["udp_rate"]), "-t", "%.3f" % duration,
                      "-s", str(tr["udp_size"]), "-f", str(i)]
            for d, node, dst, port in (
                    ("down", "cn", tb.mn_addr(i), DOWN_PORT + i),
                    ("up", "mn%d" % i, pmiptb.CN_ADDR, UP_PORT + i)):
                base = os.path.join(rundir, "udp-%s-mn%d-send" % (d, i))
                senders.append(procs.start(
                    "send", tb.ns(node),
                    [UDPFLOW, "send", "-d", dst, "-p", str(port), "-o",
                     base + ".csv"] + common, out=base + ".json"))
        if tr["tcp"]:
            iperf = procs.start(
                "iperf3-c", tb.ns("cn"),
                ["iperf3", "-c", tb.mn_addr(1), "-p", str(TCP_PORT), "-t",
                 "%.1f" % duration, "-i", "0.2", "-J", "-b",
                 str(tr["tcp_rate"])],
                out=os.path.join(rundir, "iperf3.json"))
        t_traffic = time.monotonic_ns()
        time.sleep(ho["warmup_s"])
        mags = ["mag2", "mag1"]
        for k in range(int(ho["count"])):
            target = mags[k % 2]
            # Every MN leaves, the air is empty for gap_ms, every MN
            # arrives: the same gap for all of them.
            for i in range(1, n + 1):
                tb.detach(i)
            time.sleep(ho["gap_ms"] / 1000.0)
            for i in range(1, n + 1):
                tb.attach(i, target)
            time.sleep(ho["dwell_s"])
        for p in senders:
            p.wait(timeout=duration + 30)
        if iperf:
            try:
                iperf.wait(timeout=30)
            except subprocess.TimeoutExpired:
                procs.stop(iperf, signal.SIGINT)
        time.sleep(0.5)   # in-flight packets
        for _, _, p in recv:
            procs.stop(p, signal.SIGTERM)
        # tcpdump hands packets over in blocks with a 1 s timeout: give
        # the last block time to arrive before stopping it.
        time.sleep(1.2)
        for p in tcpdumps:
            procs.stop(p, signal.SIGTERM)
        snapshot(tb, rundir, "after")
    finally:
        tb.close_shells()
        procs.stop_all()
        copy_logs(tb, offsets, rundir)
        # Handovers of the measurement: those after traffic started
        # (not the move that put every MN at MAG1 first).
        events = [e for e in tb.state["events"]
                  if e["t_ns"] >= max(t_start, t_traffic)]
        with open(os.path.join(rundir, "events.json"), "w") as f:
            json.dump(events, f, indent=1)
        with open(os.path.join(rundir, "scenario.json"), "w") as f:
            json.dump(sc, f, indent=1)
    res = report.analyze_run(rundir, sc, events, t_traffic)
    res["run_id"] = run_id
    res["testbed_built"] = built
    with open(os.path.join(rundir, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print(report.summary_table(res))
        print("\nrun written to %s" % os.path.relpath(rundir, TOP))
    if not args.keep and built and args.down_after:
        tb.down()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--prefix", default=pmiptb.DEFAULTS["prefix"])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--captures", default=os.path.join(TOP, "captures"),
                    metavar="DIR", help="write the run under DIR "
                    "(default: captures/)")
    ap.add_argument("--keep", action="store_true",
                    help="leave a testbed this run built")
    ap.add_argument("--down-after", action="store_true",
                    help="tear down a testbed this run built")
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    try:
        run(sc, args)
    except pmiptb.TestbedError as e:
        raise SystemExit("run.py: %s" % e)


if __name__ == "__main__":
    main()
