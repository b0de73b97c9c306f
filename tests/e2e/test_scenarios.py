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
    sx = UdpStream(system, addr, X, rate=100)
    sy = UdpStream(system, addr, Y, rate=100)
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

    s = UdpStream(system, a2, Y, rate=100)
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


# ---------------------------------------------------------------------------
# Figures 5-6: FMI/FMA (seed §4), unique prefixes


def two_attachments(system):
    b1, a1 = system.attach("mag1")
    b2, a2 = system.attach("mag2")
    assert b1["bid"] != b2["bid"]
    assert set(b1["prefixes"]).isdisjoint(b2["prefixes"])  # unique prefixes (scenario 1)
    return b1, a1, b2, a2


def fmis(rows, to=None, cancel=None):
    out = []
    for r in rows:
        if r["msg"] != "FMI" or (to and r["ipv6.dst"] != MAG_ADDR[to]):
            continue
        c = r["flowmob.fmi.c"] in ("1", "True")
        if cancel is None or c == cancel:
            out.append(r)
    return out


def fmas(rows, frm):
    return [r for r in rows if r["msg"] == "FMA" and r["ipv6.src"] == MAG_ADDR[frm]]


def mag_fids(system, mag):
    return sorted(f["fid"] for f in system.ctl(mag, "flows") if f["mn"] == MN_ID)


def p2_routed_at_mag1(system, p2):
    """Figure 6: MAG1's flow state routes the moved flow's prefix to the MN."""
    return any(p2 in f.get("routes", []) for f in system.ctl("mag1", "flows") if f["fid"] == 1)


@pytest.mark.system(prefix_policy="unique", flow_signaling="fmi")
def test_fig5_6_fmi_moves_flow_between_mags(system):
    b1, a1, b2, a2 = two_attachments(system)
    Y2 = Y + 1  # also FID 1, addressed to MAG2's prefix: the draft's flow Y of Figure 5
    cnt = MnCounters(system.topo, [X, Y, Y2])
    sx = UdpStream(system, a1, X, rate=100)
    sy = UdpStream(system, a1, Y, rate=100)
    sy2 = None
    try:
        assert_flows_on(cnt, {X: "mag1", Y: "mag1"})

        # the LMA moves flow Y (FID 1, to MAG1's prefix) to MAG2: FMI to MAG2
        cap = system.capture_signaling("fig5")
        f = system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
        assert f["bids"][0] == b2["bid"]
        sy2 = UdpStream(system, a2, Y2, rate=100)
        switch_to(cnt, {X: "mag1", Y: "mag2", Y2: "mag2"})
        wait_for(lambda: 1 in mag_fids(system, "mag2"), timeout=5, what="FID 1 at MAG2")
        rows = mh_rows(cap)
        add = fmis(rows, to="mag2", cancel=False)
        assert add, [r["msg"] for r in rows]
        assert add[0]["ipv6.src"] == LMA_ADDR
        assert add[0]["flowmob.fid.fid"].split(",")[0] == "1"
        assert str(b2["bid"]) in add[0]["flowmob.bidref.bid"].split(",")
        assert '"dst_port":[5000,5999]' in add[0]["flowmob.ts.selector"]
        assert add[0]["flowmob.fmi.lifetime"] not in ("", "0")
        fa = fmas(rows, "mag2")
        assert fa and fa[0]["flowmob.fma.status"] == "0", fa
        assert all(r["flowmob.mh.checksum.status"] == "good" for r in rows if r["flowmob.msg"])

        # Figure 5: FID 1 (now also to MAG2's prefix) moves to MAG1: FMI add to MAG1,
        # FMI delete (cancel) to MAG2, both answered; Figure 6: MAG1 delivers it
        cap = system.capture_signaling("fig5-6")
        system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag1"])
        switch_to(cnt, {X: "mag1", Y: "mag1", Y2: "mag1"})
        wait_for(lambda: 1 not in mag_fids(system, "mag2"), timeout=5,
                 what="FID 1 cancelled at MAG2")
        rows = mh_rows(cap)
        names = [(r["msg"], r["ipv6.dst"]) for r in rows]
        cancel = fmis(rows, to="mag2", cancel=True)
        assert cancel, names
        assert cancel[0]["flowmob.fmi.lifetime"] == "0"
        assert cancel[0]["flowmob.fid.fid"].split(",")[0] == "1"
        assert any(r["flowmob.fma.status"] == "0" for r in fmas(rows, "mag2")), names
        add = fmis(rows, to="mag1", cancel=False)
        assert add and add[0]["flowmob.fid.fid"].split(",")[0] == "1", names
        assert any(r["flowmob.fma.status"] == "0" for r in fmas(rows, "mag1")), names
        assert system.flow(1)["bids"][0] == b1["bid"]
        assert p2_routed_at_mag1(system, b2["prefixes"][0])
    finally:
        sx.stop()
        sy.stop()
        if sy2:
            sy2.stop()
    st = system.stats("lma")["signaling"]
    assert st["tx"]["fmi"] >= 3 and st["rx"]["fma"] >= 3 and st["tx"]["upn"] == 0


