# SPDX-License-Identifier: BSD-2-Clause
"""The MAG-LMA delay stage (testbed/tools/nfdelay.c) on the testbed: a
10 ms one-way delay makes the MAG1 -> LMA RTT ~20 ms, and the MN's
link-triggered registration (link up -> RA with its prefix) takes
RTT(MAG-LMA) + processing, the MN-MAG part being one way (the RA) on a
veth.  Own testbed under a unique prefix, torn down in a finalizer.
"""
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
import pmiptb  # noqa: E402

NFDELAY = os.environ.get("PMIP_NFDELAY", str(TOP / "build" / "pmip-nfdelay"))

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root"),
    pytest.mark.skipif(not os.access(NFDELAY, os.X_OK),
                       reason="build/pmip-nfdelay not built; run make"),
]

DELAY_MS = 10.0
# Tolerances over 2 * DELAY_MS.  The daemons' own work is about a
# millisecond, but on a 2-vCPU machine shared with builds the MAG's
# link event -> PBU step alone took 1-19 ms and the stage wakes up to a
# few ms late (docs/testbed.md, "Delay and loss on the MAG-LMA links").
# The bounds still tell one MAG-LMA round trip (20 ms) from two (40 ms):
# median registration < 2D + 15 ms, each < 2D + 30 ms, each >= 2D.
RTT_TOL_MS = 4.0
REG_TOL_MS = 30.0
REG_MEDIAN_TOL_MS = 15.0


@pytest.fixture
def testbed(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(pmiptb, "STATE_DIR", str(tmp_path))

    def make(letter, **params):
        prefix = "pmip-t%d%s-" % (os.getpid() % 100000, letter)
        tb = pmiptb.Testbed(prefix=prefix, **params)
        made.append(tb)
        return tb

    yield make
    for tb in made:
        tb.down()
        left = [n for n in pmiptb._netns_list() if n.startswith(tb.prefix)]
        assert not left, "namespaces left behind: %s" % left
        assert not any(pmiptb._alive(p) for p in
                       tb.state.get("pids", {}).values())


def ping_rtts(tb, src, dst, count):
    r = subprocess.run(["ip", "netns", "exec", tb.ns(src), "ping", "-6",
                        "-n", "-c", str(count), "-i", "0.02", "-W", "2",
                        dst], stdout=subprocess.PIPE, text=True, timeout=60)
    return [float(x) for x in re.findall(r"time=([0-9.]+) ms", r.stdout)]


def ra_times(tb, i, t0, timeout=5.0):
    """Wall-clock time of the first RA with a prefix option that MN i
    receives after t0, from a raw ICMPv6 socket in its namespace."""
    code = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
TSNS = getattr(socket, "SO_TIMESTAMPNS", 35)   # Linux, x86 and arm
s.setsockopt(socket.SOL_SOCKET, TSNS, 1)
print("ready", flush=True)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        data, anc, _, _ = s.recvmsg(2048, 256)
    except socket.timeout:
        break
    if data[0] != 134:
        continue
    off, pfx = 16, False
    while off + 2 <= len(data) and data[off + 1]:
        pfx |= data[off] == 3
        off += 8 * data[off + 1]
    if not pfx:
        continue
    for lvl, typ, val in anc:
        if typ == TSNS:
            sec, ns = struct.unpack("qq", val[:16])
            print(sec + ns / 1e9, flush=True)
            sys.exit(0)
"""
    return subprocess.Popen(["ip", "netns", "exec", tb.ns("mn%d" % i),
                             sys.executable, "-c", code, str(timeout)],
                            stdout=subprocess.PIPE, text=True)


def test_delay_rtt_and_registration(testbed):
    tb = testbed("d", mag_lma_delay_ms=DELAY_MS)
    tb.up()
    ping_rtts(tb, "mag1", pmiptb.LMA_ADDR, 3)
    rtts = ping_rtts(tb, "mag1", pmiptb.LMA_ADDR, 50)
    assert len(rtts) == 50
    med = statistics.median(rtts)
    assert abs(med - 2 * DELAY_MS) < RTT_TOL_MS, rtts
    assert min(rtts) >= 2 * DELAY_MS - 0.1, rtts
    # MN <-> CN crosses the delayed link through the tunnel both ways.
    mn = ping_rtts(tb, "mn1", pmiptb.CN_ADDR, 5)
    assert mn and min(mn) >= 2 * DELAY_MS - 0.1, mn

    # MAG2 has not talked to the LMA yet: its first PBU would wait for
    # neighbour resolution, one more RTT.  Resolve first.
    ping_rtts(tb, "mag2", pmiptb.LMA_ADDR, 2)
    lat = []
    for target in ("mag2", "mag1", "mag2"):
        tb.detach(1)
        time.sleep(0.3)
        mon = ra_times(tb, 1, 0)
        assert mon.stdout.readline().strip() == "ready"
        tb.attach(1, target)
        out = mon.communicate(timeout=10)[0].split()
        assert out, "no RA with a prefix after attaching to %s" % target
        t0 = tb.state["events"][-1]["t_real_ns"] / 1e9
        lat.append((float(out[0]) - t0) * 1e3)
        pmiptb.wait_until(lambda: tb.mn_has_addr(1), timeout=5)
        time.sleep(0.5)
    tb.close_shells()
    # registration = RTT(MAG-LMA) + one-way MAG -> MN + processing
    for v in lat:
        assert 2 * DELAY_MS - 0.1 <= v < 2 * DELAY_MS + REG_TOL_MS, lat
    assert statistics.median(lat) < 2 * DELAY_MS + REG_MEDIAN_TOL_MS, lat
    bul = tb.ctl("mag2", "bul")
    assert bul, "no BUL entry at mag2"
