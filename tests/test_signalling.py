# SPDX-License-Identifier: BSD-2-Clause
"""RFC 5213 signalling between real daemons on the namespace testbed:
every status code a MAG can provoke, lifetime extension, expiry after
refreshes stop, and Wireshark's reading of the PBUs and PBAs on the wire.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import pmiptb  # noqa: E402
from test_testbed import binding, nsexec, testbed  # noqa: E402,F401

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the testbed needs root")


def pba_status(tb):
    st = tb.ctl("lma", "stats", check=False) or {}
    return {int(k): v for k, v in st.get("pba_status", {}).items()}


def bul(tb, mag, nai="mn1@example.org"):
    j = tb.ctl(mag, "bul", check=False) or {}
    for e in j.get("entries", j.get("bul", [])):
        if e.get("nai", e.get("mn")) == nai:
            return e
    return None


def refused_with(tb, code):
    pmiptb.wait_until(lambda: pba_status(tb).get(code, 0) > 0, timeout=10,
                      what="a PBA with status %d" % code)
    assert tb.mn_has_addr(1) is False or code == 156


def test_154_mag_not_authorised(testbed):
    tb = testbed()
    # The LMA does not list MAG2: a registration through it is refused.
    tb.up(configure=lambda t: t.edit_conf(
        "lma", '},\n\t{ name = "mag2"; address = "%s"; }\n' %
        pmiptb.MAG_ADDR[1], '}\n'))
    tb.move(1, "mag2", gap_ms=50)
    pmiptb.wait_until(lambda: pba_status(tb).get(154, 0) > 0, timeout=10,
                      what="PBA status 154")
    b = binding(tb)
    assert b["state"] == "DEREG"       # MAG1 de-registered, MAG2 refused
    assert (bul(tb, "mag2") or {}).get("state") in ("FAILED", None)
    # Back at MAG1 the session continues.
    tb.move(1, "mag1", gap_ms=50)
    pmiptb.wait_until(lambda: (binding(tb) or {}).get("state") == "ACTIVE",
                      timeout=10, what="registration back at mag1")


def test_152_no_profile_at_the_lma(testbed):
    tb = testbed()
    tb.up(attach=False, configure=lambda t: t.edit_conf(
        "lma", 'id = "mn1@example.org"', 'id = "someone@example.org"'))
    tb.attach(1, "mag1")
    pmiptb.wait_until(lambda: pba_status(tb).get(152, 0) > 0, timeout=10,
                      what="PBA status 152")
    assert binding(tb) is None
    assert not tb.mn_has_addr(1)


def test_153_not_this_lma(testbed):
    tb = testbed()
    # The LMA's own profile says another LMA serves the MN.
    tb.up(attach=False, configure=lambda t: t.edit_conf(
        "lma", 'prefixes = [ "2001:db8:1:1::/64" ];',
        'prefixes = [ "2001:db8:1:1::/64" ]; lma = "2001:db8:ffff::2";'))
    tb.attach(1, "mag1")
    pmiptb.wait_until(lambda: pba_status(tb).get(153, 0) > 0, timeout=10,
                      what="PBA status 153")
    assert binding(tb) is None


LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.mark.skipif(not os.path.exists(LIBFAKETIME),
                    reason="libfaketime is not installed (package faketime)")
def test_156_clock_skew_then_retry(testbed):
    tb = testbed()
    # MAG1's wall clock runs 5 s ahead: its first PBU is outside the
    # TimestampValidityWindow (300 ms); the PBA carries the LMA's time
    # (RFC 5213 section 5.5) and the MAG's retry with it is accepted.
    # env execs pmipd (the faketime wrapper would stay in between as the
    # parent, and the daemon would outlive the SIGTERM sent to its PID).
    skew = ["env", "LD_PRELOAD=" + LIBFAKETIME, "FAKETIME=+5s",
            "FAKETIME_DONT_FAKE_MONOTONIC=1",
            "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0"]
    tb.up(wrap={"mag1": skew})
    st = pba_status(tb)
    assert st.get(156, 0) >= 1 and st.get(0, 0) >= 1, st
    assert binding(tb)["state"] == "ACTIVE"


def test_refresh_then_expiry(testbed):
    tb = testbed(lifetime=4)
    tb.up()
    # The MAG refreshes at 80 % of the 4 s lifetime, and traffic flows
    # through the refresh without a gap (the MN keeps its address: the
    # RAs never advertise the prefix with a lifetime counted down to 0).
    r = nsexec(tb, "cn", "ping", "-6", "-n", "-q", "-i", "0.05", "-c",
               "160", "-W", "1", tb.mn_addr(1), timeout=30, check=False)
    assert " 0% packet loss" in r.stdout, r.stdout
    pmiptb.wait_until(
        lambda: (tb.ctl("lma", "stats")["counters"]["reg_refresh"] >= 1),
        timeout=15, what="a lifetime extension")
    assert binding(tb)["state"] == "ACTIVE"
    # ... and when it dies without de-registering, the binding expires.
    tb.stop_daemon("mag1", sig=signal.SIGKILL)
    pmiptb.wait_until(lambda: binding(tb) is None, timeout=20,
                      what="the binding to expire")
    assert tb.ctl("lma", "stats")["counters"]["bce_expired"] == 1


@pytest.mark.skipif(shutil.which("tshark") is None,
                    reason="tshark is not installed")
def test_wireshark_reads_the_signalling(testbed, tmp_path):
    tb = testbed()
    tb.up()
    pcap = str(tmp_path / "core.pcap")
    cap = subprocess.Popen(["ip", "netns", "exec", tb.ns("lma"), "tcpdump",
                            "-q", "-n", "-U", "--immediate-mode", "-i", "core0",
                            "-w", pcap,
                            "ip6 proto 135"])
    try:
        # tcpdump writes the file header once it captures
        pmiptb.wait_until(lambda: os.path.exists(pcap) and
                          os.path.getsize(pcap) > 0, timeout=10,
                          what="tcpdump to start")
        time.sleep(0.2)
        tb.move(1, "mag2", gap_ms=50)
        pmiptb.wait_until(lambda: (binding(tb) or {}).get("serving_mag") ==
                          pmiptb.MAG_ADDR[1], timeout=10, what="handover")
        tb.move(1, "mag1", gap_ms=50)
        pmiptb.wait_until(lambda: (binding(tb) or {}).get("serving_mag") ==
                          pmiptb.MAG_ADDR[0], timeout=10, what="handover")
        time.sleep(0.3)
    finally:
        cap.send_signal(signal.SIGTERM)
        cap.wait(10)
    r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-E",
                        "separator=|", "-e", "mip6.mhtype", "-e",
                        "mip6.bu.p_flag", "-e", "mip6.ba.p_flag", "-e",
                        "mip6.ba.status", "-e", "mip6.mnid.identifier",
                        "-e", "mip6.nemo.mnp.mnp", "-e", "_ws.malformed",
                        "-e", "_ws.expert"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = [line.split("|") for line in r.stdout.splitlines() if line]
    pbus = [x for x in rows if x[0] == "5"]
    pbas = [x for x in rows if x[0] == "6"]
    # two de-registrations and two registrations, each answered
    assert len(pbus) >= 4 and len(pbas) >= 4, rows
    for x in pbus:
        assert x[1] in ("1", "True"), x
        assert x[4] == "mn1@example.org", x
    for x in pbas:
        assert x[2] in ("1", "True") and x[3] == "0", x
        assert "2001:db8:1:1::" in x[5], x
    for x in rows:
        assert x[6] == "" and x[7] == "", "malformed or expert info: %s" % x
