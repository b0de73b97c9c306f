# SPDX-License-Identifier: GPL-2.0
"""flowmobd's life cycle with the real data plane and LMA role, in the test
topology: it enters its namespace itself (--netns), pins under the host's bpffs,
opens its control socket 0600, refuses a second instance, survives a bad SIGHUP
and applies a good one, stops on SIGTERM leaving programs attached and maps
pinned, reuses them on restart, and --cleanup removes everything."""
import json
import os
import signal
import stat
import subprocess
import time

import pytest

import nslib
from nslib import wait_for

REPO = nslib.REPO
FLOWMOBD = os.path.join(REPO, "build", "flowmobd")
FLOWMOBCTL = os.path.join(REPO, "build", "flowmobctl")

pytestmark = pytest.mark.skipif(not os.path.exists(FLOWMOBD), reason="build/flowmobd not built")

CONFIG = """instance: {inst}
role: lma
log-level: {level}
control-socket: {sock}
state-dir: {state}
netns: {ns}
lma:
  address: fd00:11::1
  core-interfaces: [lma-cn]
  access-interfaces: [lma-mag1, lma-mag2]
  dataplane: xdp
  prefix-pool: fd00:100::/48
  mags: [{mags}]
  policies:
    - {{fid: 1, priority: 10, selector: {{next-header: [17], dst-port: [5000, 5999]}}, prefer-att: [4, 8]}}
  timers: {{heartbeat-interval: 0}}
"""


class Daemon:
    def __init__(self, topo, tmp):
        self.topo = topo
        self.inst = f"{topo.tag}-lma"
        self.sock = str(tmp / "lma.sock")
        self.state = str(tmp / "state")
        self.cfg = str(tmp / "lma.yaml")
        self.tmp = tmp
        self.pins = f"/sys/fs/bpf/flowmob/{self.inst}"
        self.bg = None
        self.runs = 0
        self.write()

    def write(self, level="info", mags="fd00:11::2, fd00:12::2", extra=""):
        with open(self.cfg, "w") as f:
            f.write(CONFIG.format(inst=self.inst, sock=self.sock, state=self.state,
                                  ns=self.topo.lma, level=level, mags=mags) + extra)

    def start(self):
        self.runs += 1
        self.bg = nslib.Bg(None, [FLOWMOBD, "-c", self.cfg],
                           log=str(self.tmp / f"lma{self.runs}.out"))
        wait_for(lambda: os.path.exists(self.sock) or not self.bg.alive(), timeout=15,
                 what="control socket")
        assert self.bg.alive(), self.bg.output()

    def ctl(self, *args):
        p = subprocess.run([FLOWMOBCTL, "-s", self.sock, "-j", *args], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def xdp_attached(self, ifname):
        p = self.topo.run("lma", ["ip", "-j", "link", "show", "dev", ifname])
        link = json.loads(p.stdout)[0]
        return "xdp" in link

    def cleanup(self):
        return subprocess.run([FLOWMOBD, "-c", self.cfg, "--cleanup"], capture_output=True,
                              text=True, timeout=30)


@pytest.fixture
def daemon(topo, tmp_path):
    d = Daemon(topo, tmp_path)
    try:
        yield d
    finally:
        if d.bg and d.bg.alive():
            d.bg.stop()
        d.cleanup()


def test_lifecycle(daemon):
    d = daemon
    d.start()
    # control socket: mode 0600, answers; the instance runs in its namespace
    assert stat.S_IMODE(os.stat(d.sock).st_mode) == 0o600
    assert d.ctl("version")["version"]
    assert d.ctl("bindings") == []
    ns_ino = os.stat(f"/run/netns/{d.topo.lma}").st_ino
    assert os.stat(f"/proc/{d.bg.pid}/ns/net").st_ino == ns_ino
    # pinned in the host's bpffs, programs attached
    assert os.path.isdir(d.pins) and os.listdir(d.pins)
    assert d.xdp_attached("lma-cn")

    # a second instance is refused and leaves the first alone
    p = subprocess.run([FLOWMOBD, "-c", d.cfg], capture_output=True, text=True, timeout=15)
    assert p.returncode == 1
    assert "already running" in p.stderr
    assert d.ctl("version")

    # a bad file on SIGHUP is refused; the daemon keeps running
    d.write(extra="bogus-key: 1\n")
    d.bg.send_signal(signal.SIGHUP)
    wait_for(lambda: "keeping the running configuration" in d.bg.output(), timeout=5,
             what="reload refusal")
    assert "bogus-key" in d.bg.output()
    assert d.bg.alive() and d.ctl("version")

    # a good one is applied: debug logging starts
    d.write(level="debug", mags="fd00:11::2")
    d.bg.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload: done (log level debug)" in d.bg.output(), timeout=5,
             what="reload")
    d.ctl("peers")
    wait_for(lambda: "ctl: request peers" in d.bg.output(), timeout=5, what="debug log")

    # SIGTERM: exit 0, socket removed, programs attached, maps pinned
    d.bg.proc.send_signal(signal.SIGTERM)
    assert d.bg.proc.wait(timeout=10) == 0
    assert not os.path.exists(d.sock)
    assert os.path.isdir(d.pins) and os.listdir(d.pins)
    assert d.xdp_attached("lma-cn")

    # restart: the pinned data plane is reused
    d.start()
    wait_for(lambda: "reused" in d.bg.output(), timeout=5, what="reuse")
    assert d.ctl("bindings") == []
    d.bg.proc.send_signal(signal.SIGINT)
    assert d.bg.proc.wait(timeout=10) == 0

    # --cleanup: programs detached, pins, state and socket gone
    p = d.cleanup()
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(d.pins)
    assert not d.xdp_attached("lma-cn")
    assert not os.path.exists(d.state)
    assert not os.path.exists(d.sock)


def test_cleanup_refused_while_running(daemon):
    d = daemon
    d.start()
    p = d.cleanup()
    assert p.returncode == 1
    assert "running" in p.stderr
    assert d.ctl("version") and os.path.isdir(d.pins)
