# SPDX-License-Identifier: BSD-2-Clause
"""Hostile input and crashes, with the real daemons on the testbed (the
sanitizer builds under make test): garbage from a peer never stops a
daemon, and a daemon killed with SIGKILL leaves nothing behind once it
has been started again and stopped."""
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import pmiptb  # noqa: E402
from test_testbed import binding, nsexec, ping, testbed  # noqa: E402,F401

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the testbed needs root")

SENDER = r"""
import random, socket, sys
proto, dst, n, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, proto)
if len(sys.argv) > 5:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[5].encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
base = bytes.fromhex(sys.argv[6]) if len(sys.argv) > 6 else b""
for i in range(n):
    if base and rnd.random() < 0.7:
        b = bytearray(base)
        for _ in range(rnd.randint(1, 4)):           # flip a few bytes
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        b = bytes(b[:rnd.randint(1, len(b))]) if rnd.random() < 0.3 else bytes(b)
    else:
        b = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 300)))
    try:
        s.sendto(b, (dst, 0))
    except OSError:
        pass
"""

# A PBU as pmipd's MAG sends it (a de-registration, from a testbed
# capture), the base for mutations: MH header, BU fields, MN-ID, HNP, HI,
# ATT, MN-LL-ID, link-local address and timestamp options.
PBU_HEX = ("3b0d0500f8e70002c20000000810016d6e31406578616d706c652e6f7267"
           "0104000000001612004020010db8000100010000000000000000170200041802"
           "000419080000020000000001010200001a10fe8000000000000002005efffe00"
           "521301001b0800006b093ef0dc9801020000")


def test_garbage_never_stops_the_daemons(testbed):
    tb = testbed()
    tb.up()
    before = tb.ctl("lma", "stats")["counters"]
    # 3000 Mobility Headers at the LMA from MAG1's address: random bytes
    # and mutated PBUs (flipped bytes, truncations).
    nsexec(tb, "mag1", "/usr/bin/python3", "-c", SENDER, "135",
           pmiptb.LMA_ADDR, "3000", "1", "core0", PBU_HEX, timeout=120)
    # 3000 ICMPv6 messages at MAG1 on the MN's access link.
    nsexec(tb, "mn1", "/usr/bin/python3", "-c", SENDER, "58", "ff02::2",
           "3000", "2", "mn0", "85000000000000000101020000000001",
           timeout=120)
    # Everything is still up and working.
    st = tb.ctl("lma", "stats")["counters"]
    assert st["rx_mh"] - before["rx_mh"] >= 2500
    assert st["rx_malformed"] > before["rx_malformed"]
    assert tb.ctl("mag1", "status")["role"] == "mag"
    mag = tb.ctl("mag1", "stats")
    assert mag, "no stats from mag1"
    b = binding(tb)
    assert b is not None and b["state"] == "ACTIVE"
    assert ping(tb, "cn", tb.mn_addr(1))
    for node in ("lma", "mag1", "mag2"):
        assert pmiptb._alive(tb.state["pids"][node]), node


def _ours(tb, node):
    """What pmipd's kernel data plane marks as its own in a namespace."""
    routes = nsexec(tb, node, "ip", "-6", "route", "show", "table", "all",
                    "proto", "213").stdout.strip()
    rules = [r for r in nsexec(tb, node, "ip", "-6", "rule").stdout
             .splitlines() if "proto 213" in r]
    links = [x for x in nsexec(tb, node, "ip", "-o", "link").stdout
             .splitlines() if ": pmip-" in x]
    return routes, rules, links


def test_sigkill_then_restart_cleans_up(testbed):
    tb = testbed(backend="kernel")
    tb.up()
    for node in ("lma", "mag1"):
        routes, rules, _ = _ours(tb, node)
        assert routes and rules, "%s: nothing installed?" % node
        tb.stop_daemon(node, sig=signal.SIGKILL)
        routes, rules, _ = _ours(tb, node)
        assert routes, "%s: SIGKILL should leave the state in place" % node
    # Restarted, each daemon removes what the killed one left behind;
    # stopped cleanly, it leaves nothing.
    tb.detach(1)
    for node in ("lma", "mag1"):
        tb.start_daemon(node)
    for node in ("lma", "mag1"):
        assert tb.stop_daemon(node, sig=signal.SIGTERM) == 0
        routes, rules, links = _ours(tb, node)
        assert (routes, rules, links) == ("", [], []), node
        local = nsexec(tb, node, "ip", "-6", "rule").stdout
        assert local.startswith("0:\tfrom all lookup local"), local