# ---------------------------------------------------------------------------
# RFC 7864: the same move with UPN/UPA then PBU/PBA


@pytest.mark.system(prefix_policy="unique", flow_signaling="upn")
def test_rfc7864_upn_moves_flow(system):
    b1, a1, b2, a2 = two_attachments(system)
    p1 = b1["prefixes"][0]
    cnt = MnCounters(system.topo, [X, Y])
    sx = UdpStream(system, a1, X, rate=100)
    sy = UdpStream(system, a1, Y, rate=100)
    try:
        assert_flows_on(cnt, {X: "mag1", Y: "mag1"})
        cap = system.capture_signaling("upn")
        system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
        # after UPA and the MAG's PBU/PBA, MAG2's binding also holds MAG1's prefix
        wait_for(lambda: p1 in system.binding_of("mag2")["prefixes"], timeout=10,
                 what="MAG2's binding extended by P1")
        switch_to(cnt, {X: "mag1", Y: "mag2"})
        assert system.flow(1)["bids"][0] == b2["bid"]
        rows = mh_rows(cap)
        seq = [r["msg"] for r in rows]
        upn = [r for r in rows if r["msg"] == "UPN"]
        assert upn, seq
        u = upn[0]
        assert u["ipv6.src"] == LMA_ADDR and u["ipv6.dst"] == MAG_ADDR["mag2"]
        assert u["flowmob.upn.reason"] == "8"  # FLOW-MOBILITY
        assert u["flowmob.upn.a"] in ("1", "True")
        assert p1.split("/")[0] in hnps(u)
        assert u["flowmob.fid.fid"].split(",")[0] == "1"
        assert str(b2["bid"]) in u["mip6.bi.bid"].split(",")
        upa = [r for r in rows if r["msg"] == "UPA"]
        assert upa and upa[0]["ipv6.src"] == MAG_ADDR["mag2"] and upa[0]["flowmob.upa.status"] == "0"
        after = seq[seq.index("UPA"):]
        pbu = [r for r in rows[seq.index("UPA"):] if r["msg"] == "PBU"
               and r["ipv6.src"] == MAG_ADDR["mag2"]]
        pba = [r for r in rows[seq.index("UPA"):] if r["msg"] == "PBA"
               and r["ipv6.dst"] == MAG_ADDR["mag2"]]
        assert pbu and pba, after
        assert p1.split("/")[0] in hnps(pbu[0]) and p1.split("/")[0] in hnps(pba[0])
        assert pba[0]["mip6.ba.status"] == "0"
        assert not [r for r in rows if r["msg"] in ("FMI", "FMA")]
        # the MN now also has an address from P1 on its MAG2 link
        system.wait_mn_addr("mag2", p1)
    finally:
        sx.stop()
        sy.stop()


# ---------------------------------------------------------------------------
# Figures 7-8: bindings with BIDs, flow mobility cache with FID-PRI


