# SPDX-License-Identifier: GPL-2.0
"""Uplink scenarios: replies of a moved flow come back through its new MAG and
are accepted (the MN's conntrack-mark policy routing sends them there; the LMA's
per-MN anti-spoofing rule accepts them); TCP in both directions survives moves;
a spoofed uplink source is dropped and counted."""
import time

import pytest

import nslib
from fmsystem import ATT, CN_ADDR, MN_ID, MnCounters, mh_rows, settle_counts
from nslib import wait_for

ECHO = 5000  # matches FID 1 (UDP 5000-5999) of docs/examples/lma.yaml


def lma_dp(system):
    return system.stats("lma")["dataplane"]


@pytest.mark.system(prefix_policy="unique", flow_signaling="fmi")
def test_uplink_replies_follow_moved_flow(system):
    b1, a1 = system.attach("mag1")
    b2, a2 = system.attach("mag2")
    cnt = MnCounters(system.topo, [ECHO])
    with nslib.udp_echo_server(system.topo.mn, ECHO, log=system.logfile("echo")):
        def exchange(n):
            for i in range(n):
                r = nslib.udp_request(system.topo.cn, a1, ECHO, f"req{i}", sport=33000)
                assert r == f"echo:req{i}", f"no reply {i} from the MN ({r!r})"

        def phase(mag):
            before = cnt.read()
            up0 = lma_dp(system)["lma_uplink_decap"]
            exchange(5)
            after = settle_counts(cnt.read)
            o = "mag2" if mag == "mag1" else "mag1"
            assert after[f"in_{mag}_{ECHO}"] - before[f"in_{mag}_{ECHO}"] == 5
            assert after[f"out_{mag}_{ECHO}"] - before[f"out_{mag}_{ECHO}"] == 5
            assert after[f"in_{o}_{ECHO}"] == before[f"in_{o}_{ECHO}"]
            assert after[f"out_{o}_{ECHO}"] == before[f"out_{o}_{ECHO}"]
            assert lma_dp(system)["lma_uplink_decap"] >= up0 + 5

        phase("mag1")
        # the flow (to MAG1's prefix) moves to MAG2: the replies, sourced from
        # MAG1's prefix, now enter MAG2 and are accepted by the LMA
        cap = system.capture_signaling("uplink-move")
        system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
        wait_for(lambda: any(f["fid"] == 1 for f in system.ctl("mag2", "flows")), timeout=5,
                 what="FID 1 at MAG2")
        rows = mh_rows(cap)
        assert [(r["msg"], r["flowmob.fid.fid"].split(",")[0]) for r in rows
                if r["msg"] in ("FMI", "FMA")] == [("FMI", "1"), ("FMA", "1")], rows
        drops0 = lma_dp(system)["drop_spoofed_source"]
        phase("mag2")
        system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag1"])
        phase("mag1")
        assert lma_dp(system)["drop_spoofed_source"] == drops0


TCP_PEER = r"""
import hashlib, os, socket, sys, threading, time
mode, addr, port, lport, total, dur = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
if mode == "listen":
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port)); ls.listen(1)
    print("ready", flush=True)
    s, _ = ls.accept()
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if lport:
        s.bind((sys.argv[7], lport))
    s.settimeout(10)
    s.connect((addr, port))
    s.settimeout(None)
    print("ready", flush=True)
data = os.urandom(total)
res = {}
def tx():
    chunk = 2048
    n = total // chunk
    for i in range(n):
        s.sendall(data[i * chunk:(i + 1) * chunk])
        time.sleep(dur / n)
    s.shutdown(socket.SHUT_WR)
def rx():
    h = hashlib.sha256(); got = 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        h.update(b); got += len(b)
    res["rx"] = (got, h.hexdigest())
t1 = threading.Thread(target=tx); t2 = threading.Thread(target=rx)
t1.start(); t2.start(); t1.join(); t2.join()
print("sent", total, hashlib.sha256(data).hexdigest(), flush=True)
print("recv", res["rx"][0], res["rx"][1], flush=True)
"""


def tcp_result(bg):
    out = {}
    for line in bg.output().splitlines():
        p = line.split()
        if p and p[0] in ("sent", "recv"):
            out[p[0]] = (int(p[1]), p[2])
    return out


