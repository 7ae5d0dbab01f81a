# SPDX-License-Identifier: BSD-2-Clause
"""Unit tests of analysis/flows.py on synthetic pmip-udpflow logs.

    /usr/bin/python3 -m pytest -q analysis/test_flows.py
"""

import errno
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flows  # noqa: E402

MS = 1_000_000
T0 = 5_000 * MS          # CLOCK_MONOTONIC of seq 0's send
DELAY = MS // 10         # 0.1 ms one-way delay


def tx_time(seq):
    return T0 + seq * MS  # 1000 packets/s


def rx_line(seq, flow=0, delay=DELAY, rx=None, length=64):
    tx = tx_time(seq)
    return (flow, seq, tx, tx + delay if rx is None else rx, length)


def write_recv(path, lines):
    with open(path, "w") as f:
        f.write("flow,seq,tx_ns,rx_ns,len\n")
        for ln in lines:
            f.write("%d,%d,%d,%d,%d\n" % ln)
    return flows.load_recv_log(str(path))


def write_send(path, n, flow=0, errors=()):
    errors = dict(errors)
    with open(path, "w") as f:
        f.write("flow,seq,sched_ns,tx_ns,err\n")
        for s in range(n):
            f.write("%d,%d,%d,%d,%d\n" % (flow, s, tx_time(s), tx_time(s),
                                          errors.get(s, 0)))
    return flows.load_send_log(str(path))


def test_clean_flow(tmp_path):
    rx = write_recv(tmp_path / "r.csv", [rx_line(s) for s in range(1000)])
    s = flows.summarize(rx)[0]
    assert (s["sent"], s["received"], s["lost"]) == (1000, 1000, 0)
    assert s["duplicates"] == 0 and s["reordered"] == 0
    assert s["interval_ms"] == pytest.approx(1.0)
    assert s["tx_rate_pps"] == pytest.approx(1000.0)
    assert s["rx_rate_pps"] == pytest.approx(1000.0)
    assert s["delay"]["median_ms"] == pytest.approx(0.1)
    assert s["delay"]["p99_ms"] == pytest.approx(0.1)
    assert s["throughput"] == [100] * 10
    assert s["gaps"] == []


def test_loss_makes_a_gap(tmp_path):
    lines = [rx_line(s) for s in range(100) if not 10 <= s < 20]
    s = flows.summarize(write_recv(tmp_path / "r.csv", lines))[0]
    assert (s["sent"], s["unique"], s["lost"]) == (100, 90, 10)
    assert s["loss_ratio"] == pytest.approx(0.1)
    [g] = s["gaps"]
    assert g["last_before"]["seq"] == 9 and g["first_after"]["seq"] == 20
    assert g["duration_ms"] == pytest.approx(11.0)
    assert g["missing"] == 10
    assert g["sender_stall_ms"] == 0


def test_loss_at_the_end_is_invisible_without_send_log(tmp_path):
    rx = write_recv(tmp_path / "r.csv", [rx_line(s) for s in range(90)])
    tx = write_send(tmp_path / "s.csv", 100)
    assert flows.counts(rx)["lost"] == 0
    c = flows.counts(rx, tx)
    assert (c["sent"], c["lost"], c["send_errors"]) == (100, 10, 0)


def test_duplicates(tmp_path):
    lines = [rx_line(s) for s in range(50)]
    lines.insert(30, rx_line(5, rx=tx_time(29) + 2 * DELAY))
    lines.append(rx_line(49, rx=tx_time(49) + 3 * DELAY))
    s = flows.summarize(write_recv(tmp_path / "r.csv", lines))[0]
    assert (s["received"], s["unique"], s["duplicates"]) == (52, 50, 2)
    assert s["lost"] == 0 and s["reordered"] == 0


def test_reordering(tmp_path):
    lines = [rx_line(s) for s in range(20)]
    # 8 overtakes 7; 15 arrives after 16 and 17.
    lines[7], lines[8] = lines[8], lines[7]
    lines[15:18] = [lines[16], lines[17], lines[15]]
    rx = write_recv(tmp_path / "r.csv", lines)
    c = flows.counts(rx)
    assert c["reordered"] == 2
    assert c["lost"] == 0 and c["duplicates"] == 0


