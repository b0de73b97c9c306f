# SPDX-License-Identifier: GPL-2.0
"""Scenario tests: the draft's figures reproduced by the whole system.

LMA + MAG1 (ATT 4, 802.11) + MAG2 (ATT 8, 3GPP) run as flowmobd in a fresh
topology per test (fixture `system`, tests/e2e/conftest.py); the MN is a stock
Linux host. Each scenario checks
  (a) the signaling on the wire: dumpcap on the LMA's MAG-facing links, decoded
      by tshark with tools/wireshark/flowmob.lua (FMI/FMA/UPN/UPA, Flow options);
  (b) the state through `flowmobctl -j`;
  (c) the data: each flow's packets arrive on the expected MN interface and none
      on the other (named nftables counters in the MN's input hook).
"""
import ipaddress
import time

import pytest

import fmsystem
from fmsystem import ATT, LMA_ADDR, MAG_ADDR, MN_ID, MnCounters, UdpStream, hnps, mh_rows
from nslib import wait_for

X, Y = 4000, 5000  # flow X: no policy (follows its prefix); flow Y: FID 1 (UDP 5000-5999)


def wait_flow_on(cnt, port, mag, n=20, timeout=10.0):
    """Waits until `n` more packets of `port` arrived on mag's MN interface."""
    base = cnt.get("in", mag, port)
    wait_for(lambda: cnt.get("in", mag, port) >= base + n, timeout=timeout,
             what=f"{n} packets of port {port} on the MN's {mag} interface")


def other(mag):
    return "mag2" if mag == "mag1" else "mag1"


def assert_flows_on(cnt, where, n=30, timeout=10.0):
    """where: {port: mag}. Takes a window in which every flow delivers at least n
    packets on its expected MN interface and asserts none arrived on the other."""
    s0 = cnt.read()
    wait_for(lambda: all(cnt.get("in", m, p) >= s0[f"in_{m}_{p}"] + n for p, m in where.items()),
             timeout=timeout, what=f"{n} packets of each flow on {where}")
    s1 = cnt.read()
    for p, m in where.items():
        wrong = s1[f"in_{other(m)}_{p}"] - s0[f"in_{other(m)}_{p}"]
        assert wrong == 0, f"port {p}: {wrong} packets on the MN's {other(m)} interface, " \
                           f"expected all on {m}"
    return s0, s1


def switch_to(cnt, where, timeout=10.0):
    """After a move: waits until each flow shows up on its new interface, lets
    packets already in flight land, then checks a clean window."""
    for p, m in where.items():
        wait_flow_on(cnt, p, m, n=3, timeout=timeout)
    time.sleep(0.2)
    return assert_flows_on(cnt, where)


def msgs(rows, *names):
    return [r for r in rows if r["msg"] in names]


def bid_of(system, mag):
    return system.binding_of(mag)["bid"]


# ---------------------------------------------------------------------------
# Figures 1-3: shared prefix; moving a flow is LMA-local, no signaling


@pytest.mark.system(prefix_policy="shared")
def test_fig1_3_shared_prefix_flow_move_is_lma_local(system):
    b1, addr = system.attach("mag1")
    b2, _ = system.attach("mag2")
    # Figure 1: one MN, two interfaces, two bindings sharing the MN's prefix
    bs = system.bindings()
    assert len(bs) == 2 and b1["bid"] != b2["bid"]
    assert b1["prefixes"] == b2["prefixes"] and len(b1["prefixes"]) == 1
    assert {b["att"] for b in bs} == {4, 8}
    assert fmsystem.in_prefix(addr, b1["prefixes"][0])

    cnt = MnCounters(system.topo, [X, Y])
    sx = UdpStream(system.topo, addr, X, rate=100)
    sy = UdpStream(system.topo, addr, Y, rate=100)
    try:
        # Figure 2: both flows through MAG1 (Y by its policy prefer-att [4, 8], X by
        # the prefix's default binding, the first one)
        assert_flows_on(cnt, {X: "mag1", Y: "mag1"})
        assert system.flow(1)["bids"][0] == b1["bid"]

        # Figure 3: the LMA moves flow Y to MAG2; nothing is signalled
        cap = system.capture_signaling("fig3")
        f = system.ctl("lma", "flow", "move", MN_ID, 1, "--att", 8)
        assert f["bids"][0] == b2["bid"] and f["active"]
        switch_to(cnt, {X: "mag1", Y: "mag2"})
        rows = mh_rows(cap)
        assert rows == [], f"flow move with a shared prefix was signalled: {rows}"
        fl = system.flow(1)
        assert fl["bids"][0] == b2["bid"] and fl["active"] and fl["packets"] > 0

        # and back
        system.ctl("lma", "flow", "move", MN_ID, 1, "--bid", b1["bid"])
        switch_to(cnt, {X: "mag1", Y: "mag1"})
        # the LMA's data plane counted the flow and the bindings
        st = system.stats("lma")["dataplane"]
        assert st["lma_downlink_encap"] > 0 and st["rule_match"] > 0
    finally:
        sx.stop()
        sy.stop()
    # no mobility signaling of any kind went out for the two moves
    assert system.stats("lma")["signaling"]["tx"]["fmi"] == 0
    assert system.stats("lma")["signaling"]["tx"]["upn"] == 0
    assert system.stats("lma")["signaling"]["tx"]["bri"] == 0


