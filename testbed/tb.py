#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Build, inspect and tear down the pmipd namespace testbed.

  tb.py up [--mns N] [--backend auto|kernel|user] [--buffering]
  tb.py down            remove everything "up" made (safe to run twice)
  tb.py status          daemons, attachments, bindings
  tb.py move MN MAG [--gap MS]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pmiptb  # noqa: E402


def cmd_up(a):
    tb = pmiptb.Testbed(prefix=a.prefix, mns=a.mns, backend=a.backend,
                        buffering=a.buffering)
    tb.up()
    print("testbed up: %d mobile node(s) attached to mag1; state in %s" %
          (a.mns, tb.dir))
    for i in range(1, a.mns + 1):
        print("  MN %d: %s (%s)" % (i, tb.mn_addr(i), pmiptb.mn_nai(i)))
    print("  CN: %s   LMA: %s   MAGs: %s" % (pmiptb.CN_ADDR,
                                            pmiptb.LMA_ADDR,
                                            ", ".join(pmiptb.MAG_ADDR)))


def cmd_down(a):
    try:
        tb = pmiptb.Testbed.load(a.prefix)
    except FileNotFoundError:
        tb = pmiptb.Testbed(prefix=a.prefix)
    tb.down()
    print("testbed down")


def cmd_status(a):
    tb = pmiptb.Testbed.load(a.prefix)
    out = {"params": tb.p, "attached": tb.state["attached"],
           "daemons": {}}
    for node, pid in tb.state["pids"].items():
        out["daemons"][node] = {"pid": pid, "alive": pmiptb._alive(pid)}
    if a.json:
        out["lma_bindings"] = tb.ctl("lma", "bc", check=False)
        print(json.dumps(out, indent=1))
        return
    print(json.dumps(out, indent=1))
    print(tb.ctl("lma", "bc", json_out=False, check=False) or "")


def cmd_move(a):
    tb = pmiptb.Testbed.load(a.prefix)
    tb.move(a.mn, a.mag, a.gap)
    tb.close_shells()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", default=pmiptb.DEFAULTS["prefix"])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up")
    p.add_argument("--mns", type=int, default=1)
    p.add_argument("--backend", default="auto",
                   choices=["auto", "kernel", "user"])
    p.add_argument("--buffering", action="store_true")
    p.set_defaults(fn=cmd_up)
    p = sub.add_parser("down")
    p.set_defaults(fn=cmd_down)
    p = sub.add_parser("status")
    p.add_argument("-j", "--json", action="store_true")
    p.set_defaults(fn=cmd_status)
    p = sub.add_parser("move")
    p.add_argument("mn", type=int)
    p.add_argument("mag", choices=["mag1", "mag2"])
    p.add_argument("--gap", type=int, default=0, help="ms")
    p.set_defaults(fn=cmd_move)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("tb.py: the testbed needs root (network namespaces)")
    try:
        a.fn(a)
    except pmiptb.TestbedError as e:
        sys.exit("tb.py: %s" % e)


if __name__ == "__main__":
    main()
