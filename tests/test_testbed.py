# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end tests on the namespace testbed: real pmipd LMA and MAGs,
a plain Linux MN that configures its address by SLAAC, a CN.

Each test builds its own testbed under a unique namespace prefix
("pmip-t<pid>x-") with its state in a temporary directory, and tears it
down in a finalizer, so nothing is left behind even when a test fails.
"""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "testbed"))
import pmiptb  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the testbed needs root")

_seq = [0]


@pytest.fixture
def testbed(tmp_path, monkeypatch, request):
    made = []
    monkeypatch.setattr(pmiptb, "STATE_DIR", str(tmp_path))

    def make(**params):
        _seq[0] += 1
        prefix = "pmip-t%d%s-" % (os.getpid() % 100000,
                                  chr(ord("a") + _seq[0] % 26))
        params.setdefault("log_level", "debug")
        tb = pmiptb.Testbed(prefix=prefix, **params)
        made.append(tb)
        return tb

    yield make
    for tb in made:
        if request.node.rep_call.failed if hasattr(request.node,
                                                   "rep_call") else False:
            for node in ("lma", "mag1", "mag2"):
                p = os.path.join(tb.dir, node + ".log")
                if os.path.exists(p):
                    print("==== %s log" % node)
                    print(open(p).read()[-6000:])
        tb.down()
        left = [n for n in pmiptb._netns_list() if n.startswith(tb.prefix)]
        assert not left, "namespaces left behind: %s" % left


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def nsexec(tb, node, *cmd, timeout=20, check=True):
    r = subprocess.run(["ip", "netns", "exec", tb.ns(node)] + list(cmd),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, "%s: %s%s" % (" ".join(cmd), r.stdout,
                                                 r.stderr)
    return r


def ping(tb, src, dst, count=3):
    return nsexec(tb, src, "ping", "-6", "-n", "-c", str(count), "-i",
                  "0.05", "-W", "1", dst, check=False).returncode == 0


def binding(tb, nai="mn1@example.org"):
    bc = tb.ctl("lma", "bc", check=False) or {}
    for b in bc.get("bindings", []):
        if b["mn"] == nai:
            return b
    return None


def test_mn_registers_and_reaches_cn(testbed):
    tb = testbed()
    tb.up()
    b = binding(tb)
    assert b is not None and b["state"] == "ACTIVE"
    assert b["serving_mag"] == pmiptb.MAG_ADDR[0]
    assert b["prefixes"] == ["2001:db8:1:1::/64"]
    # The MN configured its address by SLAAC from the MAG's RA and uses
    # the fixed MAG link-local address as its default router.
    routes = nsexec(tb, "mn1", "ip", "-6", "route", "show", "default").stdout
    assert pmiptb.FIXED_LL in routes
    assert ping(tb, "cn", tb.mn_addr(1))
    assert ping(tb, "mn1", pmiptb.CN_ADDR)


def _udp_echo_server(tb, port):
    code = ("import socket\n"
            "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
            "s.bind(('::',%d))\n"
            "while True:\n"
            "  d,a=s.recvfrom(2048)\n"
            "  s.sendto(d,a)\n" % port)
    return subprocess.Popen(["ip", "netns", "exec", tb.ns("mn1"),
                             "/usr/bin/python3", "-c", code])


def _tcp_server(tb, port):
    code = ("import socket\n"
            "s=socket.socket(socket.AF_INET6,socket.SOCK_STREAM)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            "s.bind(('::',%d)); s.listen(1)\n"
            "c,_=s.accept()\n"
            "while True:\n"
            "  d=c.recv(4096)\n"
            "  if not d: break\n"
            "  c.sendall(d)\n" % port)
    return subprocess.Popen(["ip", "netns", "exec", tb.ns("mn1"),
                             "/usr/bin/python3", "-c", code])


def test_handover_keeps_tcp_and_udp_sessions(testbed):
    tb = testbed()
    tb.up()
    mn = tb.mn_addr(1)
    udp_srv = _udp_echo_server(tb, 7001)
    tcp_srv = _tcp_server(tb, 7002)
    # Clients run in the CN namespace as one script: a TCP connection
    # and a UDP "session" (same socket) that must both outlive two
    # handovers.  It prints JSON when done.
    client = r"""