# ---------------------------------------------------------------------------
# Figure 4: unique prefixes; a new attachment's PBU moves a prefix


P1 = "fd00:100::/64"  # the pool's first /64: MAG1's binding gets it (attached first)


@pytest.mark.system(prefix_policy="unique",
                    policies=[{"fid": 7, "priority": 5, "selector": {"dst-addr": [P1]},
                               "prefer-att": [8, 4]}])
def test_fig4_new_attachment_pbu_moves_prefix_with_bri(system):
    b1, a1 = system.attach("mag1")
    assert b1["prefixes"] == [P1]
    fl = system.flow(7)
    assert fl["bids"] == [b1["bid"]] and fl["active"]

    cnt = MnCounters(system.topo, [Y])
    cap = system.capture_signaling("fig4")
    system.attach("mag2", prefix=P1)
    # the prefix moved with the flow: the new binding holds P1, the old one not
    wait_for(lambda: P1 in system.binding_of("mag2")["prefixes"]
             and P1 not in system.binding_of("mag1")["prefixes"], timeout=10,
             what="P1 moved from MAG1's binding to MAG2's")
    b2 = system.binding_of("mag2")
    assert system.flow(7)["bids"][0] == b2["bid"]
    # the MN: P1 advertised on mn-mag2, withdrawn on mn-mag1 (RA lifetime 0)
    a2 = system.wait_mn_addr("mag2", P1)
    wait_for(lambda: not any(fmsystem.in_prefix(a, P1) for a in system.mn_addrs("mag1")),
             timeout=10, what="P1 withdrawn from mn-mag1")

    s = UdpStream(system.topo, a2, Y, rate=100)
    try:
        assert_flows_on(cnt, {Y: "mag2"})
    finally:
        s.stop()

    rows = mh_rows(cap)
    names = [r["msg"] for r in rows]
    pbus = [r for r in rows if r["msg"] == "PBU" and r["ipv6.src"] == MAG_ADDR["mag2"]]
    pbas = [r for r in rows if r["msg"] == "PBA" and r["ipv6.dst"] == MAG_ADDR["mag2"]]
    bris = [r for r in rows if r["msg"] == "BRI"]
    bras = [r for r in rows if r["msg"] == "BRA"]
    assert pbus and pbas and bris and bras, names
    # the PBA of the new attachment carries the moved prefix
    assert any(P1.split("/")[0] in hnps(r) for r in pbas if r["mip6.ba.status"] == "0"), pbas
    # BRI to the old MAG with the prefix and the old BID; BRA back from it
    bri = bris[0]
    assert bri["ipv6.src"] == LMA_ADDR and bri["ipv6.dst"] == MAG_ADDR["mag1"]
    assert bri["mip6.bri_r.trigger"] == "1" and bri["mip6.bri_ip"] in ("1", "True"), bri
    assert hnps(bri) == [P1.split("/")[0]], bri
    assert str(b1["bid"]) in bri["mip6.bi.bid"].split(","), bri
    assert bras[0]["ipv6.src"] == MAG_ADDR["mag1"]
    assert bras[0]["mip6.bri_status"] == "0", bras[0]
    # order: the PBU comes first, then the PBA and the BRI
    first_pbu = names.index("PBU")
    assert names.index("BRI") > first_pbu
