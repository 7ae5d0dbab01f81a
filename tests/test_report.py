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
