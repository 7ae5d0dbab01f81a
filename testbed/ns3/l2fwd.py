# SPDX-License-Identifier: BSD-2-Clause
"""Forwards the access points' station events that pmip-ns3-wifi prints
(AP-STA-CONNECTED / AP-STA-DISCONNECTED ap=K sta=MAC t=NS) to MAG K as
`pmipctl l2 attach|detach IFNAME MAC`, the way a hostapd action script
would.  Follows the events file from --offset until terminated; logs each
forward with its delay (event -> pmipctl answered).
"""
import argparse
import signal
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--pmipctl", required=True)
    ap.add_argument("--sock", action="append", default=[],
                    help="K=PATH: the control socket of AP K's MAG")
    ap.add_argument("--ifname", default="a1")
    a = ap.parse_args()
    socks = dict(s.split("=", 1) for s in a.sock)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(a.events) as f:
        f.seek(a.offset)
        buf = ""
        while True:
            chunk = f.readline()
            if not chunk:
                time.sleep(0.002)
                continue
            buf += chunk
            if not buf.endswith("\n"):
                continue
            line, buf = buf.strip(), ""
            w = line.split()
            if not w or w[0] not in ("AP-STA-CONNECTED",
                                     "AP-STA-DISCONNECTED"):
                continue
            kv = dict(x.split("=", 1) for x in w[1:] if "=" in x)
            sock = socks.get(kv.get("ap", ""))
            if not sock:
                continue
            what = "attach" if w[0] == "AP-STA-CONNECTED" else "detach"
            r = subprocess.run([a.pmipctl, "-s", sock, "l2", what,
                                a.ifname, kv["sta"]],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            done = time.time_ns()
            print("%s ap=%s sta=%s t=%s fwd_ms=%.3f rc=%d %s" % (
                what, kv["ap"], kv["sta"], kv.get("t"),
                (done - int(kv.get("t", done))) / 1e6, r.returncode,
                r.stdout.strip()), flush=True)


if __name__ == "__main__":
    main()
