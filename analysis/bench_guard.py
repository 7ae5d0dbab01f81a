#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Registration cost guard: instruction counts against a kept baseline.

    analysis/bench_guard.py [--regload build/pmip-regload] [--mns 5000]
                            [--margin 0.25] [--update] [--json FILE]

Runs `pmip-regload -i` (the LMA's registration path in-process: PBUs
handed to lma_recv(), fake data plane, no sockets, fixed clock) under
valgrind --tool=callgrind.  The tool's client requests dump the
instructions of each phase (first registration, refresh,
de-registration) and of a fixed reference workload with no project code
in it.  Instruction counts do not depend on the machine's load; dividing
by the reference's count per round also cancels most of what a
different compiler or libc changes.  The figure compared is, per phase,

    ratio = (instructions per registration) / (instructions per round)

and the guard fails when a phase's ratio exceeds the baseline's
(bench/baseline-registration.json) by more than the margin (default
25%).  --update writes the current figures as the new baseline.

Exit status: 0 pass, 1 regression, 2 usage or run error; without
valgrind it prints SKIP and exits 0 (77 with --strict-skip).
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(TOP, "bench", "baseline-registration.json")
PHASES = ("first_registration", "refresh", "deregistration")
DEFAULT_MARGIN = 0.25


def run_callgrind(regload, mns, mags=8):
    """Instruction counts per dump name, and the tool's JSON."""
    with tempfile.TemporaryDirectory(prefix="pmip-guard-") as d:
        out = os.path.join(d, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
               regload, "-i", "-n", str(mns), "-m", str(mags)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s" % (
                " ".join(cmd), p.returncode, p.stderr[-2000:]))
        tool = json.loads(p.stdout)
        counts = {}
        for f in glob.glob(out + ".*"):
            name = summary = None
            with open(f) as fh:
                for line in fh:
                    m = re.match(r"desc: Trigger: Client Request: (\S+)",
                                 line)
                    if m:
                        name = m.group(1)
                    elif line.startswith("summary:"):
                        summary = int(line.split()[1])
                        break
            if name and summary is not None:
                counts[name] = summary
    return counts, tool


def figures(counts, tool):
    n = tool["mns"]
    rounds = tool["reference"]["rounds"]
    ref = counts["reference"] / rounds
    out = {"mns": n, "mags": tool["mags"],
           "reference_instructions_per_round": round(ref, 1),
           "phases": {}}
    for ph in PHASES:
        per = counts[ph] / n
        out["phases"][ph] = {"instructions_per_registration": round(per, 1),
                             "ratio_to_reference": round(per / ref, 4)}
    return out


def compare(cur, base, margin):
    """List of (phase, base ratio, current ratio, change, failed)."""
    rows = []
    for ph in PHASES:
        b = base["phases"][ph]["ratio_to_reference"]
        c = cur["phases"][ph]["ratio_to_reference"]
        change = c / b - 1.0
        rows.append((ph, b, c, change, change > margin))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regload", default=os.environ.get(
        "PMIP_REGLOAD", os.path.join(TOP, "build", "pmip-regload")))
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--mns", type=int, default=None,
                    help="mobile nodes (default: the baseline's, or 5000)")
    ap.add_argument("--margin", type=float, default=None,
                    help="allowed ratio increase (default: the "
                    "baseline's, or 0.25)")
    ap.add_argument("--update", action="store_true",
                    help="write the current figures as the baseline")
    ap.add_argument("--json", help="write the current figures here")
    ap.add_argument("--strict-skip", action="store_true")
    a = ap.parse_args(argv)

    if shutil.which("valgrind") is None:
        print("bench_guard: SKIP: valgrind is not installed")
        return 77 if a.strict_skip else 0
    if not os.access(a.regload, os.X_OK):
        print("bench_guard: %s is not built (make %s)" % (
            a.regload, os.path.relpath(a.regload, TOP)), file=sys.stderr)
        return 2
    base = None
    if os.path.exists(a.baseline) and not a.update:
        with open(a.baseline) as f:
            base = json.load(f)
    mns = a.mns or (base or {}).get("mns", 5000)
    margin = a.margin if a.margin is not None else \
        (base or {}).get("margin", DEFAULT_MARGIN)
    try:
        counts, tool = run_callgrind(a.regload, mns)
    except (RuntimeError, ValueError, KeyError,
            subprocess.TimeoutExpired) as e:
        print("bench_guard: %s" % e, file=sys.stderr)
        return 2
    if not tool.get("callgrind_markers"):
        print("bench_guard: SKIP: pmip-regload was built without "
              "<valgrind/callgrind.h>")
        return 77 if a.strict_skip else 0
    for ph in PHASES:
        if tool["phases"][ph]["accepted"] != mns:
            print("bench_guard: %s: only %d of %d accepted" % (
                ph, tool["phases"][ph]["accepted"], mns), file=sys.stderr)
            return 2
    cur = figures(counts, tool)
    cur["margin"] = margin
    if a.json:
        with open(a.json, "w") as f:
            json.dump(cur, f, indent=2)
            f.write("\n")
    if a.update:
        os.makedirs(os.path.dirname(a.baseline), exist_ok=True)
        with open(a.baseline, "w") as f:
            json.dump(cur, f, indent=2)
            f.write("\n")
        print("bench_guard: baseline written to %s" % a.baseline)
        print(json.dumps(cur, indent=2))
        return 0
    if base is None:
        print("bench_guard: no baseline %s (run with --update)" %
              a.baseline, file=sys.stderr)
        return 2
    if base.get("mns") != mns:
        print("bench_guard: note: baseline measured with %s MNs, this run "
              "%d" % (base.get("mns"), mns))
    print("registration cost, instructions per registration / per "
          "reference round (callgrind, %d MNs, margin %+.0f%%)" %
          (mns, margin * 100))
    print("%-20s %10s %10s %8s %14s" % ("phase", "baseline", "now",
                                         "change", "instr/reg"))
    failed = False
    for ph, b, c, change, bad in compare(cur, base, margin):
        failed |= bad
        print("%-20s %10.4f %10.4f %+7.1f%% %14.0f%s" % (
            ph, b, c, change * 100,
            cur["phases"][ph]["instructions_per_registration"],
            "  REGRESSION" if bad else ""))
    if failed:
        print("bench_guard: FAIL: registration cost grew by more than "
              "%.0f%% (if intended, run analysis/bench_guard.py --update "
              "and commit bench/baseline-registration.json)" %
              (margin * 100))
        return 1
    print("bench_guard: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
