# SPDX-License-Identifier: BSD-2-Clause
"""LMA handover buffering end to end: a short handover run through the
scenario runner on its own testbed (unique namespace prefix, torn down
at the end), UDP at 1000 packets/s with a 100 ms gap: no downlink
packet may be reordered or duplicated, every packet buffered must be
released, and only the packets already on their way over the old access
link when it went down (or through the old MAG in the millisecond before
the LMA took its de-registration) may be lost.  That depends on how
fast the old MAG and the LMA get the CPU: typically 1 to 3 per handover
on an idle machine, more on a loaded one.  The test allows 10 per
handover, a tenth of the 100 that the gap costs without buffering.

The same run with the MAG-side step (return_to_lma: the old MAG holds
what still reaches it and returns it to the LMA once the de-registration
is acknowledged; the LMA queues those ahead) must keep the same
guarantees: nothing reordered or duplicated, everything released; and
when the access point announces the departure to the MAG before the
link goes (departure = "announced"), nothing may be lost at all.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
import pmiptb  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the testbed needs root")

SCENARIO = """
name = "buffering-test"
description = "test: buffering on, 1000 packets/s, 100 ms gap"
[topology]
mns = 1
backend = "kernel"
buffering = true
return_to_lma = %(ret)s
departure = "%(departure)s"
[traffic]
udp_rate = 1000
udp_size = 200
tcp = false
[handover]
count = 2
gap_ms = 100
dwell_s = 1.0
warmup_s = 1.0
tail_s = 1.0
"""


@pytest.mark.parametrize("ret,departure", [("false", "abrupt"),
                                           ("true", "abrupt"),
                                           ("true", "announced")])
def test_buffered_handover_loses_nothing(tmp_path, ret, departure):
    prefix = "pmip-b%d%s%s-" % (os.getpid() % 100000, ret[0], departure[0])
    sc = tmp_path / "buffering.toml"
    sc.write_text(SCENARIO % {"ret": ret, "departure": departure})
    try:
        r = subprocess.run(
            [sys.executable, str(TOP / "scenarios" / "run.py"), "--json",
             "--prefix", prefix,
             str(sc)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            timeout=300)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        res = json.loads(r.stdout)
    finally:
        try:
            pmiptb.Testbed.load(prefix).down()
        except FileNotFoundError:
            pass
    left = [n for n in pmiptb._netns_list() if n.startswith(prefix)]
    assert not left, "namespaces left behind: %s" % left

    down = res["udp"]["down"][0]
    assert down["sent"] > 1500
    if ret == "true" and departure == "announced":
        # The MAG knows the MN has left before the link goes: with the
        # LMA's buffer and the MAG-side step nothing may be lost.
        assert down["lost"] == 0, down
    else:
        assert down["lost"] <= 10 * 2, down
    assert down["reordered"] == 0, down
    assert down["duplicates"] == 0, down
    b = res["buffers"]
    assert b is not None
    t = b["totals"]
    # Both moves buffered, and every buffered packet was released.
    assert t["buffered"] > 0
    assert t["released"] == t["buffered"]
    for k in ("dropped_cap", "dropped_global", "dropped_age",
              "dropped_never_returned", "dropped_send"):
        assert t[k] == 0, (k, t)
    assert t["memory_bytes"] == 0
    assert 0 < t["peak_memory_bytes"] <= t["global_max_bytes"]
    assert b["buffers"][0]["episodes"] >= 2
