#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Handover metrics from pmip-udpflow logs.

Library and command line.  The logs (docs/measurements.md):

  receive log  flow,seq,tx_ns,rx_ns,len       one line per packet received
  send log     flow,seq,sched_ns,tx_ns,err    one line per packet sent

All times are CLOCK_MONOTONIC nanoseconds of the one machine the testbed
runs on, the same clock Python's time.monotonic_ns() reads, so handover
event times recorded by the testbed can be laid over the logs.

  /usr/bin/python3 analysis/flows.py recv.csv [--send-log send.csv]
      [--rate PPS] [--events events.json] [--k K] [--flow F] [--json]
"""

import argparse
import bisect
import csv
import errno as errno_mod
import json
import math
import sys
from collections import namedtuple

Rx = namedtuple("Rx", "flow seq tx_ns rx_ns len")
Tx = namedtuple("Tx", "flow seq sched_ns tx_ns err")

DEFAULT_K = 3.0
DEFAULT_BIN_MS = 100.0
DEFAULT_WINDOW_MS = 5000.0


# ---- loading ----------------------------------------------------------

def _rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return [], []
        return [h.strip() for h in header], list(reader)


def load_recv_log(path):
    """Receive log -> list of Rx in arrival (file) order."""
    header, rows = _rows(path)
    if not header:
        return []
    col = {name: i for i, name in enumerate(header)}
    for name in ("seq", "tx_ns", "rx_ns"):
        if name not in col:
            raise ValueError("%s: no column %r in receive log" % (path, name))
    fi, si, ti, ri = col.get("flow"), col["seq"], col["tx_ns"], col["rx_ns"]
    li = col.get("len")
    out = []
    for r in rows:
        if not r:
            continue
        out.append(Rx(int(r[fi]) if fi is not None else 0, int(r[si]),
                      int(r[ti]), int(r[ri]),
                      int(r[li]) if li is not None else 0))
    return out


def load_send_log(path):
    """Send log -> list of Tx in send order.  Only seq and tx_ns are
    required; flow defaults to 0, sched_ns to tx_ns and err to 0."""
    header, rows = _rows(path)
    if not header:
        return []
    col = {name: i for i, name in enumerate(header)}
    for name in ("seq", "tx_ns"):
        if name not in col:
            raise ValueError("%s: no column %r in send log" % (path, name))
    fi, si, ti = col.get("flow"), col["seq"], col["tx_ns"]
    di, ei = col.get("sched_ns"), col.get("err")
    out = []
    for r in rows:
        if not r:
            continue
        tx = int(r[ti])
        out.append(Tx(int(r[fi]) if fi is not None else 0, int(r[si]),
                      int(r[di]) if di is not None else tx, tx,
                      int(r[ei]) if ei is not None else 0))
    return out


def load_events(path):
    """Handover events: a JSON list (or {"events": [...]}) whose items are
    CLOCK_MONOTONIC ns numbers or objects with "t_ns" (also accepted:
    "time_ns", "monotonic_ns") and an optional "name"."""
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data.get("events", [])
    return [_event(e, i) for i, e in enumerate(data)]


def _event(e, i):
    if isinstance(e, (int, float)):
        return {"name": "handover %d" % (i + 1), "t_ns": int(e)}
    for key in ("t_ns", "time_ns", "monotonic_ns"):
        if key in e:
            return {"name": str(e.get("name", "handover %d" % (i + 1))),
                    "t_ns": int(e[key])}
    raise ValueError("event %d has no t_ns" % i)


# ---- helpers ----------------------------------------------------------

def flows_in(log):
    return sorted({p.flow for p in log})


def only_flow(log, flow):
    return [p for p in log if p.flow == flow]


def percentile(sorted_values, q):
    """Nearest-rank percentile (q in 0..100) of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def first_copies(rx):
    """Unique packets (the first copy of each (flow, seq)), ordered by
    arrival time."""
    seen = set()
    out = []
    for p in sorted(rx, key=lambda p: p.rx_ns):
        key = (p.flow, p.seq)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def nominal_interval_ns(rx, tx=None, rate=None):
    """The sender's inter-packet interval: from RATE if given, else from
    the send times the packets carry (first to last sequence number)."""
    if rate:
        return 1e9 / rate
    pts = [(p.seq, p.tx_ns) for p in (tx or [])] or \
          [(p.seq, p.tx_ns) for p in rx]
    if len(pts) < 2:
        return None
    lo, hi = min(pts), max(pts)
    if hi[0] == lo[0]:
        return None
    return (hi[1] - lo[1]) / (hi[0] - lo[0])


