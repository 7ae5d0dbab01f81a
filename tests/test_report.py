# SPDX-License-Identifier: BSD-2-Clause
"""analysis/report.py on the reference capture in captures/reference/:
registration latencies read from a pcap with tshark."""
import json
import shutil
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "analysis"))
import report  # noqa: E402

REF = TOP / "captures" / "reference"

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None,
                                reason="tshark is not installed")


def test_rs_to_ra():
    lat = report.registration_latencies(str(REF / "mn-registration.pcap"))
    # One RS (1795768321.736660) answered by a unicast RA (.736830).
    assert len(lat) == 1
    assert lat[0]["latency_ms"] == pytest.approx(0.170, abs=0.002)


def test_link_up_to_ra():
    events = json.loads((REF / "mn-registration-events.json").read_text())
    att = [e for e in events if e["kind"] == "attach"]
    lat = report.attach_latencies(str(REF / "mn-registration.pcap"), att)
    assert [r["mag"] for r in lat] == ["mag1", "mag2"]
    # The first RA after each attach, from the capture (tcpdump -tt):
    # mag1 at 1795768320.726150, mag2 at 1795768322.396460.
    for r, ra in zip(lat, (1795768320.726150, 1795768322.396460)):
        assert r["ra_s"] == pytest.approx(ra, abs=1e-6)
        assert 0 < r["latency_ms"] < 50


def _write_pcap(path, records):
    """A minimal Ethernet pcap of IPv6 frames: records = [(time_s, ip6)]."""
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, ip6 in records:
            fr = b"\x02" * 12 + b"\x86\xdd" + ip6
            f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)),
                                len(fr), len(fr)))
            f.write(fr)


def _udp6(dst, port, outer=None):
    import ipaddress
    d = ipaddress.IPv6Address(dst).packed
    udp = b"\x13\x88" + port.to_bytes(2, "big") + b"\x00\x10\x00\x00" + \
        b"\x00" * 8
    ip = b"\x60\x00\x00\x00" + len(udp).to_bytes(2, "big") + b"\x11\x40" + \
        b"\x00" * 16 + d + udp
    if outer:
        o = ipaddress.IPv6Address(outer).packed
        ip = b"\x60\x00\x00\x00" + len(ip).to_bytes(2, "big") + \
            b"\x29\x40" + b"\x00" * 16 + o + ip
    return ip


def test_buffer_occupancy_from_the_wire(tmp_path):
    mn = "2001:db8:1:1::1"
    # Into the LMA at 0, 1, 2, 3 ms; out (tunnelled) at 0.5 ms, then the
    # other three only at 10-12 ms (held), plus a packet to another port.
    _write_pcap(tmp_path / "lma-cn0.pcap",
                [(100.000, _udp6(mn, 5001)), (100.001, _udp6(mn, 5001)),
                 (100.002, _udp6(mn, 5001)), (100.003, _udp6(mn, 5001)),
                 (100.004, _udp6(mn, 9999))])
    _write_pcap(tmp_path / "lma-core0.pcap",
                [(100.0005, _udp6(mn, 5001, "2001:db8:ffff::11")),
                 (100.010, _udp6(mn, 5001, "2001:db8:ffff::12")),
                 (100.011, _udp6(mn, 5001, "2001:db8:ffff::12")),
                 (100.012, _udp6(mn, 5001, "2001:db8:ffff::12"))])
    occ = report.buffer_occupancy(str(tmp_path), mn, 5001, bin_ms=5)
    # per 5 ms bin, the most packets inside at any moment: 3 while held,
    # still 3 when the release starts at 10 ms, then none
    assert [o["packets"] for o in occ] == [3, 3, 3, 0]
    assert [o["t_s"] for o in occ] == [0.0, 0.005, 0.01, 0.015]