def test_multiple_flows(tmp_path):
    lines = []
    for s in range(200):
        lines.append(rx_line(s, flow=1))
        if s % 10 != 0:
            lines.append(rx_line(s, flow=7, delay=2 * DELAY))
    summ = flows.summarize(write_recv(tmp_path / "r.csv", lines))
    assert sorted(summ) == [1, 7]
    assert summ[1]["lost"] == 0 and summ[1]["unique"] == 200
    assert summ[7]["lost"] == 20
    assert summ[7]["delay"]["median_ms"] == pytest.approx(0.2)
    assert summ[1]["gaps"] == [] and summ[7]["gaps"] == []


def test_empty_logs(tmp_path):
    (tmp_path / "zero.csv").write_text("")
    assert flows.load_recv_log(str(tmp_path / "zero.csv")) == []
    assert flows.load_send_log(str(tmp_path / "zero.csv")) == []
    rx = write_recv(tmp_path / "r.csv", [])
    assert rx == []
    assert flows.summarize(rx) == {}
    s = flows.summarize_flow(rx)
    assert (s["sent"], s["received"], s["lost"]) == (0, 0, 0)
    assert s["loss_ratio"] is None
    assert s["delay"]["median_ms"] is None
    assert s["throughput"] == [] and s["gaps"] == []
    assert flows.handover_interruption([T0], rx)[0]["interruption_ms"] \
        is None


def test_send_log_only_flow_is_all_lost(tmp_path):
    tx = write_send(tmp_path / "s.csv", 10, flow=3)
    s = flows.summarize([], tx)[3]
    assert (s["sent"], s["received"], s["lost"]) == (10, 0, 10)


def test_send_errors_are_not_network_loss(tmp_path):
    errs = {s: errno.ENETUNREACH for s in range(40, 50)}
    lines = [rx_line(s) for s in range(100) if not 40 <= s < 55]
    rx = write_recv(tmp_path / "r.csv", lines)
    tx = write_send(tmp_path / "s.csv", 100, errors=errs)
    c = flows.counts(rx, tx)
    assert (c["sent"], c["send_errors"], c["lost"]) == (90, 10, 5)
    assert c["send_errno"] == {"ENETUNREACH": 10}
    [h] = flows.handover_interruption([tx_time(42)], rx, tx)
    assert h["gap"] and h["lost"] == 15
    assert (h["not_sent"], h["lost_in_network"]) == (10, 5)
    assert h["interruption_ms"] == pytest.approx(16.0)


def test_sender_stall_is_attributed(tmp_path):
    # The sender was descheduled 20 ms after seq 49: nothing missing.
    lines = [rx_line(s) for s in range(50)]
    lines += [(0, s, tx_time(s) + 20 * MS, tx_time(s) + 20 * MS + DELAY, 64)
              for s in range(50, 100)]
    s = flows.summarize(write_recv(tmp_path / "r.csv", lines), rate=1000)[0]
    [g] = s["gaps"]
    assert g["missing"] == 0
    assert g["duration_ms"] == pytest.approx(21.0)
    assert g["sender_stall_ms"] == pytest.approx(20.0)


def test_gap_threshold_k(tmp_path):
    # One packet lost: a 2-interval gap, over K=1.5 but not over K=3.
    lines = [rx_line(s) for s in range(20) if s != 10]
    rx = write_recv(tmp_path / "r.csv", lines)
    assert flows.gaps(rx, MS, k=3) == []
    assert len(flows.gaps(rx, MS, k=1.5)) == 1


def test_handover_interruption_overlapping_gap(tmp_path):
    lines = [rx_line(s) for s in range(300) if not 100 <= s < 150]
    rx = write_recv(tmp_path / "r.csv", lines)
    # Events: inside the gap, and late in the flow with no gap after it.
    evs = [{"name": "mag1->mag2", "t_ns": tx_time(120)}, tx_time(250)]
    h1, h2 = flows.handover_interruption(evs, rx)
    assert h1["name"] == "mag1->mag2" and h1["gap"]
    assert h1["interruption_ms"] == pytest.approx(51.0)
    assert h1["last_before"]["seq"] == 99
    assert h1["first_after"]["seq"] == 150
    assert h1["lost"] == 50 and h1["delayed"] == 0
    assert not h2["gap"]
    assert h2["interruption_ms"] == pytest.approx(1.0)
    assert h2["lost"] == 0