def _pkt(p):
    return {"seq": p.seq, "tx_ns": p.tx_ns, "rx_ns": p.rx_ns}


def _ms(ns):
    return None if ns is None else ns / 1e6


# ---- metrics ----------------------------------------------------------

def counts(rx, tx=None):
    """Packet counts for ONE flow.

    Without a send log, what was sent is inferred: every sequence number
    from 0 to the highest one received.  With one, sent counts the sends
    the kernel accepted; send_errors those it refused (the sequence number
    is used anyway), and lost only what was sent and never received.
    """
    seen = set()
    dups = reordered = 0
    max_seq = -1
    for p in rx:
        if p.seq in seen:
            dups += 1
            continue
        seen.add(p.seq)
        if p.seq < max_seq:
            reordered += 1
        else:
            max_seq = p.seq
    c = {"received": len(rx), "unique": len(seen), "duplicates": dups,
         "reordered": reordered}
    if tx is None:
        c["sent"] = max_seq + 1
        c["send_errors"] = None
        c["lost"] = max_seq + 1 - len(seen)
    else:
        ok = {t.seq for t in tx if t.err == 0}
        c["sent"] = len(ok)
        c["send_errors"] = sum(1 for t in tx if t.err != 0)
        by = {}
        for t in tx:
            if t.err != 0:
                by[_errno_name(t.err)] = by.get(_errno_name(t.err), 0) + 1
        c["send_errno"] = by
        c["lost"] = len(ok - seen)
    c["loss_ratio"] = c["lost"] / c["sent"] if c["sent"] > 0 else None
    return c


def delay_stats(rx):
    """One-way delay (rx_ns - tx_ns) of unique packets, in ms."""
    d = sorted(p.rx_ns - p.tx_ns for p in first_copies(rx))
    if not d:
        return {"min_ms": None, "median_ms": None, "p99_ms": None,
                "max_ms": None, "mean_ms": None}
    return {"min_ms": _ms(d[0]), "median_ms": _ms(percentile(d, 50)),
            "p99_ms": _ms(percentile(d, 99)), "max_ms": _ms(d[-1]),
            "mean_ms": _ms(sum(d) / len(d))}