@pytest.mark.system(prefix_policy="shared")
def test_fig7_8_bids_and_flow_cache_active_inactive(system):
    b1, a1 = system.attach("mag1")
    b2, a2 = system.attach("mag2")
    # Figure 7: one MN, two bindings, distinct BIDs, each with its MAG and ATT
    bs = {b["bid"]: b for b in system.bindings() if b["mn"] == MN_ID}
    assert len(bs) == 2
    assert {(b["mag"], b["att"]) for b in bs.values()} == {(MAG_ADDR["mag1"], 4),
                                                            (MAG_ADDR["mag2"], 8)}
    mb1 = system.ctl("mag1", "mag-bindings")
    mb2 = system.ctl("mag2", "mag-bindings")
    assert [m["bid"] for m in mb1] == [b1["bid"]] and [m["bid"] for m in mb2] == [b2["bid"]]

    # Figure 8: flow cache entries with FID-PRI, each bound to one BID
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 10, "--priority", 20,
               "--selector", "next-header 17 dst-port 6000", "--bid", b1["bid"])
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 11, "--priority", 30,
               "--selector", "next-header 17 dst-port 6001", "--bid", b2["bid"])
    fl = {f["fid"]: f for f in system.flows()}
    assert (fl[10]["priority"], fl[10]["bids"], fl[10]["active"]) == (20, [b1["bid"]], True)
    assert (fl[11]["priority"], fl[11]["bids"], fl[11]["active"]) == (30, [b2["bid"]], True)
    assert fl[1]["priority"] == 10

    cnt = MnCounters(system.topo, [6000, 6001])

    def phase(dst, where):
        ss = [UdpStream(system, dst, p, rate=100) for p in where]
        try:
            assert_flows_on(cnt, where, n=20)
        finally:
            for s in ss:
                s.stop()

    phase(a1, {6000: "mag1", 6001: "mag2"})

    def active(fid):
        f = system.flow(fid)
        return f and f["active"]

    # MAG1's BID de-registers (detach through MAG1's control API): FID 10 inactive
    cap = system.capture_signaling("fig8-detach-attach")
    system.ctl("mag1", "detach", MN_ID, "mag1-mn")
    wait_for(lambda: not active(10), timeout=10, what="FID 10 inactive")
    wait_for(lambda: b1["bid"] not in [b["bid"] for b in system.bindings()], timeout=10,
             what="BID of MAG1 deleted")
    assert active(11) and active(1)  # FID 1 (prefer-att [4, 8]) fell back to MAG2
    assert system.flow(1)["bids"] == [b2["bid"]]
    # an inactive entry does not steer: the packets follow the prefix (now MAG2)
    phase(a2, {6000: "mag2", 6001: "mag2"})

    # both de-registered: every entry inactive, the cache is kept
    system.ctl("mag2", "detach", MN_ID, "mag2-mn")
    wait_for(lambda: not active(11) and not active(1), timeout=10, what="all flows inactive")
    wait_for(lambda: system.bindings() == [], timeout=10, what="no bindings")
    assert {f["fid"] for f in system.flows()} == {1, 10, 11}

    # re-attach: the interfaces get their BIDs back, the entries are active again
    system.ctl("mag1", "attach", MN_ID, "mag1-mn")
    wait_for(lambda: active(10), timeout=10, what="FID 10 active again")
    assert system.binding_of("mag1")["bid"] == b1["bid"] and not active(11)
    system.ctl("mag2", "attach", MN_ID, "mag2-mn")
    wait_for(lambda: active(11), timeout=10, what="FID 11 active again")
    assert system.binding_of("mag2")["bid"] == b2["bid"]
    a1 = system.wait_mn_addr("mag1", b1["prefixes"][0])
    phase(a1, {6000: "mag1", 6001: "mag2"})
    # on the wire: each MAG de-registered its BID (lifetime 0) and got it back in the
    # Binding Identifier option of the PBA that re-registered it
    rows = mh_rows(cap)
    for mag, b in (("mag1", b1), ("mag2", b2)):
        dereg = [r for r in rows if r["msg"] == "PBU" and r["ipv6.src"] == MAG_ADDR[mag]
                 and r["mip6.bu.lifetime"] == "0"]
        assert dereg and str(b["bid"]) in dereg[0]["mip6.bi.bid"].split(","), (mag, rows)
        pba = [r for r in rows if r["msg"] == "PBA" and r["ipv6.dst"] == MAG_ADDR[mag]
               and r["mip6.ba.status"] == "0" and r["mip6.ba.lifetime"] not in ("", "0")]
        assert pba and pba[-1]["mip6.bi.bid"].split(",")[0] == str(b["bid"]), (mag, pba)


# ---------------------------------------------------------------------------
# placement policy: a flow follows its preferred access type


@pytest.mark.system(prefix_policy="shared",
                    policies=[{"fid": 1, "priority": 10,
                               "selector": {"next-header": [17], "dst-port": [5000, 5999]},
                               "prefer-att": [8, 4]}])