def test_handover_gap_shortly_after_event(tmp_path):
    # The handover is triggered 30 ms before packets stop arriving.
    lines = [rx_line(s) for s in range(300) if not 100 <= s < 120]
    rx = write_recv(tmp_path / "r.csv", lines)
    [h] = flows.handover_interruption([tx_time(70)], rx)
    assert h["gap"] and h["lost"] == 20
    assert h["interruption_ms"] == pytest.approx(21.0)
    # Outside the window the gap is not this handover's.
    [h] = flows.handover_interruption([tx_time(70)], rx, window_ms=10)
    assert not h["gap"] and h["lost"] == 0


def test_handover_buffered_packets_are_delayed_not_lost(tmp_path):
    # Packets 100..149 are held 60 ms and released in a burst.
    release = tx_time(160)
    lines = []
    for s in range(300):
        if 100 <= s < 150:
            lines.append(rx_line(s, rx=release + (s - 100) * 10_000))
        elif 150 <= s < 160:
            continue  # these queue behind the burst and come just after it
        else:
            lines.append(rx_line(s))
    lines += [rx_line(s, rx=release + 600_000 + s) for s in range(150, 160)]
    lines.sort(key=lambda x: x[3])
    rx = write_recv(tmp_path / "r.csv", lines)
    [h] = flows.handover_interruption([tx_time(110)], rx, rate=1000)
    assert h["gap"]
    assert h["lost"] == 0
    assert h["first_after"]["seq"] == 100
    assert h["interruption_ms"] == pytest.approx(61.0 - 0.1, abs=0.01)
    # 100..149 and 150..157; 158 and 159 are late by less than K = 3
    # intervals over the median delay.
    assert h["delayed"] == 58


def test_load_events_formats(tmp_path):
    p = tmp_path / "e.json"
    p.write_text(json.dumps([123, {"t_ns": 456, "name": "back"}]))
    assert flows.load_events(str(p)) == [
        {"name": "handover 1", "t_ns": 123}, {"name": "back", "t_ns": 456}]
    p.write_text(json.dumps({"events": [{"monotonic_ns": 7}]}))
    assert flows.load_events(str(p)) == [{"name": "handover 1", "t_ns": 7}]
    p.write_text(json.dumps([{"when": 1}]))
    with pytest.raises(ValueError):
        flows.load_events(str(p))


def test_minimal_send_log_columns(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("seq,tx_ns\n0,10\n1,20\n")
    assert flows.load_send_log(str(p)) == [flows.Tx(0, 0, 10, 10, 0),
                                           flows.Tx(0, 1, 20, 20, 0)]
    p.write_text("seq,when\n0,10\n")
    with pytest.raises(ValueError):
        flows.load_send_log(str(p))


def test_percentile_nearest_rank():
    v = list(range(1, 101))
    assert flows.percentile(v, 50) == 50
    assert flows.percentile(v, 99) == 99
    assert flows.percentile(v, 100) == 100
    assert flows.percentile([7], 99) == 7
    assert flows.percentile([], 50) is None


def test_throughput_bins():
    rx = [flows.Rx(0, s, 0, s * 10 * MS, 64) for s in range(25)]
    assert flows.throughput(rx, bin_ms=100) == [10, 10, 5]
    assert flows.throughput(rx, bin_ms=50, t0=-50 * MS) == \
        [0, 5, 5, 5, 5, 5]


def test_cli_table_and_json(tmp_path, capsys):
    lines = [rx_line(s) for s in range(100) if not 10 <= s < 20]
    write_recv(tmp_path / "r.csv", lines)
    write_send(tmp_path / "s.csv", 100, errors={10: errno.EHOSTUNREACH})
    (tmp_path / "e.json").write_text(json.dumps([tx_time(15)]))
    args = [str(tmp_path / "r.csv"), "--send-log", str(tmp_path / "s.csv"),
            "--events", str(tmp_path / "e.json")]
    assert flows.main(args) == 0
    out = capsys.readouterr().out
    assert "EHOSTUNREACH 1" in out and "gap 11.000 ms" in out
    assert "interruption ms" in out
    assert flows.main(args + ["--json", "--rate", "1000"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["flows"]["0"]["lost"] == 9
    assert j["flows"]["0"]["send_errors"] == 1
    [h] = j["handovers"]["0"]
    assert h["interruption_ms"] == pytest.approx(11.0)
    assert (h["lost"], h["not_sent"], h["lost_in_network"]) == (10, 1, 9)


def test_cli_errors(tmp_path, capsys):
    assert flows.main([str(tmp_path / "missing.csv")]) == 2
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    assert flows.main([str(tmp_path / "bad.csv")]) == 2
    assert "no column" in capsys.readouterr().err
