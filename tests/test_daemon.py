# SPDX-License-Identifier: BSD-2-Clause
"""pmipd as a process: start-up, control socket, pmipctl, signals, check
mode.  Every daemon runs as an LMA with the fake data plane on the
loopback interface, with its control socket in a temporary directory."""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest

from conftest import lma_conf, wait_until


def raw_request(sock_path, data, answers=1, timeout=5):
    """Send bytes, read until `answers` end markers (NUL + status line)
    or EOF."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(sock_path))
    s.sendall(data)
    buf = b""
    while True:
        if buf.count(b"\0") >= answers and buf.endswith(b"\n"):
            break
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf


def test_status_human_and_json(daemons, pmipctl):
    d = daemons.start()
    r = pmipctl.run(d.sock, "status")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^role:\s+lma", r.stdout, re.M)
    assert re.search(rf"^pid:\s+{d.pid}$", r.stdout, re.M)
    assert re.search(r"^dataplane:\s+fake$", r.stdout, re.M)
    assert re.search(rf"^config:\s+{re.escape(str(d.conf))}$", r.stdout,
                     re.M)
    assert re.search(r"^uptime:\s+[0-9.]+ s$", r.stdout, re.M)
    assert r.stderr == ""

    st = pmipctl.json(d.sock, "status")
    assert st["role"] == "lma"
    assert st["pid"] == d.pid
    assert st["config"] == str(d.conf)
    assert st["dataplane"] == "fake"
    assert st["log_level"] == "info"
    assert st["control_socket"] == str(d.sock)
    assert st["ctl_clients"] >= 1
    assert st["uptime_s"] >= 0
    assert isinstance(st["version"], str) and st["version"]

    # The socket is private to root.
    assert stat.S_IMODE(os.stat(d.sock).st_mode) == 0o600


def test_help_and_log_level(daemons, pmipctl):
    d = daemons.start()
    r = pmipctl.run(d.sock, "help")
    assert r.returncode == 0
    for cmd in ("help", "log-level", "status"):
        assert re.search(rf"^{cmd}\s", r.stdout, re.M), r.stdout
    names = [c["name"] for c in pmipctl.json(d.sock, "help")["commands"]]
    assert names == sorted(names)
    assert {"help", "log-level", "status"} <= set(names)

    r = pmipctl.run(d.sock, "log-level", "debug")
    assert r.returncode == 0
    assert r.stdout == "log level: debug (was info)\n"
    assert pmipctl.json(d.sock, "status")["log_level"] == "debug"
    lv = pmipctl.json(d.sock, "log-level", "warning")
    assert lv == {"log_level": "warning", "previous": "debug"}

    r = pmipctl.run(d.sock, "log-level", "loud")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("pmipctl: unknown log level 'loud'")


def test_unknown_command(daemons, pmipctl):
    d = daemons.start()
    r = pmipctl.run(d.sock, "frobnicate", "now")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == \
        "pmipctl: unknown command 'frobnicate' (try 'help')\n"
    r = pmipctl.run(d.sock, "frobnicate", json_out=True)
    assert r.returncode == 1 and r.stdout == ""


def test_malformed_input_never_kills(daemons, pmipctl):
    d = daemons.start()
    assert raw_request(d.sock, b"status\0junk\n") == \
        b"\0error: malformed request (NUL byte)\n"
    assert raw_request(d.sock, b"\n") == \
        b"\0error: empty request (try 'help')\n"
    assert raw_request(d.sock, b"-z status\n") == \
        b"\0error: unknown option '-z'\n"
    assert raw_request(d.sock, b"\xff\xfe\n").startswith(
        b"\0error: unknown command")
    assert raw_request(d.sock, b"x" * 100000) == \
        b"\0error: request line too long\n"
    # Two requests in one write, answered in order.
    two = raw_request(d.sock, b"log-level\nlog-level\n", answers=2)
    assert two == b"log level: info\n\0ok\n" * 2
    # Clients that connect and vanish, or send half a line and vanish.
    for i in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(d.sock))
        if i % 2:
            s.send(b"stat")
        s.close()
    # Many concurrent clients.
    results = []

    def one():
        results.append(pmipctl.run(d.sock, "status").returncode)
    ts = [threading.Thread(target=one) for _ in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [0] * 16
    assert d.running()
    st = pmipctl.json(d.sock, "status")
    assert st["ctl_errors"] >= 4


def test_json_answers_parse(daemons, pmipctl):
    d = daemons.start()
    for cmd in ("status", "help", "log-level"):
        r = pmipctl.run(d.sock, cmd, json_out=True)
        assert r.returncode == 0
        assert r.stdout.endswith("\n")
        json.loads(r.stdout)


def test_no_daemon(pmipctl, workdir):
    sock = workdir / "nobody.sock"
    r = pmipctl.run(sock, "status")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == (f"pmipctl: cannot connect to {sock}: No such file "
                        "or directory (is pmipd running?)\n")
    # A socket file nobody listens on.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(sock))
    s.close()
    r = pmipctl.run(sock, "status")
    assert r.returncode == 1
    assert "Connection refused (is pmipd running?)" in r.stderr


def test_pmipctl_timeout(pmipctl, workdir):
    # A server that accepts and never answers.
    sock = workdir / "mute.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock))
    srv.listen(1)
    try:
        t0 = time.monotonic()
        r = pmipctl.run(sock, "status", timeout=1)
        dt = time.monotonic() - t0
    finally:
        srv.close()
    assert r.returncode == 1
    assert "no complete answer from pmipd within 1 s" in r.stderr
    assert dt < 4


def test_pmipctl_usage(pmipctl_bin):
    r = subprocess.run([pmipctl_bin], capture_output=True, text=True)
    assert r.returncode == 1 and "usage: pmipctl" in r.stderr
    r = subprocess.run([pmipctl_bin, "-h"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage: pmipctl" in r.stdout
    r = subprocess.run([pmipctl_bin, "status", "a b"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "blanks" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv")
def test_non_root_refused(daemons, pmipctl):
    d = daemons.start()
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    # The socket mode keeps others out...
    r = pmipctl.run(d.sock, "status", prefix=nobody)
    assert r.returncode == 1
    assert r.stderr == (f"pmipctl: cannot connect to {d.sock}: Permission "
                        "denied (pmipctl must run as root)\n")
    # ... and so does the peer-credential check when the mode is wider
    # (the socket's directory must be reachable for that).
    os.chmod(d.sock, 0o666)
    os.chmod(d.workdir, 0o755)
    r = pmipctl.run(d.sock, "status", prefix=nobody)
    assert r.returncode == 1
    assert r.stderr == ("pmipctl: permission denied: pmipd accepts "
                        "control connections from root only\n")
    assert pmipctl.json(d.sock, "status")["ctl_refused"] == 1
    d.wait_log("refused connection from uid 65534")


def test_second_daemon_refused(daemons, pmipctl):
    d = daemons.start()
    d2 = daemons.spawn(lma_conf(d.sock), name="second")
    assert d2.wait(15) == 1
    assert "another pmipd is running" in d2.log_text()
    assert str(d.sock) in d2.log_text()
    # The first one is untouched and still answers on its socket.
    assert pmipctl.json(d.sock, "status")["pid"] == d.pid


def test_sigterm_clean_exit(daemons, pmipctl):
    pidfile = daemons.workdir / "pmipd.pid"
    d = daemons.start(args=["-p", str(pidfile)])
    assert pidfile.read_text() == f"{d.pid}\n"
    assert d.sock.exists()
    # The sanitizer build checks for leaks at exit: status 0 means none.
    assert d.stop(signal.SIGTERM) == 0
    assert not d.sock.exists()
    assert not pidfile.exists()
    assert "SIGTERM: shutting down" in d.log_text()


def test_sigint_clean_exit(daemons, pmipctl):
    d = daemons.start()
    assert d.stop(signal.SIGINT) == 0
    assert not d.sock.exists()


def test_sighup_is_logged_and_ignored(daemons, pmipctl):
    d = daemons.start()
    d.send_signal(signal.SIGHUP)
    d.wait_log("reload is not supported")
    assert d.running()
    assert pmipctl.json(d.sock, "status")["signals"] == 1


def test_sigkill_then_restart(daemons, pmipctl):
    d = daemons.start()
    d.kill()
    assert d.sock.exists()          # left behind by the crash
    r = pmipctl.run(d.sock, "status")
    assert r.returncode == 1 and "is pmipd running?" in r.stderr
    d2 = daemons.start(d.conf.read_text(), name="restarted")
    assert "removing a stale socket" in d2.log_text()
    assert pmipctl.json(d.sock, "status")["pid"] == d2.pid
    assert d2.stop() == 0
    assert not d.sock.exists()


def test_socket_option_overrides_config(daemons, pmipctl, workdir):
    other = workdir / "other.sock"
    d = daemons.start(args=["-s", str(other)])
    assert d.sock == other
    assert pmipctl.json(other, "status")["control_socket"] == str(other)
    assert d.stop() == 0
    assert not other.exists()


def test_verbose_raises_log_level(daemons, pmipctl):
    d = daemons.start(args=["-v"])
    assert pmipctl.json(d.sock, "status")["log_level"] == "debug"
    d2 = daemons.start(lma_conf(daemons.workdir / "b.sock",
                                log_level="error"), args=["-v"],
                       name="quiet")
    assert pmipctl.json(d2.sock, "status")["log_level"] == "warning"


def test_bad_config_exits_1(daemons):
    d = daemons.spawn("role = \"lma\";\naddress = \"not-an-address\";\n")
    assert d.wait(15) == 1
    assert re.search(rf"{re.escape(str(d.conf))}:2: ", d.log_text())


def test_check_mode_example(pmipd_bin, top):
    r = subprocess.run([pmipd_bin, "-n", "-c", "etc/lma.conf"], cwd=top,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert 'role = "lma";' in r.stdout
    assert r.stderr == ""


def test_check_mode_bad_file(pmipd_bin, workdir):
    bad = workdir / "bad.conf"
    bad.write_text('role = "lma";\n\naddress = "2001:db8::1"\n'
                   'interface = ;\n')
    r = subprocess.run([pmipd_bin, "-n", "-c", str(bad)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert r.stdout == ""
    assert re.match(rf"^{re.escape(str(bad))}:\d+: ", r.stderr), r.stderr
    missing = workdir / "missing.conf"
    r = subprocess.run([pmipd_bin, "-n", "-c", str(missing)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert str(missing) in r.stderr


def test_pmipd_usage(pmipd_bin):
    r = subprocess.run([pmipd_bin, "-x"], capture_output=True, text=True)
    assert r.returncode == 1 and "usage: pmipd" in r.stderr
    r = subprocess.run([pmipd_bin, "-V"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("pmipd ")
