#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Registration latency and handover interruption against the MAG-LMA
round-trip time, and how exactly the testbed sets that RTT.

  analysis/sweep_rtt.py rtt   [--delays 0,5,10,20,50] [--count 100]
  analysis/sweep_rtt.py sweep [--rtts 0,5,10,20,50] [--scenario FILE]

"rtt" builds a testbed per one-way delay setting (mag_lma_delay_ms) and
pings the LMA from MAG1 (`ping -c COUNT`): median and p99 RTT against
the expected 2 * setting.  "sweep" runs scenarios/run.py on the
scenario (default scenarios/sweep-rtt.toml) once per RTT, with
mag_lma_delay_ms = RTT / 2, and compares the MN's registration latency
(link up -> RA with the prefix) and the UDP interruption per handover
with the model

    registration = RTT(MAG-LMA) + RTT(MN-MAG) + processing

of the umip-based prototype.  Our registration is link-triggered: the
MAG learns of the MN from carrier, not from a Router Solicitation, so
the MN-MAG term is one way only (RA, MAG -> MN, tens of microseconds on
a veth) and the model becomes RTT(MAG-LMA) + processing, processing
being the latency measured at RTT 0.  Both write a JSON file and a
text table to captures/, "sweep" also a PNG plot.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "testbed"))
import pmiptb  # noqa: E402

CAPTURES = os.path.join(TOP, "captures")


def pctl(v, p):
    """Nearest-rank percentile."""
    s = sorted(v)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def ping_rtts(tb, src, dst, count, interval=0.02):
    r = subprocess.run(["ip", "netns", "exec", tb.ns(src), "ping", "-6",
                        "-n", "-c", str(count), "-i", str(interval), "-W",
                        "2", dst], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True,
                       timeout=count * interval + 30)
    return [float(x) for x in re.findall(r"time=([0-9.]+) ms", r.stdout)]


def measure_rtt(delay_ms, count, prefix, loss=0.0):
    tb = pmiptb.Testbed(prefix=prefix, mag_lma_delay_ms=delay_ms,
                        mag_lma_loss=loss)
    try:
        tb.up(attach=False)
        ping_rtts(tb, "mag1", pmiptb.LMA_ADDR, 3)   # neighbours resolved
        rtts = ping_rtts(tb, "mag1", pmiptb.LMA_ADDR, count)
    finally:
        tb.down()
    return {"delay_ms": delay_ms, "expected_rtt_ms": 2 * delay_ms,
            "sent": count, "received": len(rtts),
            "median_ms": statistics.median(rtts) if rtts else None,
            "p99_ms": pctl(rtts, 99), "min_ms": min(rtts, default=None),
            "max_ms": max(rtts, default=None)}


def fmt(v, spec="%.2f"):
    return "-" if v is None else spec % v


def rtt_table(rows):
    out = ["RTT MAG1 -> LMA (ping), ms",
           "  %8s %9s %9s %9s %9s %9s %8s" % (
               "one-way", "expected", "median", "p99", "min", "max",
               "replies")]
    for r in rows:
        out.append("  %8g %9g %9s %9s %9s %9s %4d/%-3d" % (
            r["delay_ms"], r["expected_rtt_ms"], fmt(r["median_ms"]),
            fmt(r["p99_ms"]), fmt(r["min_ms"]), fmt(r["max_ms"]),
            r["received"], r["sent"]))
    return "\n".join(out)


def cmd_rtt(a):
    rows = [measure_rtt(float(d), a.count, a.prefix)
            for d in a.delays.split(",")]
    os.makedirs(CAPTURES, exist_ok=True)
    with open(os.path.join(CAPTURES, "rtt-accuracy.json"), "w") as f:
        json.dump(rows, f, indent=1)
    txt = rtt_table(rows)
    with open(os.path.join(CAPTURES, "rtt-accuracy.txt"), "w") as f:
        f.write(txt + "\n")
    print(txt)


def scenario_with_delay(path, delay_ms, rtt):
    with open(path) as f:
        txt = f.read()
    txt, n = re.subn(r"(?m)^mag_lma_delay_ms\s*=.*$",
                     "mag_lma_delay_ms = %g" % delay_ms, txt)
    if n != 1:
        raise SystemExit("%s: needs one 'mag_lma_delay_ms =' line" % path)
    txt = re.sub(r'(?m)^name\s*=.*$', 'name = "sweep-rtt-%gms"' % rtt, txt)
    return txt


def one_run(scenario, rtt, prefix):
    txt = scenario_with_delay(scenario, rtt / 2.0, rtt)
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(txt)
        tmp = f.name
    try:
        r = subprocess.run([sys.executable, os.path.join(TOP, "scenarios",
                                                         "run.py"), tmp,
                            "--prefix", prefix, "--json", "--down-after"],
                           stdout=subprocess.PIPE, text=True, timeout=600)
    finally:
        os.unlink(tmp)
    start = r.stdout.find("\n{")
    body = r.stdout[start + 1:] if start >= 0 else r.stdout
    if r.returncode != 0 or not body.lstrip().startswith("{"):
        raise SystemExit("run.py at RTT %g ms failed:\n%s" % (rtt,
                                                              r.stdout))
    return json.loads(body)