@pytest.mark.system(prefix_policy="unique", flow_signaling="fmi")
def test_tcp_both_directions_survives_moves(system):
    b1, a1 = system.attach("mag1")
    b2, a2 = system.attach("mag2")
    # FID 20: both TCP connections below, by the MN-side ports (downlink dst-port)
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 20, "--priority", 5,
               "--selector", "next-header 6 dst-port 6200-6201", "--bid", b1["bid"])
    cnt = MnCounters(system.topo, [6200, 6201], proto="tcp")
    total, dur = 256 * 1024, 6.0
    py = nslib.PYTHON
    # CN -> MN: the MN listens on 6200 (its MAG1 address)
    srv = system.bg("mn", [py, "-c", TCP_PEER, "listen", "::", "6200", "0", str(total),
                                str(dur)])
    wait_for(lambda: "ready" in srv.output(), timeout=10, what="MN TCP listener")
    # MN -> CN: the CN listens on 6300, the MN connects from [a1]:6201
    csrv = system.bg("cn", [py, "-c", TCP_PEER, "listen", "::", "6300", "0", str(total),
                                 str(dur)])
    wait_for(lambda: "ready" in csrv.output(), timeout=10, what="CN TCP listener")
    cli = system.bg("cn", [py, "-c", TCP_PEER, "connect", a1, "6200", "0", str(total),
                                str(dur)])
    mcli = system.bg("mn", [py, "-c", TCP_PEER, "connect", CN_ADDR, "6300", "6201",
                                 str(total), str(dur), a1])
    try:
        wait_for(lambda: "ready" in cli.output() and "ready" in mcli.output(), timeout=10,
                 what="TCP connections")
        for port in (6200, 6201):
            wait_for(lambda: cnt.get("in", "mag1", port) > 10, timeout=10,
                     what=f"TCP {port} via MAG1")
        cap = system.capture_signaling("tcp-move")
        system.ctl("lma", "flow", "move", MN_ID, 20, "--att", ATT["mag2"])
        for port in (6200, 6201):
            base = cnt.get("in", "mag2", port)
            wait_for(lambda: cnt.get("in", "mag2", port) > base + 10, timeout=10,
                     what=f"TCP {port} via MAG2")
            wait_for(lambda: cnt.get("out", "mag2", port) > 10, timeout=10,
                     what=f"TCP {port} uplink via MAG2")
        rows = mh_rows(cap)
        assert any(r["msg"] == "FMI" and r["flowmob.fid.fid"].split(",")[0] == "20"
                   and r["ipv6.dst"] == "fd00:12::2" for r in rows), rows
        assert any(r["msg"] == "FMA" and r["flowmob.fma.status"] == "0" for r in rows), rows
        system.ctl("lma", "flow", "move", MN_ID, 20, "--att", ATT["mag1"])
        for port in (6200, 6201):
            base = cnt.get("in", "mag1", port)
            wait_for(lambda: cnt.get("in", "mag1", port) > base + 10, timeout=10,
                     what=f"TCP {port} back via MAG1")
        for bg in (srv, csrv, cli, mcli):
            wait_for(lambda: "recv" in bg.output() or not bg.alive(), timeout=dur + 30,
                     what="TCP transfer end")
        r = {n: tcp_result(b) for n, b in (("srv", srv), ("csrv", csrv), ("cli", cli),
                                            ("mcli", mcli))}
        for n, v in r.items():
            assert "sent" in v and "recv" in v, (n, v)
        # every byte arrived intact, both directions, both connections
        assert r["srv"]["recv"] == r["cli"]["sent"] and r["cli"]["recv"] == r["srv"]["sent"]
        assert r["csrv"]["recv"] == r["mcli"]["sent"] and r["mcli"]["recv"] == r["csrv"]["sent"]
        assert r["srv"]["recv"][0] == total and r["csrv"]["recv"][0] == total
    finally:
        for bg in (srv, csrv, cli, mcli):
            bg.stop()


SPOOF = r"""
import socket, sys
from scapy.all import IPv6, UDP, Raw
outer_src, lma, inner_src, dst, n = sys.argv[1:6]
pkt = IPv6(src=outer_src, dst=lma, nh=41) / IPv6(src=inner_src, dst=dst) / UDP(sport=7777, dport=7777) / Raw(b"spoof")
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(int(n)):
    s.sendto(bytes(pkt), (lma, 0))
"""


@pytest.mark.system(prefix_policy="shared")
def test_spoofed_uplink_source_is_dropped(system):
    b1, a1 = system.attach("mag1")
    system.topo.run("cn", ["nft", "-f", "-"], input="""table inet spoof {
  counter got {}
  chain in { type filter hook input priority 0; udp dport 7777 counter name got; }
}
""")

    def cn_got():
        import json
        p = system.topo.run("cn", ["nft", "-j", "list", "counter", "inet", "spoof", "got"])
        return [c["counter"]["packets"] for c in json.loads(p.stdout)["nftables"]
                if "counter" in c][0]

    def tunnel(inner_src, n=5):
        system.topo.run("mag1", [nslib.PYTHON, "-c", SPOOF, "fd00:11::2", "fd00:11::1",
                                 inner_src, CN_ADDR, str(n)])

    # control: a tunnelled packet from MAG1 with the MN's address is forwarded
    tunnel(a1)
    wait_for(lambda: cn_got() == 5, timeout=5, what="genuine uplink at the CN")
    d0 = system.stats("lma")["dataplane"]["drop_spoofed_source"]
    # spoofed: an inner source outside every home prefix of MNs bound via MAG1
    tunnel("fd00:999::1")
    wait_for(lambda: system.stats("lma")["dataplane"]["drop_spoofed_source"] >= d0 + 5,
             timeout=5, what="LMA drop_spoofed_source counted")
    # from the MN itself: MAG1 tunnels only sources in its MNs' prefixes; this one
    # goes to its own stack (which has no route for it), never to the LMA
    system.topo.run("mn", ["ip", "-6", "addr", "add", "fd00:999::2/128", "dev", "mn-mag1",
                           "nodad"])
    mag0 = system.stats("mag1")["dataplane"]
    lma0 = system.stats("lma")["dataplane"]
    for _ in range(5):
        nslib.udp_request(system.topo.mn, CN_ADDR, 7777, "x", src="fd00:999::2", sport=7777,
                          timeout=0.1)
    wait_for(lambda: system.stats("mag1")["dataplane"]["pass_not_mobile"]
             >= mag0["pass_not_mobile"] + 5, timeout=5, what="MAG1 refusing to tunnel")
    assert system.stats("mag1")["dataplane"]["mag_uplink_encap"] == mag0["mag_uplink_encap"]
    assert system.stats("lma")["dataplane"]["lma_uplink_decap"] == lma0["lma_uplink_decap"]
    time.sleep(0.3)
    assert cn_got() == 5  # nothing spoofed reached the CN
