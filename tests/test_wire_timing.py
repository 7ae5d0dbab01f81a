# SPDX-License-Identifier: BSD-2-Clause
"""The daemons' per-step timers against the same steps on the wire.

Builds its own short testbed run (analysis/wire_timing.capture_run:
three MNs register one after the other, each gets a lifetime extension,
then each hands over twice) under a unique namespace prefix, reads the
pcaps with tshark and asks, per step, that the wire median is no more
than TOLERANCE["below_us"] under the daemon's median (tcpdump stamps an
outgoing packet inside sendmsg, a little before the daemon's clock stops)
and no more than TOLERANCE["above_us"] (link-triggered MAG steps:
"link_above_us") over it: receive path and wake-up latency.  See
docs/figures.md.
"""
import os
import shutil
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
sys.path.insert(0, str(TOP / "analysis"))
import pmiptb  # noqa: E402
import wire_timing  # noqa: E402

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root"),
    pytest.mark.skipif(shutil.which("tshark") is None,
                       reason="tshark is not installed"),
    pytest.mark.skipif(shutil.which("tcpdump") is None,
                       reason="tcpdump is not installed"),
]


def test_wire_timing_agrees_with_daemon_timing(tmp_path, monkeypatch):
    monkeypatch.setattr(pmiptb, "STATE_DIR", str(tmp_path / "state"))
    prefix = "pmip-t%dw-" % (os.getpid() % 100000)
    run = tmp_path / "run"
    try:
        wire_timing.capture_run(str(run), prefix=prefix, mns=3, moves=2)
    finally:
        left = [n for n in pmiptb._netns_list() if n.startswith(prefix)]
        assert not left, "namespaces left behind: %s" % left
    res = wire_timing.analyze(str(run))
    print(wire_timing.table(res))
    lma = res["lma"]
    # Every exchange the LMA timed is on the wire, classified alike.
    for step in ("pbu_to_pba_first_registration",
                 "pbu_to_pba_lifetime_extension",
                 "pbu_to_pba_handover", "pbu_to_pba_deregistration"):
        assert lma[step]["wire_count"] >= 3, step
        assert lma[step]["wire_count"] == lma[step]["daemon_count"], step
    checked = wire_timing.check(res)
    steps = {(n, s) for n, s, *_ in checked}
    assert ("mag1", "pba_to_ra_registration") in steps
    assert ("mag1", "trigger_to_pbu") in steps
    bad = ["%s %s: %s" % (n, s, why) for n, s, _x, ok, why in checked
           if not ok]
    assert not bad, "\n".join(bad)
