# SPDX-License-Identifier: BSD-2-Clause
"""pmip-udpflow between two network namespaces joined by a veth pair,
checked with analysis/flows.py.

    /usr/bin/python3 -m pytest -q tests/test_udpflow.py

The namespace tests need root and are skipped otherwise.  UDPFLOW names
the binary to test (default: build/pmip-udpflow, built if missing).
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "analysis"))
import flows  # noqa: E402

PID = os.getpid()
NS_A = "pmip-uf-%d-a" % PID
NS_B = "pmip-uf-%d-b" % PID
ADDR_A = "fd00:75f:%x::1" % (PID & 0xffff)
ADDR_B = "fd00:75f:%x::2" % (PID & 0xffff)
PORT = 5001

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="network namespaces need root")


@pytest.fixture(scope="module")
def udpflow():
    path = os.environ.get("UDPFLOW")
    if not path:
        path = os.path.join(TOP, "build", "pmip-udpflow")
        subprocess.run(["make", "-s", "-C", TOP, "build/pmip-udpflow"],
                       check=True)
    return path


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def wait_until(pred, timeout=5.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


@pytest.fixture(scope="module")
def netns(udpflow):
    """Namespaces A and B, veth A <-> B, ADDR_A and ADDR_B."""
    def cleanup():
        for ns in (NS_A, NS_B):
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)

    cleanup()
    try:
        sh("ip", "netns", "add", NS_A)
        sh("ip", "netns", "add", NS_B)
        va, vb = "uf%da" % PID, "uf%db" % PID
        sh("ip", "link", "add", va, "netns", NS_A, "type", "veth",
           "peer", "name", vb, "netns", NS_B)
        for ns, dev, addr in ((NS_A, va, ADDR_A), (NS_B, vb, ADDR_B)):
            # No DAD at all, for the link-local address neither.
            sh("ip", "netns", "exec", ns, "sysctl", "-qw",
               "net.ipv6.conf.%s.accept_dad=0" % dev)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "addr", "add", addr + "/64", "dev", dev,
               "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        assert wait_until(lambda: path_works(udpflow), timeout=10), "veth path never worked"
        yield
    finally:
        cleanup()


def path_works(udpflow):
    """A short probe flow gets through (link up, neighbour resolved)."""
    p = subprocess.Popen(["ip", "netns", "exec", NS_B, udpflow,
                          "recv", "-p", str(PORT + 1), "-t", "0.5"],
                         stdout=subprocess.PIPE, text=True)
    if not wait_until(lambda: listening(PORT + 1)):
        p.kill()
        p.communicate()
        return False
    subprocess.run(["ip", "netns", "exec", NS_A, udpflow, "send",
                    "-d", ADDR_B, "-p", str(PORT + 1), "-r", "100", "-t",
                    "0.1"], stdout=subprocess.DEVNULL)
    out, _ = p.communicate(timeout=10)
    return json.loads(out)["received"] > 0


def listening(port):
    r = subprocess.run(["ip", "netns", "exec", NS_B, "ss", "-Hnul",
                        "sport = :%d" % port], capture_output=True,
                       text=True)
    return str(port) in r.stdout


def start_recv(udpflow, log, *extra):
    p = subprocess.Popen(["ip", "netns", "exec", NS_B, udpflow, "recv",
                          "-p", str(PORT), "-o", str(log)] + list(extra),
                         stdout=subprocess.PIPE, text=True)
    assert wait_until(lambda: listening(PORT)), "receiver did not bind"
    return p


def run_send(udpflow, *args, ns=NS_A):
    r = subprocess.run(["ip", "netns", "exec", ns, udpflow, "send"] +
                       list(args), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def finish_recv(p, timeout=30):
    out, _ = p.communicate(timeout=timeout)
    assert p.returncode == 0
    return json.loads(out)


# ---- without namespaces ---------------------------------------------

@pytest.mark.parametrize("args", [
    [],
    ["fly"],
    ["send"],
    ["send", "-d", "::1", "-p", "9", "-r", "100"],
    ["send", "-d", "::1", "-p", "70000", "-r", "100", "-t", "1"],
    ["send", "-d", "::1", "-p", "9", "-r", "-5", "-t", "1"],
    ["send", "-d", "::1", "-p", "9", "-r", "100", "-t", "1", "-s", "10"],
    ["send", "-d", "host.example", "-p", "9", "-r", "100", "-t", "1"],
    ["send", "-d", "::1", "-p", "9", "-r", "1x", "-t", "1"],
    ["recv"],
    ["recv", "-p", "9", "extra"],
    ["recv", "-p", "9", "-z"],
])
def test_bad_arguments_exit_2(udpflow, args):
    r = subprocess.run([udpflow] + args, capture_output=True, text=True)
    assert r.returncode == 2
    assert "usage:" in r.stderr
    assert r.stdout == ""


def test_help(udpflow):
    r = subprocess.run([udpflow, "-h"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage:" in r.stdout


# ---- between namespaces ---------------------------------------------

@needs_root
@pytest.mark.parametrize("rate", [1000, 10000])
def test_rate_and_no_loss(udpflow, netns, tmp_path, rate):
    secs = 2
    rlog, slog = tmp_path / "recv.csv", tmp_path / "send.csv"
    p = start_recv(udpflow, rlog, "-i", "1", "-t", "60")
    # SCHED_FIFO keeps the pacing exact on a busy machine.
    snd = run_send(udpflow, "-d", ADDR_B, "-p", str(PORT), "-r", str(rate),
                   "-t", str(secs), "-f", "42", "-o", str(slog), "-R", "10")
    rcv = finish_recv(p)

    n = rate * secs
    assert snd["packets"] == n and snd["sent"] == n and snd["errors"] == 0
    assert rcv["received"] == n and rcv["lost"] == 0
    assert rcv["duplicates"] == 0 and rcv["invalid"] == 0
    assert rcv["kernel_stamped"] == n

    rx, tx = flows.load_recv_log(str(rlog)), flows.load_send_log(str(slog))
    assert len(rx) == n and len(tx) == n
    s = flows.summarize(rx, tx, rate=rate)[42]
    assert (s["sent"], s["lost"], s["duplicates"]) == (n, 0, 0)
    assert s["tx_rate_pps"] == pytest.approx(rate, rel=0.01)
    assert s["rx_rate_pps"] == pytest.approx(rate, rel=0.02)
    assert all(b == pytest.approx(rate / 10, rel=0.2)
               for b in s["throughput"][1:-1])
    assert all(g["missing"] == 0 for g in s["gaps"])
    assert 0 < s["delay"]["median_ms"] < 1.0
    assert all(p.len == 64 for p in rx)


@needs_root
def test_two_flows_and_sigterm(udpflow, netns, tmp_path):
    rlog = tmp_path / "recv.csv"
    p = start_recv(udpflow, rlog)
    procs = [subprocess.Popen(["ip", "netns", "exec", NS_A, udpflow, "send",
                               "-d", ADDR_B, "-p", str(PORT), "-r", "500",
                               "-t", "1", "-f", str(f), "-s", "200"],
                              stdout=subprocess.PIPE)
             for f in (1, 2)]
    for q in procs:
        assert q.wait(timeout=30) == 0
        q.stdout.close()
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    rcv = finish_recv(p)
    assert rcv["received"] == 1000 and rcv["lost"] == 0
    assert sorted(f["flow"] for f in rcv["flows"]) == [1, 2]
    summ = flows.summarize(flows.load_recv_log(str(rlog)), rate=500)
    assert sorted(summ) == [1, 2]
    for s in summ.values():
        assert (s["received"], s["lost"]) == (500, 0)
    assert not os.path.exists(str(rlog) + ".tmp")


@needs_root
def test_send_errors_consume_sequence_numbers(udpflow, netns, tmp_path):
    # No route to 2001:db8::/32 in A: every send fails with ENETUNREACH.
    slog = tmp_path / "send.csv"
    snd = run_send(udpflow, "-d", "2001:db8::1", "-p", str(PORT), "-r",
                   "1000", "-t", "0.05", "-o", str(slog))
    assert snd["packets"] == 50 and snd["errors"] == 50
    assert snd["errno"] == {str(errno.ENETUNREACH): 50}
    tx = flows.load_send_log(str(slog))
    assert [t.seq for t in tx] == list(range(50))
    assert {t.err for t in tx} == {errno.ENETUNREACH}
    assert flows.counts([], tx)["send_errors"] == 50
