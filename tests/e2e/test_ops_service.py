# SPDX-License-Identifier: GPL-2.0
"""flowmobd under systemd's notify protocol, with a fake NOTIFY_SOCKET (a Unix
datagram socket of the test), as systemd runs the unit's ExecStart: READY=1
arrives only once the control socket answers; with WATCHDOG_USEC set, WATCHDOG=1
comes from the event loop at half that period; SIGHUP gives RELOADING=1 then
READY=1; SIGTERM gives STOPPING=1. Without NOTIFY_SOCKET the other e2e tests
run it as before."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

import nslib
from nslib import wait_for
from test_daemon import FLOWMOBCTL, FLOWMOBD, Daemon

pytestmark = pytest.mark.skipif(not os.path.exists(FLOWMOBD), reason="build/flowmobd not built")


def ctl_answers(sock):
    try:
        p = subprocess.run([FLOWMOBCTL, "-s", sock, "-j", "version"], capture_output=True,
                           text=True, timeout=5)
        return p.returncode == 0
    except subprocess.TimeoutExpired:
        return False


class Notify:
    """Records every datagram; on READY=1 checks at once whether the control socket
    answers (it must: READY is sent after the socket is published)."""

    def __init__(self, path, ctl_sock):
        self.path = path
        self.ctl_sock = ctl_sock
        self.msgs = []  # (monotonic time, text)
        self.ready_with_socket = []
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.settimeout(0.2)
        self.done = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.done:
            try:
                data = self.s.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            if "READY=1" in data.split("\n"):
                self.ready_with_socket.append(ctl_answers(self.ctl_sock))
            self.msgs.append((time.monotonic(), data))

    def lines(self, what):
        return [t for t, d in self.msgs if what in d.split("\n")]

    def close(self):
        self.done = True
        self.t.join(2)
        self.s.close()


@pytest.fixture
def daemon(topo, tmp_path):
    d = Daemon(topo, tmp_path)
    n = Notify(str(tmp_path / "notify.sock"), d.sock)
    try:
        yield d, n
    finally:
        n.close()
        if d.bg and d.bg.alive():
            d.bg.stop()
        d.cleanup()


def test_notify_ready_watchdog_reload_stop(daemon):
    d, n = daemon
    env = dict(os.environ, NOTIFY_SOCKET=n.path, WATCHDOG_USEC="400000")
    d.runs += 1
    d.bg = nslib.Bg(None, [FLOWMOBD, "-c", d.cfg], log=str(d.tmp / "lma-notify.out"), env=env)
    wait_for(lambda: n.lines("READY=1") or not d.bg.alive(), timeout=20, what="READY=1")
    assert d.bg.alive(), d.bg.output()
    assert n.ready_with_socket == [True], "READY=1 before the control socket answered"
    assert any("STATUS=lma" in m for _, m in n.msgs)
    # watchdog pings every 0.2 s from the loop
    t0 = time.monotonic()
    wait_for(lambda: len([t for t in n.lines("WATCHDOG=1") if t > t0]) >= 3, timeout=5,
             what="three WATCHDOG=1")
    pings = [t for t in n.lines("WATCHDOG=1") if t > t0][:3]
    assert pings[2] - pings[0] < 1.5
    assert "watchdog every 0.200 s" in d.bg.output()

    d.bg.send_signal(signal.SIGHUP)
    wait_for(lambda: len(n.lines("READY=1")) >= 2, timeout=10, what="READY=1 after reload")
    assert n.lines("RELOADING=1") and n.lines("RELOADING=1")[0] < n.lines("READY=1")[1]

    d.bg.proc.send_signal(signal.SIGTERM)
    assert d.bg.proc.wait(timeout=10) == 0
    wait_for(lambda: n.lines("STOPPING=1"), timeout=5, what="STOPPING=1")


def test_no_notify_socket_no_watchdog(daemon):
    """Without systemd nothing is sent and no watchdog timer runs. The real
    daemon's version reply names its role and instance, so flowmobctl says when a
    command belongs to the other role; top samples it."""
    d, n = daemon
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    d.bg = nslib.Bg(None, [FLOWMOBD, "-c", d.cfg], log=str(d.tmp / "lma-plain.out"), env=env)
    wait_for(lambda: ctl_answers(d.sock) or not d.bg.alive(), timeout=20, what="control socket")
    assert d.bg.alive(), d.bg.output()
    time.sleep(0.5)
    assert n.msgs == [] and "watchdog" not in d.bg.output()
    v = d.ctl("version")
    assert v["role"] == "lma" and v["instance"] == d.inst
    p = subprocess.run([FLOWMOBCTL, "-s", d.sock, "mag-bindings"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1
    assert p.stderr.strip() == (f"flowmobctl: 'mag-bindings' is a MAG command; this socket "
                                f"belongs to LMA {d.inst}")
    p = subprocess.run([FLOWMOBCTL, "-s", d.sock, "-j", "top", "-n", "0.2", "--count", "1"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    sample = json.loads(p.stdout)
    assert sample["role"] == "lma" and sample["mags"] == [] and "signaling" in sample
    d.bg.proc.send_signal(signal.SIGTERM)
    assert d.bg.proc.wait(timeout=10) == 0
