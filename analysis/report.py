# SPDX-License-Identifier: BSD-2-Clause
"""Turn one testbed run directory into results and a summary table.

analyze_run() reads what scenarios/run.py left in captures/<run-id>/:
the MN pcaps (registration latency, Router Solicitation to Router
Advertisement as the MN sees it), the UDP flow logs (loss, duplicates,
reordering, handover interruption through analysis/flows.py), the
iperf3 JSON (did TCP survive, throughput over time) and the pmipctl
snapshots (daemon-side per-step processing times).
"""

import glob
import json
import os
import shutil
import statistics
import subprocess
import sys

import flows

TSHARK = shutil.which("tshark")


def _median(v):
    return statistics.median(v) if v else None


def nd_events(pcap):
    """[(time_s, type, src, dst)] for RS (133) and RA (134) in a pcap."""
    if not TSHARK or not os.path.exists(pcap):
        return []
    r = subprocess.run([TSHARK, "-r", pcap, "-Y",
                        "icmpv6.type == 133 || icmpv6.type == 134",
                        "-T", "fields", "-e", "frame.time_epoch", "-e",
                        "icmpv6.type", "-e", "ipv6.src", "-e", "ipv6.dst",
                        "-e", "icmpv6.opt.prefix"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True, timeout=120)
    out = []
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 4:
            continue
        out.append((float(f[0]), int(f[1]), f[2], f[3],
                    f[4] if len(f) > 4 else ""))
    return out


def registration_latencies(pcap):
    """RS -> first RA carrying a prefix after it, per registration, in
    ms.  An RA that answers no outstanding RS (a periodic one) is not a
    registration."""
    lat = []
    pending = None
    for t, typ, src, dst, pfx in nd_events(pcap):
        if typ == 133:
            if pending is None:
                pending = t
        elif typ == 134 and pending is not None and pfx:
            lat.append({"rs_s": pending, "ra_s": t,
                        "latency_ms": (t - pending) * 1e3})
            pending = None
    return lat


def attach_latencies(pcap, attaches):
    """Link up at the MN (the testbed's attach event, wall clock) -> the
    first RA carrying a prefix at the MN, per attachment, in ms.  A
    roaming Linux host that keeps its address sends no new RS, so this
    is the registration latency of a handover as the MN sees it."""
    ras = [t for t, typ, _s, _d, pfx in nd_events(pcap)
           if typ == 134 and pfx]
    out = []
    for e in attaches:
        t0 = e["t_real_ns"] / 1e9
        after = [t for t in ras if t >= t0]
        out.append({"mag": e.get("mag"), "attach_s": t0,
                    "ra_s": after[0] if after else None,
                    "latency_ms": (after[0] - t0) * 1e3 if after
                    else None})
    return out


def _pcap_records(path):
    """(time_s, frame bytes) of every record of a pcap (Ethernet, the
    microsecond format tcpdump writes)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    scale = 1e-9 if magic in (0xa1b23c4d, 0x4d3cb2a1) else 1e-6
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII",
                                           data[off:off + 16])
        off += 16
        yield sec + frac * scale, data[off:off + incl]
        off += incl


def _udp_to(ip6, dst, port):
    """True if the IPv6 packet ip6 is UDP to (dst, port), tunnelled or
    not (next header 41 unwraps one level)."""
    if len(ip6) >= 40 and ip6[6] == 41:
        ip6 = ip6[40:]
    return (len(ip6) >= 44 and ip6[6] == 17 and ip6[24:40] == dst and
            int.from_bytes(ip6[42:44], "big") == port)


def buffer_occupancy(rundir, mn_addr, port, bin_ms=5):
    """Packets of the CN -> MN flow inside the LMA over time: those seen
    arriving on the LMA's CN link (lma-cn0.pcap) minus those seen
    leaving towards a MAG (lma-core0.pcap), sampled as the maximum per
    bin_ms bin.  Normally 0 or 1; while the LMA holds the MN's traffic
    during a handover, the buffer's occupancy.  Taken from the wire, so
    it needs no help from the daemon."""
    import ipaddress
    dst = ipaddress.IPv6Address(mn_addr).packed
    ev = []
    for name, d in (("lma-cn0.pcap", 1), ("lma-core0.pcap", -1)):
        path = os.path.join(rundir, name)
        if not os.path.exists(path):
            return []
        for t, fr in _pcap_records(path):
            if len(fr) > 14 and fr[12:14] == b"\x86\xdd" and \
                    _udp_to(fr[14:], dst, port):
                ev.append((t, d))
    if not ev:
        return []
    ev.sort()
    t0 = ev[0][0]
    width = bin_ms / 1000.0
    out, level, cur_bin, peak = [], 0, 0, 0

    def emit(b, v):
        out.append({"t_s": round(b * width, 4), "packets": max(v, 0)})

    for t, d in ev:
        b = int((t - t0) / width)
        if b != cur_bin:
            emit(cur_bin, peak)
            if b > cur_bin + 1:          # quiet bins keep the level
                emit(cur_bin + 1, level)
            cur_bin, peak = b, level
        level += d
        peak = max(peak, level)
    emit(cur_bin, peak)
    emit(cur_bin + 1, level)
    return out


def tcp_result(path):
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        return {"survived": False, "error": "iperf3 output: %s" % e}
    err = j.get("error")
    intervals = []
    for iv in j.get("intervals", []):
        s = iv.get("sum", {})
        intervals.append({"start_s": s.get("start"), "end_s": s.get("end"),
                          "mbit_s": s.get("bits_per_second", 0) / 1e6})
    end = j.get("end", {})
    recv = end.get("sum_received", {})
    sent = end.get("sum_sent", {})
    zero = [iv for iv in intervals if iv["mbit_s"] == 0]
    return {"survived": err is None and bool(recv),
            "error": err,
            "mbit_s": recv.get("bits_per_second", 0) / 1e6,
            "bytes": recv.get("bytes", 0),
            "retransmits": sent.get("retransmits"),
            "zero_intervals": len(zero),
            "throughput": intervals}


def daemon_timing(rundir):
    path = os.path.join(rundir, "pmipctl-after.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        snap = json.load(f)
    out = {}
    for node, d in snap.items():
        st = (d or {}).get("stats") or {}
        if "timing_us" in st:
            out[node] = st["timing_us"]
    return out


def lma_buffers(rundir):
    """The LMA's handover buffer after the run (pmipctl -j buffers):
    per-MN queues and the totals of every packet's fate."""
    path = os.path.join(rundir, "pmipctl-after.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        snap = json.load(f)
    b = (snap.get("lma") or {}).get("buffers")
    return b if isinstance(b, dict) else None


def udp_summary(log, rate, events, send_log=None):
    """One UDP flow: counts, delay, throughput and, per handover event,
    the interruption (analysis/flows.py)."""
    rx = flows.load_recv_log(log) if os.path.exists(log) else []
    tx = flows.load_send_log(send_log) if send_log and \
        os.path.exists(send_log) else None
    s = flows.summarize_flow(rx, tx, rate)
    out = {k: s[k] for k in ("sent", "received", "unique", "lost",
                             "duplicates", "reordered", "loss_ratio",
                             "send_errors", "delay", "throughput",
                             "throughput_bin_ms", "tx_rate_pps")
           if k in s}
    out["received"] = s.get("unique")
    out["handovers"] = flows.handover_interruption(events, rx, tx, rate) \
        if events and rx else []
    return out


def analyze_run(rundir, sc, events, t_traffic_ns):
    n = int(sc["topology"]["mns"])
    rate = float(sc["traffic"]["udp_rate"])
    res = {"scenario": sc["name"], "description": sc["description"],
           "parameters": sc, "registrations": [], "udp": {}, "tcp": None}
    for pcap in sorted(glob.glob(os.path.join(rundir, "mn*-mn0.pcap"))):
        mn = os.path.basename(pcap).split("-")[0]
        i = int(mn[2:])
        for r in registration_latencies(pcap):
            r["mn"] = mn
            r["trigger"] = "rs"
            res["registrations"].append(r)
        att = [e for e in events if e["kind"] == "attach" and
               e.get("mn") == i and "t_real_ns" in e]
        for r in attach_latencies(pcap, att):
            r["mn"] = mn
            r["trigger"] = "link"
            res["registrations"].append(r)
    lat = [r["latency_ms"] for r in res["registrations"]
           if r["latency_ms"] is not None]
    res["registration_latency_ms"] = {
        "count": len(lat), "median": _median(lat),
        "min": min(lat) if lat else None, "max": max(lat) if lat else None}
    # A handover starts when the MN loses its access link.
    moves = [e for e in events if e["kind"] == "detach"]
    for direction in ("down", "up"):
        per_mn = []
        for i in range(1, n + 1):
            base = os.path.join(rundir, "udp-%s-mn%d" % (direction, i))
            mn_events = [{"t_ns": e["t_ns"], "name": "%s->" % e.get("mag")}
                         for e in moves if e.get("mn") == i]
            s = udp_summary(base + ".csv", rate, mn_events,
                            base + "-send.csv")
            s["mn"] = i
            per_mn.append(s)
        res["udp"][direction] = per_mn
    res["tcp"] = tcp_result(os.path.join(rundir, "iperf3.json"))
    if sc["topology"].get("buffering"):
        try:
            sys.path.insert(0, os.path.join(os.path.dirname(
                os.path.dirname(os.path.abspath(__file__))), "testbed"))
            import pmiptb
            res["buffer_occupancy"] = buffer_occupancy(
                rundir, pmiptb.eui64(pmiptb.mn_prefix(1), pmiptb.mn_mac(1)),
                5001)
        except (OSError, ValueError) as e:
            res["buffer_occupancy_error"] = str(e)
    res["daemon_timing_us"] = daemon_timing(rundir)
    res["buffers"] = lma_buffers(rundir)
    return res


def _fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def summary_table(res):
    lines = []
    lines.append("scenario %s: %s" % (res["scenario"], res["description"]))
    rl = res["registration_latency_ms"]
    lines.append("")
    lines.append("Registration latency at the MN, ms (from its RS, or "
                 "from link up when it sends none, to the RA)")
    lines.append("  %-4s %-6s %-6s %-6s %10s" % ("#", "MN", "from", "MAG",
                                                "latency"))
    for k, r in enumerate(res["registrations"]):
        lines.append("  %-4d %-6s %-6s %-6s %10s" % (
            k + 1, r["mn"], r["trigger"], r.get("mag") or "-",
            _fmt(r["latency_ms"], "%.2f")))
    lines.append("  median %s ms over %d registrations" % (
        _fmt(rl["median"], "%.2f"), rl["count"]))
    for direction, label in (("down", "CN -> MN"), ("up", "MN -> CN")):
        lines.append("")
        lines.append("UDP %s" % label)
        lines.append("  %-4s %8s %8s %6s %5s %5s  %s" % (
            "MN", "sent", "recv", "lost", "dup", "reord",
            "interruption per handover (ms)"))
        for s in res["udp"].get(direction, []):
            intr = ", ".join(_fmt(h.get("interruption_ms"))
                             for h in s.get("handovers", []))
            lines.append("  %-4d %8s %8s %6s %5s %5s  %s" % (
                s["mn"], s.get("sent", "-"), s.get("received", "-"),
                s.get("lost", "-"), s.get("duplicates", "-"),
                s.get("reordered", "-"), intr or "-"))
    t = res.get("tcp")
    lines.append("")
    if t is None:
        lines.append("TCP: not run")
    else:
        lines.append("TCP (iperf3 CN -> MN1): %s, %.1f Mbit/s mean, %s "
                     "retransmits, %d intervals of 200 ms with no data%s" % (
                         "survived" if t["survived"] else "FAILED",
                         t.get("mbit_s", 0), t.get("retransmits"),
                         t.get("zero_intervals", 0),
                         (" (%s)" % t["error"]) if t.get("error") else ""))
        tp = t.get("throughput", [])
        if tp:
            lines.append("  throughput over time (Mbit/s per 200 ms): " +
                         " ".join("%.0f" % iv["mbit_s"] for iv in tp))
    b = res.get("buffers")
    if b and b.get("totals"):
        t = b["totals"]
        lines.append("")
        lines.append("LMA handover buffer: buffered %s, released %s, "
                     "passed %s; dropped: cap %s, global %s, age %s, "
                     "never returned %s; peak memory %s of %s bytes" % (
                         t.get("buffered"), t.get("released"),
                         t.get("passed"), t.get("dropped_cap"),
                         t.get("dropped_global"), t.get("dropped_age"),
                         t.get("dropped_never_returned"),
                         t.get("peak_memory_bytes"),
                         t.get("global_max_bytes")))
    dt = res.get("daemon_timing_us", {})
    if dt:
        lines.append("")
        lines.append("Daemon processing (us, median / p99 / count)")
        for node, steps in dt.items():
            for name, s in steps.items():
                if s.get("count"):
                    lines.append("  %-5s %-40s %8.1f %8.1f %6d" % (
                        node, name, s["median"], s["p99"], s["count"]))
    return "\n".join(lines)
