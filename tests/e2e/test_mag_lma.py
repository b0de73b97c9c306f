# SPDX-License-Identifier: GPL-2.0
"""The MAG with the real LMA, in namespaces: flowmobd (lma) in <tag>-lma, flowmobd
(mag) in <tag>-mag1, a stock Linux MN. The MN registers end to end and traffic flows
both ways through flowmob's programs; link down and a silent MN de-register it.
"""
import ipaddress
import json
import os
import subprocess
import time

import pytest

import nslib
from nslib import wait_for

REPO = nslib.REPO
FLOWMOBD = os.path.join(REPO, "build", "flowmobd")
MN_ID = "mn1@example.net"

pytestmark = pytest.mark.skipif(not os.path.exists(FLOWMOBD), reason="build/flowmobd not built")


class Daemon:
    def __init__(self, topo, tmp, role, example, extra="", timers=None):
        self.sock = str(tmp / f"{role}.sock")
        self.cfg = str(tmp / f"{role}.yaml")
        text = open(os.path.join(REPO, "docs", "examples", example)).read()
        out = []
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("instance:"):
                line = f"instance: {topo.tag}-{role}"
            elif s.startswith("control-socket:"):
                line = f"control-socket: {self.sock}"
            elif s.startswith("log-level:"):
                line = "log-level: debug"
            out.append(line)
        text = "\n".join(out) + "\n"
        for k, v in (timers or {}).items():
            # timers already listed in the example are replaced, others appended
            lines = text.splitlines()
            hit = [i for i, ln in enumerate(lines) if ln.strip().startswith(k + ":")]
            if hit:
                indent = lines[hit[0]][:len(lines[hit[0]]) - len(lines[hit[0]].lstrip())]
                lines[hit[0]] = f"{indent}{k}: {v}"
            else:
                i = [j for j, ln in enumerate(lines) if ln.strip() == "timers:"][0]
                lines.insert(i + 1, f"    {k}: {v}")
            text = "\n".join(lines) + "\n"
        text += f"netns: {topo.ns(role)}\nstate-dir: {tmp}/{role}-state\n" + extra
        with open(self.cfg, "w") as f:
            f.write(text)
        self.bg = nslib.Bg(None, [FLOWMOBD, "-c", self.cfg], log=str(tmp / f"{role}.out"))
        wait_for(lambda: os.path.exists(self.sock) or not self.bg.alive(), timeout=20,
                 what=f"flowmobd {role}")
        if not self.bg.alive():
            raise RuntimeError(f"flowmobd {role} died:\n" + self.bg.output())

    def result(self, cmd, **args):
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.sock)
        s.sendall((json.dumps(dict(cmd=cmd, **args)) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        r = json.loads(buf)
        assert r.get("ok"), r
        return r["result"]

    def stop(self):
        self.bg.stop()
        subprocess.run([FLOWMOBD, "-c", self.cfg, "--cleanup"], capture_output=True,
                       timeout=30)


@pytest.fixture
def domain(topo, tmp_path):
    ds = []

    def start(mag_timers=None):
        ds.append(Daemon(topo, tmp_path, "lma", "lma.yaml"))
        ds.append(Daemon(topo, tmp_path, "mag1", "mag1.yaml", timers=mag_timers))
        return ds[0], ds[1]
    try:
        yield topo, start
    finally:
        for d in reversed(ds):
            d.stop()


def mn_addr(topo, iface="mn-mag1"):
    p = topo.run("mn", ["ip", "-j", "-6", "addr", "show", "dev", iface, "scope", "global"])
    for link in json.loads(p.stdout or "[]"):
        for a in link.get("addr_info", []):
            if a.get("family") == "inet6" and a.get("local") and a.get("scope") == "global":
                return a["local"]
    return None


def register(topo, mag):
    wait_for(lambda: any(b["state"] == "registered" for b in mag.result("mag.bindings")) or
             topo.solicit("mn-mag1"), timeout=20, interval=1.0, what="registration")
    return wait_for(lambda: mn_addr(topo), timeout=15, what="MN address")


def lma_binding(lma):
    bs = [b for b in lma.result("bindings") if b["mn"] == MN_ID]
    return bs[0] if bs else None


def test_register_and_traffic_both_ways(domain):
    topo, start = domain
    lma, mag = start()
    addr = register(topo, mag)
    b = lma_binding(lma)
    assert b and b["mag"] == "fd00:11::2" and b["att"] == 4
    assert any(ipaddress.IPv6Address(addr) in ipaddress.IPv6Network(p) for p in b["prefixes"]), b
    mb = mag.result("mag.bindings")[0]
    assert mb["bid"] == b["bid"] and mb["prefixes"] == b["prefixes"]
    before = mag.result("stats")["dataplane"]
    assert topo.ping("mn", "fd00:1::2", count=3, src=addr), "MN -> CN (uplink tunnel)"
    assert topo.ping("cn", addr, count=3), "CN -> MN (downlink tunnel)"
    after = mag.result("stats")["dataplane"]
    moved = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert moved, "the MAG's programs counted nothing"
    # heartbeats (RFC 5847) with the LMA: the MAG sees its peer up
    peer = wait_for(lambda: [p for p in mag.result("peers") if p["state"] == "up"], timeout=10,
                    what="LMA peer up")[0]
    assert peer["lma"] == "fd00:11::1" and peer["restart_counter"] is not None


def test_link_down_deregisters(domain):
    topo, start = domain
    lma, mag = start()
    register(topo, mag)
    assert lma_binding(lma)["state"] == "active"
    topo.run("mn", ["ip", "link", "set", "mn-mag1", "down"])
    wait_for(lambda: mag.result("mag.bindings") == [], timeout=10, what="MAG binding gone")
    wait_for(lambda: (lma_binding(lma) or {}).get("state") != "active", timeout=10,
             what="LMA binding de-registered")


def test_silent_mn_detached(domain):
    topo, start = domain
    lma, mag = start(mag_timers={"idle-timeout": 3})
    addr = register(topo, mag)
    # traffic keeps it attached well past the idle timeout
    for _ in range(6):
        assert topo.ping("mn", "fd00:1::2", count=1, src=addr)
        time.sleep(0.8)
    assert mag.result("mag.bindings")[0]["state"] == "registered"
    # the MN goes silent and stops answering neighbour probes
    topo.run("mn", ["nft", "-f", "-"], input=(
        "table ip6 silent {\n"
        " chain input { type filter hook input priority -10; policy accept;\n"
        "  icmpv6 type nd-neighbor-solicit counter drop\n"
        " }\n"
        "}\n"))
    wait_for(lambda: mag.result("mag.bindings") == [], timeout=15, what="idle detach")
    st = mag.result("stats")
    assert st["nd"]["ns"] >= 3 and st["mag"]["idle_detach"] == 1
    wait_for(lambda: (lma_binding(lma) or {}).get("state") != "active", timeout=10,
             what="LMA binding de-registered")
