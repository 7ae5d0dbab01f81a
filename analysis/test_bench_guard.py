# SPDX-License-Identifier: BSD-2-Clause
"""The registration cost guard: its comparison, and a run against the
kept baseline (skipped without valgrind or pmip-regload)."""
import copy
import json
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_guard  # noqa: E402

REGLOAD = os.environ.get("PMIP_REGLOAD",
                         os.path.join(bench_guard.TOP, "build",
                                      "pmip-regload"))


def baseline():
    with open(bench_guard.BASELINE) as f:
        return json.load(f)


def test_compare_flags_only_growth_beyond_margin():
    base = baseline()
    cur = copy.deepcopy(base)
    assert not any(r[4] for r in bench_guard.compare(cur, base, 0.25))
    ph = cur["phases"]["first_registration"]
    ph["ratio_to_reference"] = round(ph["ratio_to_reference"] * 1.2, 4)
    assert not any(r[4] for r in bench_guard.compare(cur, base, 0.25))
    ph["ratio_to_reference"] = round(
        base["phases"]["first_registration"]["ratio_to_reference"] * 1.3, 4)
    rows = bench_guard.compare(cur, base, 0.25)
    assert [r[0] for r in rows if r[4]] == ["first_registration"]


@pytest.mark.skipif(shutil.which("valgrind") is None,
                    reason="valgrind is not installed")
@pytest.mark.skipif(not os.access(REGLOAD, os.X_OK),
                    reason="pmip-regload is not built")
def test_registration_cost_within_baseline(capsys):
    rc = bench_guard.main(["--regload", REGLOAD])
    out = capsys.readouterr().out
    print(out)
    assert rc == 0, out
