# SPDX-License-Identifier: GPL-2.0
"""Interop with MAGs that are not flowmob (docs/interop.md), played by the test over
raw MH sockets in the mag namespaces (test_lma_signaling's helpers): a MAG that
answers heartbeats with Binding Error 2, a MAG marked down that keeps sending valid
PBUs, a PBU whose Header Len is wrong and one whose Payload Proto is wrong. Each test
checks the LMA's answer on the wire, its `peers` view and its counters; a global
revocation when a MAG leaves the configuration, and rejected-PBU counters, too."""
import ctypes
import os
import signal
import socket
import struct
import threading
import time

import pytest

from test_lma_signaling import (CLONE_NEWNET, LMA, MAG1, MAG2, NAI, binding, encode, net,  # noqa: F401
                                opt, pbu)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def icmp_socket(ns):
    out = {}

    def worker():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            finally:
                os.close(fd)
            out["s"] = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        except Exception as e:  # noqa: BLE001
            out["e"] = e

    th = threading.Thread(target=worker)
    th.start()
    th.join()
    if "e" in out:
        raise out["e"]
    return out["s"]


def param_problem(sock, timeout=3.0):
    """The next ICMPv6 Parameter Problem: (code, pointer, invoking packet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            data, src = sock.recvfrom(65535)
        except socket.timeout:
            break
        if data[0] == 4 and src[0] == LMA:
            return data[1], struct.unpack("!I", data[4:8])[0], data[8:]
    raise TimeoutError("no Parameter Problem from the LMA")


def drain(m):
    """Forgets what the test MAG received so far (its socket's queue too)."""
    m.seen.clear()
    m.sock.setblocking(False)
    try:
        while True:
            m.sock.recvfrom(65535)
    except BlockingIOError:
        pass
    finally:
        m.sock.setblocking(True)


def peer(lma, addr):
    return {p["mag"]: p for p in lma.ok("peers")}[addr]


def test_be2_answer_means_no_heartbeat_support(net):
    """RFC 5847 toward a MAG without it: BE 2 in answer to a heartbeat stops them;
    the MAG is never declared down for their lack, and its PBUs keep it alive."""
    topo, mags, make_lma = net
    lma = make_lma(timers={"heartbeat-interval": 1, "heartbeat-missed": 2})
    m = mags["mag1"]
    # no binding yet: no heartbeat (they start with the first binding)
    m.none("heartbeat", within=2.5)
    assert peer(lma, MAG1)["heartbeat"] == "waiting for a binding"
    assert m.register(1, att=4)["status"] == 0
    hb = m.recv("heartbeat", timeout=3)
    m.send({"type": "be", "status": 2, "home_address": "::", "options": []})
    time.sleep(0.3)
    p = peer(lma, MAG1)
    assert p["heartbeat"] == "unsupported", p
    assert p["reason"] == "no heartbeat support"
    drain(m)
    m.none("heartbeat", within=3.5)  # would be 3 more, and the MAG down after 2
    p = peer(lma, MAG1)
    assert p["state"] == "up" and p["missed"] == 0, p
    assert binding(lma, 1)["state"] == "active"
    # its signaling is its liveness: a refresh is seen
    assert m.register(2, att=4, hi=5)["status"] == 0
    assert peer(lma, MAG1)["last_seen"] < 1.0
    print(f"\nheartbeat {hb['seq']} answered with BE 2: no heartbeat for 3.5 s, peer up")


def test_down_mag_that_keeps_sending_pbus_comes_back(net):
    """A MAG marked down (heartbeats unanswered) that sends a valid PBU is up again
    (reason pbu), its last_seen moves, the LMA asks it a heartbeat at once and its
    answer (no restart) makes its other binding active again."""
    topo, mags, make_lma = net
    lma = make_lma(timers={"heartbeat-interval": 1, "heartbeat-missed": 2})
    m = mags["mag1"]
    assert m.register(1, att=4)["status"] == 0
    assert m.register(1, att=5, hi=1)["status"] == 0
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and peer(lma, MAG1)["state"] != "down":
        time.sleep(0.3)
    p = peer(lma, MAG1)
    assert p["state"] == "down" and p["reason"] == "heartbeat", p
    assert {binding(lma, b)["state"] for b in (1, 2)} == {"peer-down"}
    drain(m)
    pba = m.register(2, att=4, hi=5, bid=1)
    assert pba["status"] == 0
    p = peer(lma, MAG1)
    assert p["state"] == "up" and p["reason"] == "pbu", p
    assert p["last_seen"] < 1.0
    assert binding(lma, 1)["state"] == "active"
    hb = m.recv("heartbeat", timeout=1.0)  # sent at once: did it restart?
    m.send({"type": "heartbeat", "seq": hb["seq"], "flags": "R",
            "options": [{"type": "restart-counter", "value": 1}]})
    time.sleep(0.3)
    assert binding(lma, 2)["state"] == "active"
    assert peer(lma, MAG1)["state"] == "up"


def test_wrong_header_len_gets_parameter_problem(net):
    """Header Len 16 (136 octets) with 140 present: ICMPv6 Parameter Problem code 0
    pointing at Header Len (RFC 6275 §9.2), no PBA, counted per peer and logged at
    info level; a wrong Payload Proto the same, pointing at that field."""
    topo, mags, make_lma = net
    lma = make_lma()
    m = mags["mag1"]
    ic = icmp_socket(topo.mag1)
    try:
        good = encode(pbu(1, att=4))
        bad = bytearray(good + b"\0\0\0\0")  # Header Len still says len(good)
        m.sock.sendto(bytes(bad), (LMA, 0))
        code, ptr, inv = param_problem(ic)
        assert (code, ptr) == (0, 41), (code, ptr)
        got = inv[40:40 + len(bad)]
        assert inv[6] == 135 and got[:4] + got[6:] == bytes(bad[:4] + bad[6:])
        assert socket.inet_ntop(socket.AF_INET6, inv[8:24]) == MAG1
        m.none("pba", within=0.5)
        bad2 = bytearray(good)
        bad2[0] = 6
        m.sock.sendto(bytes(bad2), (LMA, 0))
        code, ptr, _ = param_problem(ic)
        assert (code, ptr) == (0, 40)
    finally:
        ic.close()
    mal = peer(lma, MAG1)["malformed"]
    assert mal["header-len"] == 1 and mal["payload-proto"] == 1, mal
    sock = lma.ok("stats")["signaling"]["socket"]
    assert sock["parameter_problems"] == 2 and sock["faults"]["header-len"] == 1
    # the good PBU is still accepted afterwards; a PBU without HI is counted as rejected
    assert m.register(2, att=4)["status"] == 0
    assert m.register(3, att=4, omit=("hi",))["status"] == 161
    assert peer(lma, MAG1)["rejected"] == {"161": 1}
    log = lma.proc.output()
    assert "info: mh: from fd00:11::2: header-len dropped" in log, log[-2000:]


def test_removed_mag_gets_global_revocation(net):
    """SIGHUP without MAG2 in `mags`: MAG2 gets a BRI with P and G (RFC 5846 global
    revocation, trigger 250 per-peer policy), retransmitted until answered; its
    binding is gone, and a peer-removed event says so."""
    import json as _json
    topo, mags, make_lma = net
    lma = make_lma()
    assert mags["mag1"].register(1, att=4)["status"] == 0
    assert mags["mag2"].register(1, att=8)["status"] == 0
    with open(lma.cfg) as f:
        cfg = _json.load(f)
    cfg["lma"]["mags"] = [MAG1]
    with open(lma.cfg, "w") as f:
        _json.dump(cfg, f)
    lma.proc.send_signal(signal.SIGHUP)
    bri = mags["mag2"].recv("bri", timeout=3)
    assert "G" in bri["flags"] and "P" in bri["flags"], bri
    assert bri["trigger"] == 250
    again = mags["mag2"].recv("bri", timeout=3)  # unanswered: retransmitted
    assert again["seq"] == bri["seq"]
    mags["mag2"].send({"type": "bra", "seq": bri["seq"], "status": 0, "flags": "PG"})
    assert binding(lma, 2) is None and binding(lma, 1) is not None
    assert [p["mag"] for p in lma.ok("peers")] == [MAG1]
    mags["mag2"].none("bri", within=1.5)