import json, socket, sys, time
mn = sys.argv[1]
for attempt in range(100):          # the server may still be starting
    try:
        t = socket.create_connection((mn, 7002), timeout=10)
        break
    except ConnectionRefusedError:
        time.sleep(0.05)
else:
    raise SystemExit("no TCP server on the MN")
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.settimeout(0.05)
u.connect((mn, 7001))
sent = echoed = tcp_ok = udp_errors = 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    msg = b"x%d" % sent
    # While the MN is between MAGs the LMA answers "no route": a
    # connected UDP socket reports that as an error on its next call.
    # The session survives it: the same socket goes on afterwards.
    try:
        u.send(msg); sent += 1
        if u.recv(64) : echoed += 1
    except socket.timeout:
        pass
    except OSError:
        udp_errors += 1
    t.sendall(b"ping")
    got = b""
    t.settimeout(10)
    while len(got) < 4:
        got += t.recv(4 - len(got))
    tcp_ok += got == b"ping"
    time.sleep(0.02)
print(json.dumps({"sent": sent, "echoed": echoed, "tcp_ok": tcp_ok,
                  "udp_errors": udp_errors}))
"""
    try:
        cl = subprocess.Popen(["ip", "netns", "exec", tb.ns("cn"),
                               "/usr/bin/python3", "-c", client, mn, "6"],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        tb.move(1, "mag2", gap_ms=100)
        pmiptb.wait_until(lambda: (binding(tb) or {}).get("serving_mag") ==
                          pmiptb.MAG_ADDR[1], timeout=10,
                          what="binding moved to mag2")
        time.sleep(1.5)
        tb.move(1, "mag1", gap_ms=100)
        pmiptb.wait_until(lambda: (binding(tb) or {}).get("serving_mag") ==
                          pmiptb.MAG_ADDR[0], timeout=10,
                          what="binding back at mag1")
        out, err = cl.communicate(timeout=30)
        assert cl.returncode == 0, "client failed: %s" % err
        res = json.loads(out)
        # The TCP connection carried data to the end; UDP kept flowing
        # on the same socket after both handovers.
        assert res["tcp_ok"] > 50
        assert res["echoed"] > 0.8 * res["sent"]
        b = binding(tb)
        assert b["prefixes"] == ["2001:db8:1:1::/64"]
        assert b["handovers"] >= 2
        assert tb.mn_has_addr(1)
    finally:
        for p in (udp_srv, tcp_srv):
            p.terminate()
            p.wait()


def test_deregistration_cleans_up(testbed):
    tb = testbed(min_delay_before_bce_delete_ms=1000)
    tb.up()
    assert binding(tb)["state"] == "ACTIVE"
    tb.detach(1)
    # MAG1 sees the access link go down and de-registers; the LMA keeps
    # the entry for MinDelayBeforeBCEDelete (1 s here), then deletes it.
    pmiptb.wait_until(lambda: (binding(tb) or {}).get("state") in
                      ("DEREG", None), timeout=10, what="de-registration")
    pmiptb.wait_until(lambda: binding(tb) is None, timeout=10,
                      what="binding deleted")
    # No route to the MN's prefix is left at the LMA or at MAG1.
    for node in ("lma", "mag1"):
        routes = nsexec(tb, node, "ip", "-6", "route", "show", "table",
                        "all").stdout
        assert "2001:db8:1:1::/64" not in routes, routes
    stats = tb.ctl("lma", "stats")["counters"]
    assert stats["dereg"] >= 1


def test_down_leaves_nothing(testbed):
    tb = testbed()
    tb.up()
    pids = list(tb.state["pids"].values())
    tb.down()
    tb.down()   # safe to run twice
    assert not [n for n in pmiptb._netns_list() if n.startswith(tb.prefix)]
    for pid in pids:
        assert not pmiptb._alive(pid)