def throughput(rx, bin_ms=DEFAULT_BIN_MS, t0=None, t1=None):
    """Packets received per bin of BIN_MS, from T0 (default: the first
    arrival) to T1 (default: the last)."""
    if not rx:
        return []
    times = [p.rx_ns for p in rx]
    t0 = min(times) if t0 is None else t0
    t1 = max(times) if t1 is None else t1
    width = bin_ms * 1e6
    bins = [0] * (int((t1 - t0) // width) + 1)
    for t in times:
        i = int((t - t0) // width)
        if 0 <= i < len(bins):
            bins[i] += 1
    return bins


def gaps(rx, interval_ns, k=DEFAULT_K):
    """Interruptions of ONE flow: successive unique arrivals more than
    K * INTERVAL_NS apart.  For each: the last packet before and the first
    after, the duration, how many sequence numbers between the two were
    never received ("missing"), and how much of the gap the sender itself
    accounts for (it sent the first packet after later than its sequence
    number says: "sender_stall_ms")."""
    if not interval_ns:
        return []
    arr = first_copies(rx)
    received = {p.seq for p in arr}
    limit = k * interval_ns
    out = []
    for a, b in zip(arr, arr[1:]):
        dt = b.rx_ns - a.rx_ns
        if dt <= limit:
            continue
        missing = sum(1 for s in range(a.seq + 1, b.seq)
                      if s not in received)
        stall = (b.tx_ns - a.tx_ns) - (b.seq - a.seq) * interval_ns
        out.append({"start_ns": a.rx_ns, "end_ns": b.rx_ns,
                    "duration_ms": dt / 1e6,
                    "last_before": _pkt(a), "first_after": _pkt(b),
                    "missing": missing,
                    "sender_stall_ms": max(0.0, stall) / 1e6})
    return out


def rate_achieved(log, key):
    """Packets per second between the first and the last time KEY."""
    if len(log) < 2:
        return None
    ts = [getattr(p, key) for p in log]
    span = max(ts) - min(ts)
    return (len(log) - 1) * 1e9 / span if span > 0 else None


def summarize_flow(rx, tx=None, rate=None, k=DEFAULT_K,
                   bin_ms=DEFAULT_BIN_MS):
    interval = nominal_interval_ns(rx, tx, rate)
    s = counts(rx, tx)
    s["interval_ms"] = _ms(interval)
    s["tx_rate_pps"] = rate_achieved(tx if tx else first_copies(rx), "tx_ns")
    s["rx_rate_pps"] = rate_achieved(rx, "rx_ns")
    s["delay"] = delay_stats(rx)
    s["first_rx_ns"] = min((p.rx_ns for p in rx), default=None)
    s["last_rx_ns"] = max((p.rx_ns for p in rx), default=None)
    s["throughput_bin_ms"] = bin_ms
    s["throughput"] = throughput(rx, bin_ms)
    s["gaps"] = gaps(rx, interval, k)
    return s


def summarize(rx, tx=None, rate=None, k=DEFAULT_K, bin_ms=DEFAULT_BIN_MS):
    """Per-flow summaries of a receive log (and its send log), keyed by
    flow id.  A flow that only the send log knows is reported too."""
    ids = sorted(set(flows_in(rx)) | set(flows_in(tx or [])))
    out = {}
    for f in ids:
        ftx = only_flow(tx, f) if tx is not None else None
        out[f] = summarize_flow(only_flow(rx, f), ftx, rate, k, bin_ms)
    return out


def handover_interruption(events, log, send_log=None, rate=None,
                          k=DEFAULT_K, window_ms=DEFAULT_WINDOW_MS):
    """Interruption of ONE flow at each handover event.

    EVENTS: CLOCK_MONOTONIC ns numbers or dicts with "t_ns" (load_events).
    For an event at t, the interruption is the longest gap (see gaps())
    that ends after t and starts before both the next event and t +
    WINDOW_MS: the gap that overlaps the event, or the one it causes
    shortly after.  If there is none, it is the first arrival after t
    minus the last arrival at or before t (about one interval: no
    interruption).

    Per event: interruption_ms, the packets either side, "lost" (sequence
    numbers between them never received; with a send log split into
    "not_sent", refused by the sender's kernel, and "lost_in_network"),
    and "delayed": packets that arrived from the end of the gap until the
    next event with a one-way delay above the flow's median by more than
    K intervals, i.e. packets held (buffered) rather than lost.
    """
    evs = sorted((_event(e, i) for i, e in enumerate(events)),
                 key=lambda e: e["t_ns"])
    arr = first_copies(log)
    interval = nominal_interval_ns(log, send_log, rate)
    all_gaps = gaps(arr, interval, k)
    times = [p.rx_ns for p in arr]
    received = {p.seq for p in arr}
    delays = sorted(p.rx_ns - p.tx_ns for p in arr)
    median = percentile(delays, 50)
    send_err = {t.seq for t in (send_log or []) if t.err != 0}
    out = []
    for i, ev in enumerate(evs):
        t = ev["t_ns"]
        t_next = evs[i + 1]["t_ns"] if i + 1 < len(evs) else math.inf
        # A gap that opens just before the next event (its last packet
        # left within K intervals of it) belongs to that event.
        margin = k * interval if interval else 0
        horizon = min(t_next - margin, t + window_ms * 1e6)
        near = [g for g in all_gaps
                if g["end_ns"] > t and g["start_ns"] < horizon]
        gap = max(near, key=lambda g: g["end_ns"] - g["start_ns"],
                  default=None)
        r = {"name": ev["name"], "t_ns": t, "gap": gap is not None,
             "interruption_ms": None, "last_before": None,
             "first_after": None, "lost": None, "delayed": None}
        if gap is not None:
            a, b = gap["last_before"], gap["first_after"]
        else:
            j = bisect.bisect_right(times, t)
            if j == 0 or j == len(arr):
                out.append(r)
                continue
            a, b = _pkt(arr[j - 1]), _pkt(arr[j])
        r["last_before"], r["first_after"] = a, b
        r["interruption_ms"] = (b["rx_ns"] - a["rx_ns"]) / 1e6
        r["offset_ms"] = (a["rx_ns"] - t) / 1e6
        missing = [s for s in range(a["seq"] + 1, b["seq"])
                   if s not in received]
        r["lost"] = len(missing)
        if send_log is not None:
            r["not_sent"] = sum(1 for s in missing if s in send_err)
            r["lost_in_network"] = r["lost"] - r["not_sent"]
        thresh = median + k * interval if interval else median
        r["delayed"] = sum(1 for p in arr
                           if b["rx_ns"] <= p.rx_ns < t_next
                           and p.rx_ns - p.tx_ns > thresh)
        out.append(r)
    return out


# ---- command line -----------------------------------------------------

def _fmt(v, spec="%.3f"):
    if v is None:
        return "-"
    return spec % v if isinstance(v, float) else str(v)


def _errno_name(n):
    return errno_mod.errorcode.get(n, str(n))


def report(summary, handovers, out=None, max_gaps=10):
    out = out or sys.stdout
    cols = ("flow", "sent", "recv", "lost", "dup", "reord", "tx pps",
            "rx pps", "owd med ms", "owd p99 ms", "gaps", "max gap ms")
    rows = []
    for f, s in summary.items():
        g = s["gaps"]
        rows.append((f, s["sent"], s["received"], s["lost"],
                     s["duplicates"], s["reordered"],
                     _fmt(s["tx_rate_pps"], "%.1f"),
                     _fmt(s["rx_rate_pps"], "%.1f"),
                     _fmt(s["delay"]["median_ms"]),
                     _fmt(s["delay"]["p99_ms"]), len(g),
                     _fmt(max((x["duration_ms"] for x in g), default=None))))
    _table(cols, rows, out)
    for f, s in summary.items():
        if s["send_errors"]:
            print("flow %s: %d sends refused by the kernel (%s)"
                  % (f, s["send_errors"],
                     ", ".join("%s %d" % kv
                               for kv in sorted(s["send_errno"].items()))),
                  file=out)
        longest = sorted(s["gaps"], key=lambda x: -x["duration_ms"])
        if len(longest) > max_gaps:
            print("flow %s: %d gaps, the %d longest:"
                  % (f, len(longest), max_gaps), file=out)
        for x in sorted(longest[:max_gaps], key=lambda x: x["start_ns"]):
            print("flow %s: gap %.3f ms after seq %d (rx %d) until seq %d,"
                  " %d missing, sender stall %.3f ms"
                  % (f, x["duration_ms"], x["last_before"]["seq"],
                     x["start_ns"], x["first_after"]["seq"], x["missing"],
                     x["sender_stall_ms"]), file=out)
    if handovers:
        print(file=out)
        cols = ("flow", "event", "t_ns", "interruption ms", "lost",
                "delayed", "gap")
        rows = [(f, h["name"], h["t_ns"], _fmt(h["interruption_ms"]),
                 _fmt(h["lost"]), _fmt(h["delayed"]),
                 "yes" if h["gap"] else "no")
                for f, hs in handovers.items() for h in hs]
        _table(cols, rows, out)


def _table(cols, rows, out):
    rows = [tuple(str(c) for c in r) for r in rows]
    w = [max([len(c)] + [len(r[i]) for r in rows])
         for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(cols)), file=out)
    for r in rows:
        print("  ".join(c.rjust(w[i]) for i, c in enumerate(r)), file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Loss, reordering, delay and handover interruption "
                    "from pmip-udpflow logs.")
    ap.add_argument("log", help="receive log (pmip-udpflow recv -o)")
    ap.add_argument("--send-log", help="send log (pmip-udpflow send -o)")
    ap.add_argument("--rate", type=float,
                    help="nominal packets/s (default: from the send times)")
    ap.add_argument("--events", help="JSON file of handover event times")
    ap.add_argument("--k", type=float, default=DEFAULT_K,
                    help="a gap is longer than K intervals (default 3)")
    ap.add_argument("--bin-ms", type=float, default=DEFAULT_BIN_MS,
                    help="throughput bin width (default 100 ms)")
    ap.add_argument("--window-ms", type=float, default=DEFAULT_WINDOW_MS,
                    help="look this far after an event for its gap")
    ap.add_argument("--flow", type=int, help="only this flow")
    ap.add_argument("--json", action="store_true", help="print JSON")
    a = ap.parse_args(argv)
    try:
        rx = load_recv_log(a.log)
        tx = load_send_log(a.send_log) if a.send_log else None
        events = load_events(a.events) if a.events else []
    except (OSError, ValueError) as e:
        print("flows.py: %s" % e, file=sys.stderr)
        return 2
    if a.flow is not None:
        rx = only_flow(rx, a.flow)
        tx = only_flow(tx, a.flow) if tx is not None else None
    summary = summarize(rx, tx, a.rate, a.k, a.bin_ms)
    handovers = {}
    if events:
        for f in summary:
            ftx = only_flow(tx, f) if tx is not None else None
            handovers[f] = handover_interruption(
                events, only_flow(rx, f), ftx, a.rate, a.k, a.window_ms)
    if a.json:
        json.dump({"flows": {str(f): s for f, s in summary.items()},
                   "handovers": {str(f): h for f, h in handovers.items()}},
                  sys.stdout, indent=1)
        print()
    else:
        report(summary, handovers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
