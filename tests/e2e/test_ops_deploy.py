# SPDX-License-Identifier: GPL-2.0
"""The commands of docs/deployment.md that a namespace can run: the nftables
ruleset (parsed by `nft -c`), the sysctls (applied and read back), and the
native-XDP rule — with `dataplane: xdp` on an interface whose driver has no
native XDP (a bridge) flowmobd refuses to start and names the interface; with
`interface-modes: {IFACE: xdp-generic}` as the guide shows it starts. Its own
namespace, removed (with the instance's pins) also on failure."""
import os
import re
import subprocess

import pytest

import nslib
from nslib import wait_for

REPO = nslib.REPO
FLOWMOBD = os.path.join(REPO, "build", "flowmobd")
DOC = os.path.join(REPO, "docs", "deployment.md")

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
              pytest.mark.skipif(not os.path.exists(FLOWMOBD), reason="build/flowmobd not built")]


def blocks(lang):
    text = open(DOC).read()
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def sh(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=check)


@pytest.fixture
def ns():
    name = nslib.unique_tag("d")
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        sh("ip", "netns", "del", name, check=False)


def test_nft_ruleset_parses(ns, tmp_path):
    (rules,) = [b for b in blocks("nft") if "table inet flowmob" in b]
    f = tmp_path / "flowmob.nft"
    f.write_text(rules)
    r = sh("ip", "netns", "exec", ns, "nft", "-c", "-f", str(f), check=False)
    assert r.returncode == 0, r.stderr


def test_sysctls_apply(ns):
    lines = [l for b in blocks("sh") for l in b.splitlines() if l.startswith("sysctl -w ")]
    assert len(lines) >= 2
    for l in lines:
        key, val = l.split()[2].split("=")
        r = sh("ip", "netns", "exec", ns, *l.split(), check=False)
        assert r.returncode == 0, r.stderr
        r = sh("ip", "netns", "exec", ns, "sysctl", "-n", key)
        assert r.stdout.strip() == val, key


CFG = """instance: {inst}
role: lma
netns: {ns}
control-socket: {tmp}/lma.sock
state-dir: {tmp}/state
lma:
  address: fd00:11::1
  core-interfaces: [v0]
  access-interfaces: [br0]
  dataplane: xdp
{extra}  prefix-pool: fd00:100::/48
  mags: [fd00:11::2]
  timers: {{heartbeat-interval: 0}}
"""


def test_native_xdp_refused_then_generic_override(ns, tmp_path):
    r = sh("ip", "-n", ns, "link", "add", "br0", "type", "bridge", check=False)
    if r.returncode != 0:
        pytest.skip(f"no bridge devices here: {r.stderr.strip()}")
    sh("ip", "-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    for i in ("v0", "v1", "br0"):
        sh("ip", "-n", ns, "link", "set", i, "up")
    sh("ip", "-n", ns, "addr", "add", "fd00:11::1/64", "dev", "br0", "nodad")
    inst = f"{ns}-lma"
    cfg = tmp_path / "lma.yaml"
    proc = None
    try:
        cfg.write_text(CFG.format(inst=inst, ns=ns, tmp=tmp_path, extra=""))
        r = subprocess.run([FLOWMOBD, "-c", str(cfg)], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1, r.stderr
        assert re.search(r"attach (native XDP|xdp) to br0: Operation not supported", r.stderr), \
            r.stderr

        (override,) = [l for b in blocks("yaml") for l in b.splitlines()
                       if "interface-modes: {eno1: xdp-generic}" in l]
        cfg.write_text(CFG.format(inst=inst, ns=ns, tmp=tmp_path,
                                  extra=override.replace("eno1", "br0") + "\n"))
        proc = nslib.Bg(None, [FLOWMOBD, "-c", str(cfg)], log=str(tmp_path / "lma.log"))
        wait_for(lambda: os.path.exists(tmp_path / "lma.sock") or not proc.alive(), timeout=30,
                 what="control socket")
        assert proc.alive(), proc.output()
        assert "br0 (xdp generic)" in proc.output()
        link = sh("ip", "-n", ns, "-d", "link", "show", "br0").stdout
        assert "xdpgeneric" in link
    finally:
        if proc and proc.alive():
            proc.stop()
        subprocess.run([FLOWMOBD, "-c", str(cfg), "--cleanup"], capture_output=True, timeout=30)
    assert not os.path.exists(f"/sys/fs/bpf/flowmob/{inst}")
