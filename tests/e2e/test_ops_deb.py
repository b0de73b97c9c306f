# SPDX-License-Identifier: GPL-2.0
"""The Debian package, as an operator gets it: `make deb` (dpkg-buildpackage -us
-uc -b) builds build/deb/flowmob_*.deb, lintian reports no error, dpkg installs it
into this system, the installed unit passes `systemd-analyze verify` (man pages
included), the unit's own ExecStart (%i = a test instance, its configuration in
/etc/flowmob/) runs the LMA until it is READY (fake NOTIFY_SOCKET) and answers
the installed flowmobctl, and `dpkg --purge` removes every file, configuration
included. systemd is not PID 1 here, so the unit is not started by systemctl.

Everything is undone also on failure: the daemon, its pins (--cleanup), the
configuration, the package (only if this test installed it), the topology.
Takes ~30 s (package build) plus the packaging tools' install the first time."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

import nslib
from nslib import wait_for

REPO = nslib.REPO
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs a package: needs root")

LMA_CFG = """instance: {inst}
role: lma
netns: {ns}
lma:
  address: fd00:11::1
  core-interfaces: [lma-cn]
  access-interfaces: [lma-mag1, lma-mag2]
  dataplane: xdp-generic
  prefix-pool: fd00:100::/48
  mags: [fd00:11::2, fd00:12::2]
  timers: {{heartbeat-interval: 0}}
"""


def installed(pkg="flowmob"):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "install ok installed" in r.stdout


def test_deb_build_install_run_purge(topo, tmp_path):
    if installed():
        pytest.skip("a flowmob package is installed on this system: not touching it")
    t0 = time.monotonic()
    r = subprocess.run(["make", "-s", "-C", REPO, "deb"], capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = [f for f in os.listdir(os.path.join(REPO, "build", "deb"))
            if re.fullmatch(r"flowmob_[^_]+_[a-z0-9]+\.deb", f)]
    assert len(debs) == 1, debs
    deb = os.path.join(REPO, "build", "deb", debs[0])
    print(f"make deb: {time.monotonic() - t0:.1f} s")

    lint = subprocess.run(["lintian", "--no-tag-display-limit", deb], capture_output=True,
                          text=True, timeout=300)
    errors = [l for l in lint.stdout.splitlines() if l.startswith("E:")]
    assert not errors, lint.stdout

    inst = f"{topo.tag}-lma"
    state_existed = os.path.exists("/var/lib/flowmob")
    cfg = f"/etc/flowmob/{inst}.yaml"
    notify = str(tmp_path / "notify.sock")
    proc = None
    we_installed = False
    try:
        r = subprocess.run(["dpkg", "-i", deb], capture_output=True, text=True, timeout=300)
        we_installed = installed()
        assert r.returncode == 0, r.stdout + r.stderr
        for f in ("/usr/sbin/flowmobd", "/usr/sbin/flowmobctl", "/usr/bin/flowmob-mh",
                  "/lib/systemd/system/flowmobd@.service", "/etc/flowmob/lma.yaml",
                  "/usr/share/man/man8/flowmobd.8.gz", "/usr/share/man/man5/flowmob.yaml.5.gz",
                  "/usr/share/bash-completion/completions/flowmobctl"):
            assert os.path.exists(f), f
        r = subprocess.run(["man", "-w", "flowmob.yaml"], capture_output=True, text=True)
        assert r.returncode == 0 and "man5" in r.stdout
        with open(cfg, "w") as f:
            f.write(LMA_CFG.format(inst=inst, ns=topo.lma))
        if shutil.which("systemd-analyze"):
            v = subprocess.run(["systemd-analyze", "verify", f"flowmobd@{inst}.service"],
                               capture_output=True, text=True, timeout=60)
            assert v.returncode == 0 and not v.stderr.strip(), v.stderr

        # the unit's ExecStartPre and ExecStart, as systemd would run them
        unit = open("/lib/systemd/system/flowmobd@.service").read()
        pre = re.search(r"^ExecStartPre=(.*)$", unit, re.M).group(1).replace("%i", inst)
        start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1).replace("%i", inst)
        r = subprocess.run(pre.split(), capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(notify)
        ns.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=notify)
        proc = nslib.Bg(None, start.split(), log=str(tmp_path / "lma.log"), env=env)
        msg = ns.recv(4096).decode()
        assert "READY=1" in msg.split("\n"), (msg, proc.output())
        r = subprocess.run(["/usr/sbin/flowmobctl", "-i", inst, "-j", "version"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0 and '"version"' in r.stdout, r.stderr
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=15) == 0
    finally:
        if proc and proc.alive():
            proc.stop()
        if os.path.exists(cfg):
            subprocess.run(["/usr/sbin/flowmobd" if os.path.exists("/usr/sbin/flowmobd")
                            else os.path.join(REPO, "build", "flowmobd"), "-c", cfg,
                            "--cleanup"], capture_output=True, timeout=30)
            os.unlink(cfg)
        if we_installed or installed():
            p = subprocess.run(["dpkg", "--purge", "flowmob"], capture_output=True, text=True,
                               timeout=300)
            purge_out = p.stdout + p.stderr
        else:
            purge_out = ""
    assert not installed(), purge_out
    for f in ("/usr/sbin/flowmobd", "/usr/sbin/flowmobctl", "/usr/bin/flowmob-mh",
              "/lib/systemd/system/flowmobd@.service", "/etc/flowmob",
              "/usr/share/man/man8/flowmobd.8.gz"):
        assert not os.path.exists(f), f
    assert not os.path.exists(f"/sys/fs/bpf/flowmob/{inst}")
    if not state_existed:
        assert not os.path.exists("/var/lib/flowmob"), "purge leaves /var/lib/flowmob"
