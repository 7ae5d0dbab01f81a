# SPDX-License-Identifier: BSD-2-Clause
"""The ns-3 Wi-Fi access links ([topology] access = "ns3-wifi"): the MN
is an 802.11 station, MAG1 and MAG2 are each behind an access point in
ns-3 (real time, joined to the namespaces by TapBridge).  The station
registers at MAG1 through AP1's association report, moves into AP2's
range, re-associates there, is registered by MAG2 (trigger "ap") and
traffic CN <-> MN resumes.

Skipped when ns-3 is not installed (scripts/install-ns3.sh, then make).
"""
import glob
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
import pmiptb  # noqa: E402

NS3_WIFI = os.environ.get("PMIP_NS3_WIFI",
                          str(TOP / "build" / "pmip-ns3-wifi"))


def _ns3_missing():
    if os.geteuid() != 0:
        return "the testbed needs root"
    if not os.access(NS3_WIFI, os.X_OK):
        return ("ns-3 not installed (%s missing): run scripts/install-ns3.sh, "
                "then make" % NS3_WIFI)
    if not glob.glob("/build/*/ns3-*/ns-3.*/build/src/tap-bridge/"
                     "ns3.*-tap-creator"):
        return ("ns-3's tap-creator is not at its build-time path: run "
                "scripts/install-ns3.sh")
    return None


pytestmark = pytest.mark.skipif(_ns3_missing() is not None,
                                reason=_ns3_missing() or "")

_seq = [0]


@pytest.fixture
def testbed(tmp_path, monkeypatch, request):
    made = []
    monkeypatch.setattr(pmiptb, "STATE_DIR", str(tmp_path))
    monkeypatch.setenv("PMIP_NS3_WIFI", NS3_WIFI)

    def make(**params):
        _seq[0] += 1
        prefix = "pmip-t%d%s-" % (os.getpid() % 100000,
                                  chr(ord("n") + _seq[0] % 12))
        params.setdefault("log_level", "debug")
        tb = pmiptb.Testbed(prefix=prefix, **params)
        made.append(tb)
        return tb

    yield make
    for tb in made:
        failed = getattr(getattr(request.node, "rep_call", None), "failed",
                         False)
        if failed:
            for f in ("mag1.log", "mag2.log", "ns3-wifi.out",
                      "ns3-wifi.log", "l2fwd.log"):
                p = os.path.join(tb.dir, f)
                if os.path.exists(p):
                    print("==== %s" % f)
                    print(open(p).read()[-4000:])
        tb.down()
        left = [n for n in pmiptb._netns_list() if n.startswith(tb.prefix)]
        assert not left, "namespaces left behind: %s" % left


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def ping(tb, src, dst, count=3):
    r = subprocess.run(["ip", "netns", "exec", tb.ns(src), "ping", "-6",
                        "-n", "-c", str(count), "-i", "0.05", "-W", "1",
                        dst], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    return r.returncode == 0


def bul_entry(tb, mag, nai="mn1@example.org"):
    bul = tb.ctl(mag, "bul", check=False) or {}
    for e in bul.get("entries", bul.get("bul", [])):
        if e.get("nai") == nai or e.get("mn") == nai:
            return e
    return None


def test_wifi_handover(testbed):
    tb = testbed(access="ns3-wifi")
    tb.up(timeout=20)
    # Registered at MAG1 on AP1's association report.
    e = bul_entry(tb, "mag1")
    assert e and e["state"] == "REGISTERED" and e["trigger"] == "ap", e
    assert ping(tb, "cn", tb.mn_addr(1))

    t0 = time.monotonic()
    tb.move(1, "mag2")
    pmiptb.wait_until(lambda: (bul_entry(tb, "mag2") or {}).get("state")
                      == "REGISTERED", timeout=10,
                      what="MAG2 to register the MN")
    t_reg = time.monotonic() - t0
    e = bul_entry(tb, "mag2")
    assert e["trigger"] == "ap", e
    # MAG1 learnt of the departure from the AP (or its own probes).
    pmiptb.wait_until(lambda: bul_entry(tb, "mag1") is None, timeout=10,
                      what="MAG1 to de-register the MN")
    pmiptb.wait_until(lambda: ping(tb, "cn", tb.mn_addr(1), count=2),
                      timeout=10, interval=0.1,
                      what="traffic CN -> MN through MAG2")
    assert ping(tb, "mn1", pmiptb.CN_ADDR)

    ev = tb.l2_events()
    kinds = [(x["kind"], x["ap"]) for x in ev]
    assert ("connected", 1) in kinds and ("disconnected", 1) in kinds
    assert kinds[-1] == ("connected", 2), kinds
    print("\nns-3 Wi-Fi handover: move -> MAG2 REGISTERED %.0f ms; "
          "events %s" % (t_reg * 1000, kinds))


def test_wifi_handover_frame_fallback(testbed):
    """No association reports (ns3_l2_events = False): the MN registers
    at MAG1 by its RS; after the move, the MN's own data frames (a ping
    running to the CN) make MAG2 register it (trigger "frame"); MAG1
    detaches it by NUD."""
    tb = testbed(access="ns3-wifi", ns3_l2_events=False)
    tb.up(timeout=30)
    e = bul_entry(tb, "mag1")
    assert e and e["state"] == "REGISTERED" and e["trigger"] == "rs", e
    assert ping(tb, "cn", tb.mn_addr(1))

    p = subprocess.Popen(["ip", "netns", "exec", tb.ns("mn1"), "ping", "-6",
                          "-n", "-i", "0.02", "-w", "15", pmiptb.CN_ADDR],
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        tb.move(1, "mag2")
        pmiptb.wait_until(lambda: (bul_entry(tb, "mag2") or {}).get("state")
                          == "REGISTERED", timeout=10, interval=0.01,
                          what="MAG2 to register the MN from its frames")
        t_reg = time.monotonic() - t0
    finally:
        p.terminate()
        p.wait()
    e = bul_entry(tb, "mag2")
    assert e["trigger"] == "frame", e
    st = tb.ctl("mag2", "stats")
    flat = json_find(st, "frame_attach")
    assert flat and flat >= 1, st
    pmiptb.wait_until(lambda: bul_entry(tb, "mag1") is None, timeout=15,
                      what="MAG1 to detach the MN (NUD)")
    pmiptb.wait_until(lambda: ping(tb, "cn", tb.mn_addr(1), count=2),
                      timeout=10, interval=0.1,
                      what="traffic CN -> MN through MAG2")
    assert (bul_entry(tb, "mag2") or {}).get("trigger") == "frame"
    print("\nns-3 Wi-Fi handover, frame trigger: move -> MAG2 REGISTERED "
          "%.0f ms" % (t_reg * 1000))


def json_find(o, key):
    if isinstance(o, dict):
        if key in o:
            return o[key]
        for v in o.values():
            r = json_find(v, key)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = json_find(v, key)
            if r is not None:
                return r
    return None