def summarize(rtt, res):
    reg = [x["latency_ms"] for x in res["registrations"]
           if x.get("trigger") == "link" and x["latency_ms"] is not None]
    out = {"rtt_ms": rtt, "run_id": res.get("run_id"),
           "registrations": len(reg),
           "reg_median_ms": statistics.median(reg) if reg else None,
           "reg_min_ms": min(reg, default=None),
           "reg_max_ms": max(reg, default=None)}
    for d in ("down", "up"):
        v = [h["interruption_ms"] for s in res["udp"].get(d, [])
             for h in s.get("handovers", [])
             if h.get("interruption_ms") is not None]
        out["intr_%s_median_ms" % d] = statistics.median(v) if v else None
        out["intr_%s_n" % d] = len(v)
    return out


def sweep_table(rows):
    out = ["Registration latency (MN: link up -> RA) and UDP interruption "
           "vs RTT(MAG-LMA), ms; model = RTT + processing(RTT 0)",
           "  %6s %5s %9s %9s %9s %8s %10s %10s %10s" % (
               "RTT", "n", "reg med", "reg min", "reg max", "model",
               "intr down", "intr up", "intr model")]
    for r in rows:
        out.append("  %6g %5d %9s %9s %9s %8s %10s %10s %10s" % (
            r["rtt_ms"], r["registrations"], fmt(r["reg_median_ms"]),
            fmt(r["reg_min_ms"]), fmt(r["reg_max_ms"]),
            fmt(r.get("reg_model_ms")), fmt(r["intr_down_median_ms"], "%.1f"),
            fmt(r["intr_up_median_ms"], "%.1f"),
            fmt(r.get("intr_model_ms"), "%.1f")))
    return "\n".join(out)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = [r["rtt_ms"] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    med = [r["reg_median_ms"] for r in rows]
    lo = [r["reg_median_ms"] - r["reg_min_ms"] for r in rows]
    hi = [r["reg_max_ms"] - r["reg_median_ms"] for r in rows]
    a1.errorbar(x, med, yerr=[lo, hi], fmt="o-", capsize=3,
                label="measured (median, min-max)")
    a1.plot(x, [r["reg_model_ms"] for r in rows], "k--",
            label="RTT + processing")
    a1.set_xlabel("RTT MAG-LMA (ms)")
    a1.set_ylabel("registration latency (ms)")
    a1.set_title("link up -> RA at the MN")
    a1.legend()
    a1.grid(True, alpha=0.3)
    for d, m in (("down", "o-"), ("up", "s-")):
        a2.plot(x, [r["intr_%s_median_ms" % d] for r in rows], m,
                label="UDP %s (median)" % d)
    a2.plot(x, [r["intr_model_ms"] for r in rows], "k--",
            label="interruption(RTT 0) + RTT")
    a2.set_xlabel("RTT MAG-LMA (ms)")
    a2.set_ylabel("handover interruption (ms)")
    a2.set_title("UDP interruption per handover")
    a2.legend()
    a2.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def cmd_sweep(a):
    rows = []
    for rtt in [float(x) for x in a.rtts.split(",")]:
        res = one_run(a.scenario, rtt, a.prefix)
        rows.append(summarize(rtt, res))
        print("RTT %g ms: %s" % (rtt, json.dumps(rows[-1])), flush=True)
    base = rows[0]
    if base["rtt_ms"] != 0:
        raise SystemExit("the first RTT of the sweep must be 0")
    for r in rows:
        r["reg_model_ms"] = base["reg_median_ms"] + r["rtt_ms"]
        intr = [v for v in (base["intr_down_median_ms"],
                            base["intr_up_median_ms"]) if v is not None]
        r["intr_model_ms"] = (statistics.mean(intr) + r["rtt_ms"]) \
            if intr else None
    os.makedirs(CAPTURES, exist_ok=True)
    with open(os.path.join(CAPTURES, "sweep-rtt.json"), "w") as f:
        json.dump(rows, f, indent=1)
    txt = sweep_table(rows)
    with open(os.path.join(CAPTURES, "sweep-rtt.txt"), "w") as f:
        f.write(txt + "\n")
    plot(rows, os.path.join(CAPTURES, "sweep-rtt.png"))
    print(txt)
    print("written: captures/sweep-rtt.{json,txt,png}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", default="pmip-sw-")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("rtt")
    p.add_argument("--delays", default="0,5,10,20,50",
                   help="one-way mag_lma_delay_ms settings")
    p.add_argument("--count", type=int, default=100)
    p.set_defaults(fn=cmd_rtt)
    p = sub.add_parser("sweep")
    p.add_argument("--rtts", default="0,5,10,20,50")
    p.add_argument("--scenario", default=os.path.join(TOP, "scenarios",
                                                      "sweep-rtt.toml"))
    p.set_defaults(fn=cmd_sweep)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("sweep_rtt.py: the testbed needs root")
    try:
        a.fn(a)
    except pmiptb.TestbedError as e:
        sys.exit("sweep_rtt.py: %s" % e)


if __name__ == "__main__":
    main()
