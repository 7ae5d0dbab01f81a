# SPDX-License-Identifier: BSD-2-Clause
"""Shared fixtures for the pmipd integration tests.

Binaries come from $PMIPD and $PMIPCTL (make integration-test points them
at the sanitizer builds), else from build/.  Every test gets its own
short temporary directory (Unix socket paths are limited to 107 bytes),
daemons started through the `daemons` fixture are stopped at the end of
the test, and their logs are printed when a test fails.

    def test_x(daemons, pmipctl, workdir):
        d = daemons.start()                 # an LMA, fake data plane
        st = pmipctl.json(d.sock, "status")
        assert st["role"] == "lma"

No fixed sleeps: wait_until() polls a condition.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

TOP = Path(os.environ.get("TOP", Path(__file__).resolve().parent.parent))


def _binary(env, name):
    p = os.environ.get(env) or str(TOP / "build" / name)
    if not os.access(p, os.X_OK):
        pytest.skip(f"{name} not built ({p}); run make first")
    return p


def wait_until(cond, timeout=10.0, interval=0.02, what="condition"):
    """Poll cond() until it returns a true value; return that value.

    Fails the test with `what` in the message after `timeout` seconds.
    """
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def lma_conf(sock, **kw):
    """A minimal LMA configuration: loopback, fake data plane, one MAG
    and one MN.  Keyword arguments replace top-level settings verbatim
    (log_level="debug" -> log_level = "debug";)."""
    top = {
        "role": '"lma"',
        "address": '"::1"',
        "interface": '"lo"',
        "log_level": '"info"',
        "control_socket": f'"{sock}"',
    }
    for k, v in kw.items():
        top[k] = f'"{v}"' if isinstance(v, str) else str(v).lower()
    lines = [f"{k} = {v};" for k, v in top.items()]
    lines += [
        'dataplane = { backend = "fake"; };',
        'mags = ( { name = "mag1"; address = "2001:db8:ffff::11"; } );',
        "mobile_nodes = ( {",
        '    id = "mn1@example.org";',
        '    lladdr = "02:00:00:00:00:01";',
        '    prefixes = [ "2001:db8:1:1::/64" ];',
        "} );",
    ]
    return "\n".join(lines) + "\n"


class Pmipctl:
    """Runs pmipctl; never hangs (pmipctl's own timeout plus ours)."""

    def __init__(self, binary):
        self.binary = binary

    def run(self, sock, *args, json_out=False, timeout=5, check=False,
            prefix=()):
        cmd = list(prefix) + [self.binary, "-s", str(sock),
                              "-t", str(timeout)]
        if json_out:
            cmd.append("-j")
        cmd += [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout + 5)
        if check and r.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} -> {r.returncode}: {r.stderr}")
        return r

    def json(self, sock, *args, **kw):
        r = self.run(sock, *args, json_out=True, check=True, **kw)
        return json.loads(r.stdout)

    def ok(self, sock, *args):
        """True if the command succeeds (for wait_until)."""
        try:
            return self.run(sock, *args, timeout=2).returncode == 0
        except subprocess.TimeoutExpired:
            return False


class Daemon:
    """One pmipd process with its stderr captured in a log file."""

    def __init__(self, binary, workdir, name, conf_text, args, env):
        self.workdir = Path(workdir)
        self.name = name
        self.conf = self.workdir / f"{name}.conf"
        self.sock = self.workdir / f"{name}.sock"
        self.log = self.workdir / f"{name}.log"
        if conf_text is None:
            conf_text = lma_conf(self.sock)
        # The socket the daemon will use: -s, else the configuration's.
        m = re.search(r'^\s*control_socket\s*=\s*"([^"]*)"', conf_text,
                      re.M)
        if "-s" in args:
            self.sock = Path(args[list(args).index("-s") + 1])
        elif m:
            self.sock = Path(m.group(1))
        self.conf.write_text(conf_text)
        self.cmd = [binary, "-c", str(self.conf)] + list(args)
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self._logf,
                                     stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self):
        return self.proc.pid

    def log_text(self):
        return self.log.read_text(errors="replace")

    def running(self):
        return self.proc.poll() is None

    def wait_ready(self, pmipctl, timeout=15):
        def ready():
            if not self.running():
                pytest.fail(f"pmipd {self.name} exited with "
                            f"{self.proc.returncode}:\n{self.log_text()}")
            return pmipctl.ok(self.sock, "status")
        wait_until(ready, timeout, what=f"pmipd {self.name} to answer")
        return self

    def wait_log(self, text, timeout=10):
        wait_until(lambda: text in self.log_text(), timeout,
                   what=f"'{text}' in the log of {self.name}")

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        finally:
            self._logf.close()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.running():
            self.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.running():
            self.proc.kill()
        self.proc.wait()
        self._logf.close()


class Daemons:
    """Starts daemons and makes sure none outlives the test."""

    def __init__(self, binary, workdir, pmipctl):
        self.binary = binary
        self.workdir = workdir
        self.pmipctl = pmipctl
        self.all = []
        env = dict(os.environ)
        # Leak checks at exit are part of what a clean stop means.
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.env = env

    def spawn(self, conf_text=None, args=(), name=None):
        """Start a pmipd without waiting for it."""
        name = name or f"pmipd{len(self.all)}"
        d = Daemon(self.binary, self.workdir, name, conf_text, args,
                   self.env)
        self.all.append(d)
        return d

    def start(self, conf_text=None, args=(), name=None, timeout=15):
        """Start a pmipd and wait until `pmipctl status` answers."""
        return self.spawn(conf_text, args, name).wait_ready(self.pmipctl,
                                                            timeout)

    def cleanup(self):
        for d in self.all:
            d.kill()


@pytest.fixture
def pmipd_bin():
    return _binary("PMIPD", "pmipd")


@pytest.fixture
def pmipctl_bin():
    return _binary("PMIPCTL", "pmipctl")


@pytest.fixture
def top():
    return TOP


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="pmipd.", dir="/tmp")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pmipctl(pmipctl_bin):
    return Pmipctl(pmipctl_bin)


@pytest.fixture
def daemons(request, pmipd_bin, workdir, pmipctl):
    ds = Daemons(pmipd_bin, workdir, pmipctl)
    yield ds
    ds.cleanup()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for d in ds.all:
            print(f"--- log of {d.name} ({' '.join(d.cmd)}) ---")
            print(d.log_text())


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until