def test_placement_policy_follows_preferred_access(system):
    b1, a1 = system.attach("mag1")
    cnt = MnCounters(system.topo, [X, Y])
    sx = UdpStream(system, a1, X, rate=100)
    sy = UdpStream(system, a1, Y, rate=100)
    try:
        assert_flows_on(cnt, {X: "mag1", Y: "mag1"})
        assert system.flow(1)["bids"] == [b1["bid"]]
        # the preferred access (3GPP, ATT 8) attaches: flow Y moves to it
        system.attach("mag2")
        b2 = system.binding_of("mag2")
        wait_for(lambda: system.flow(1)["bids"][0] == b2["bid"], timeout=10,
                 what="FID 1 on MAG2's BID")
        switch_to(cnt, {X: "mag1", Y: "mag2"})
        # it detaches (the MN's link goes down; MAG2 notices and de-registers)
        cap = system.capture_signaling("policy-detach")
        system.mn_link("mag2", False)
        system.wait_no_binding("mag2")
        wait_for(lambda: system.flow(1)["bids"][0] == b1["bid"], timeout=10,
                 what="FID 1 back on MAG1's BID")
        switch_to(cnt, {X: "mag1", Y: "mag1"})
        rows = mh_rows(cap)
        dereg = [r for r in rows if r["msg"] == "PBU" and r["ipv6.src"] == MAG_ADDR["mag2"]
                 and r["mip6.bu.lifetime"] == "0"]
        assert dereg, [r["msg"] for r in rows]
    finally:
        sx.stop()
        sy.stop()


# ---------------------------------------------------------------------------
# seed §3.1 scenario 3 (hybrid): a shared prefix plus one per interface


@pytest.mark.system(prefix_policy="hybrid", flow_signaling="fmi")
def test_hybrid_prefixes_shared_move_silent_own_prefix_move_signalled(system):
    b1, _ = system.attach("mag1")
    b2, _ = system.attach("mag2")
    b1, b2 = system.binding_of("mag1"), system.binding_of("mag2")
    shared = set(b1["prefixes"]) & set(b2["prefixes"])
    own1 = set(b1["prefixes"]) - shared
    assert len(shared) == 1 and len(own1) == 1 and len(set(b2["prefixes"]) - shared) == 1
    ps, p1 = shared.pop(), own1.pop()
    s_addr = system.wait_mn_addr("mag1", ps)
    p1_addr = system.wait_mn_addr("mag1", p1)
    # FID 30: UDP 7000 to the shared prefix; FID 31: UDP 7001 to MAG1's own prefix
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 30, "--priority", 5,
               "--selector", f"dst-addr {ps} next-header 17 dst-port 7000", "--bid", b1["bid"])
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 31, "--priority", 6,
               "--selector", f"dst-addr {p1} next-header 17 dst-port 7001", "--bid", b1["bid"])
    cnt = MnCounters(system.topo, [7000, 7001])
    s0 = UdpStream(system, s_addr, 7000, rate=100)
    s1 = UdpStream(system, p1_addr, 7001, rate=100)
    try:
        assert_flows_on(cnt, {7000: "mag1", 7001: "mag1"})
        # the shared-prefix flow moves without signaling (as in Figures 2-3)
        cap = system.capture_signaling("hybrid-shared")
        system.ctl("lma", "flow", "move", MN_ID, 30, "--bid", b2["bid"])
        switch_to(cnt, {7000: "mag2", 7001: "mag1"})
        assert mh_rows(cap) == []
        # the flow to MAG1's own prefix needs an FMI to MAG2 (as in Figures 5-6)
        cap = system.capture_signaling("hybrid-own")
        system.ctl("lma", "flow", "move", MN_ID, 31, "--bid", b2["bid"])
        switch_to(cnt, {7000: "mag2", 7001: "mag2"})
        rows = mh_rows(cap)
        add = fmis(rows, to="mag2", cancel=False)
        assert add and add[0]["flowmob.fid.fid"].split(",")[0] == "31", rows
        assert p1.split("/")[0] in add[0]["flowmob.ts.selector"]
        assert any(r["flowmob.fma.status"] == "0" for r in fmas(rows, "mag2"))
    finally:
        s0.stop()
        s1.stop()
