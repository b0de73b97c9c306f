# SPDX-License-Identifier: GPL-2.0
"""Namespace topology (tools/topo/flowmob-topo) and the mobile node's host settings.

No flowmob code runs here: these tests prove the network every later namespace
test stands on, and the MN's "logical interface" emulation (conntrack marks +
policy routing), which they would otherwise take on trust."""
import json
import os
import subprocess

import pytest

import nslib

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

EXPECT_ADDRS = {
    ("cn", "cn-lma"): {"fd00:1::2/64"},
    ("lma", "lma-cn"): {"fd00:1::1/64"},
    ("lma", "lma-mag1"): {"fd00:11::1/64"},
    ("lma", "lma-mag2"): {"fd00:12::1/64"},
    ("mag1", "mag1-lma"): {"fd00:11::2/64"},
    ("mag2", "mag2-lma"): {"fd00:12::2/64"},
    ("mag1", "mag1-mn"): {"fe80::1/64"},
    ("mag2", "mag2-mn"): {"fe80::1/64"},
    ("mn", "mn-mag1"): set(),
    ("mn", "mn-mag2"): set(),
}
MN_MACS = {"mn-mag1": "02:00:00:00:01:01", "mn-mag2": "02:00:00:00:01:02"}


def sysctl(topo, ns, key):
    return topo.run(ns, ["cat", "/proc/sys/" + key.replace(".", "/")]).stdout.strip()


def ifaces(topo, ns):
    return {i["ifname"]: i for i in json.loads(topo.run(ns, ["ip", "-j", "addr", "show"]).stdout)}


def addrs(iface, scope=None):
    return {f"{a['local']}/{a['prefixlen']}" for a in iface.get("addr_info", [])
            if a["family"] == "inet6" and (scope is None or a.get("scope") == scope)}


def routes(topo, ns, *args):
    return json.loads(topo.run(ns, ["ip", "-j", "-6", "route", "show", *args]).stdout)


def fwmark_rules(topo, ns):
    return [(r["priority"], int(r["fwmark"], 16), r["table"])
            for r in json.loads(topo.run(ns, ["ip", "-j", "-6", "rule", "show"]).stdout)
            if "fwmark" in r]


def test_up_builds_everything(topo):
    st = topo.status()
    assert st["complete"], st
    for role in nslib.ROLES:
        assert os.path.exists(f"/run/netns/{topo.tag}-{role}")
    for (role, ifn), want in EXPECT_ADDRS.items():
        ifs = ifaces(topo, role)
        assert ifn in ifs, f"{role}: no {ifn}"
        i = ifs[ifn]
        assert "UP" in i["flags"] and "LOWER_UP" in i["flags"], (role, ifn, i["flags"])
        assert addrs(i, "global") == want - {"fe80::1/64"}, (role, ifn)
        feats = topo.run(role, ["ethtool", "-k", ifn]).stdout
        assert "generic-receive-offload: on" in feats, (role, ifn)
        assert "tx-checksumming: off" in feats, (role, ifn)
        assert sysctl(topo, role, f"net.ipv6.conf.{ifn}.accept_dad") == "0"
    # each namespace holds exactly its own interfaces (and lo)
    for role in nslib.ROLES:
        want = {ifn for (r, ifn) in EXPECT_ADDRS if r == role} | {"lo"}
        assert set(ifaces(topo, role)) == want, role
    # the MAGs' access links carry only the shared link-local fe80::1
    for role, ifn in (("mag1", "mag1-mn"), ("mag2", "mag2-mn")):
        assert addrs(ifaces(topo, role)[ifn]) == {"fe80::1/64"}
    for ifn, mac in MN_MACS.items():
        assert ifaces(topo, "mn")[ifn]["address"] == mac
    for role in ("lma", "mag1", "mag2"):
        assert sysctl(topo, role, "net.ipv6.conf.all.forwarding") == "1", role
    for role in ("cn", "mn"):
        assert sysctl(topo, role, "net.ipv6.conf.all.forwarding") == "0", role
    cn_routes = {(r["dst"], r.get("gateway")) for r in routes(topo, "cn")}
    assert ("fd00:100::/48", "fd00:1::1") in cn_routes
    mag2_routes = {(r["dst"], r.get("gateway")) for r in routes(topo, "mag2")}
    assert ("fd00:11::1", "fd00:12::1") in mag2_routes


def test_core_reachability(topo):
    assert topo.ping("cn", "fd00:1::1"), "CN cannot reach the LMA"
    assert topo.ping("lma", "fd00:11::2"), "LMA cannot reach MAG1"
    assert topo.ping("lma", "fd00:12::2"), "LMA cannot reach MAG2"
    assert topo.ping("mag1", "fd00:11::1"), "MAG1 cannot reach the LMA address"
    assert topo.ping("mag2", "fd00:11::1"), "MAG2 cannot reach the LMA address (fd00:11::1)"
    # the probe itself must be able to fail
    assert not topo.ping("cn", "fd00:1::99", timeout=0.5)


def test_mn_gets_nothing_routed_without_flowmob(topo):
    mn = ifaces(topo, "mn")
    for ifn in ("mn-mag1", "mn-mag2"):
        assert addrs(mn[ifn], "global") == set(), "MN has a global address without any RA"
    assert not [r for r in routes(topo, "mn") if r["dst"] == "default"]
    assert not [r for r in routes(topo, "lma") if r["dst"].startswith("fd00:100")]
    assert not topo.ping("cn", "fd00:100:1::1", timeout=0.5)
    assert not topo.ping("mag1", "fd00:1::2", timeout=0.5)


def test_up_is_idempotent(topo):
    def snapshot():
        st = topo.status()
        return {role: (sorted((i["name"], i["mac"], tuple(sorted(i["addrs"])))
                              for i in e["interfaces"]), sorted(e["routes"]), e.get("mn"))
                for role, e in st["namespaces"].items()}

    before = snapshot()
    topo.up()
    topo.up()
    assert snapshot() == before
    assert len(fwmark_rules(topo, "mn")) == 2
    assert topo.ping("cn", "fd00:1::1")


def test_up_completes_half_built_state():
    t = nslib.Topo(nslib.unique_tag("h"))
    try:
        subprocess.run(["ip", "netns", "add", t.mag1], check=True)  # only one namespace
        t.up()
        assert t.status()["complete"]
        t.run("mag2", ["ip", "link", "del", "mag2-lma"])  # removes both ends
        t.run("mn", ["nft", "delete", "table", "ip6", "flowmob_mn"])
        assert not t.status()["complete"]
        t.up()
        st = t.status()
        assert st["complete"], st
        assert st["namespaces"]["mn"]["mn"]["nft_table"]
        assert t.ping("lma", "fd00:12::2")
    finally:
        t.down()
    assert t.present() == []


def test_down_leaves_nothing():
    t = nslib.Topo(nslib.unique_tag("d"))
    try:
        t.up()
        assert len(t.present()) == 5
        sleeper = t.bg("mn", ["sleep", "600"])  # a process still inside a namespace
    finally:
        t.down()
    assert t.present() == []
    assert sleeper.proc.wait(5) is not None
    assert t.status()["exists"] is False
    assert t.tool("status", check=False).returncode == 3
    t.down()  # down on nothing is fine
    # a half-built set (two namespaces) goes too
    for role in ("lma", "mn"):
        subprocess.run(["ip", "netns", "add", t.names[role]], check=True)
    assert t.tool("status", check=False).returncode == 1
    t.down()
    assert t.present() == []


def test_mn_host_settings(topo):
    for ifn in ("mn-mag1", "mn-mag2"):
        c = f"net.ipv6.conf.{ifn}."
        assert sysctl(topo, "mn", c + "accept_ra") == "2"
        assert sysctl(topo, "mn", c + "autoconf") == "1"
        assert sysctl(topo, "mn", c + "ra_honor_pio_life") == "1"
        assert sysctl(topo, "mn", c + "forwarding") == "0"
        assert sysctl(topo, "mn", c + "accept_dad") == "0"
    assert sysctl(topo, "mn", "net.ipv6.conf.all.forwarding") == "0"
    assert sorted(fwmark_rules(topo, "mn")) == [(1001, 1, "1"), (1002, 2, "2")]
    for mark, ifn in ((1, "mn-mag1"), (2, "mn-mag2")):
        tab = {(r["dst"], r.get("gateway"), r.get("dev")) for r in routes(topo, "mn", "table", str(mark))}
        assert ("default", "fe80::1", ifn) in tab, tab
    nft = json.loads(topo.run("mn", ["nft", "-j", "list", "table", "ip6", "flowmob_mn"]).stdout)
    chains = {c["chain"]["name"]: c["chain"] for c in nft["nftables"] if "chain" in c}
    assert chains["prerouting"]["hook"] == "prerouting"
    assert chains["output"]["hook"] == "output" and chains["output"]["type"] == "route"
    text = topo.run("mn", ["nft", "list", "table", "ip6", "flowmob_mn"]).stdout
    assert 'iifname "mn-mag1" ct mark set 0x00000001' in text
    assert 'iifname "mn-mag2" ct mark set 0x00000002' in text
    assert "meta mark set ct mark" in text


def test_mn_setup_subcommand_repairs(topo):
    topo.run("mn", ["nft", "delete", "table", "ip6", "flowmob_mn"])
    topo.run("mn", ["ip", "-6", "rule", "del", "pref", "1002"])
    topo.run("mn", ["sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/mn-mag1/accept_ra"])
    p = subprocess.run([nslib.PYTHON, nslib.TOPO_TOOL, "mn-setup", "--netns", topo.mn],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert sorted(fwmark_rules(topo, "mn")) == [(1001, 1, "1"), (1002, 2, "2")]
    assert sysctl(topo, "mn", "net.ipv6.conf.mn-mag1.accept_ra") == "2"
    assert topo.run("mn", ["nft", "list", "table", "ip6", "flowmob_mn"], check=False).returncode == 0
    p = subprocess.run([nslib.PYTHON, nslib.TOPO_TOOL, "mn-setup", "--netns", topo.tag + "-nosuch"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_solicit_sends_router_solicitations(topo):
    # silence the kernel's own periodic solicitations so that only ours count
    topo.run("mn", ["sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/mn-mag1/router_solicitations"])
    import time
    time.sleep(1.0)
    with topo.capture("mag1", "mag1-mn") as cap:
        time.sleep(1.5)  # nothing from the MN in this window ...
        mark = time.time()
        topo.solicit("mn-mag1")  # ... then exactly one RS
    rows = cap.fields(["frame.time_epoch", "eth.src", "ipv6.dst", "icmpv6.opt.linkaddr"],
                      "icmpv6.type == 133")
    assert [r[1:] for r in rows] == [["02:00:00:00:01:01", "ff02::2", "02:00:00:00:01:01"]], rows
    assert float(rows[0][0]) >= mark - 0.05


MN_TEST_ADDR = "fd00:100:ff::1"
PEER_ADDR = "fd00:99::1"  # the same "correspondent" address on both MAGs
PORT = 7777


def mn_link_local(topo, ifn):
    return sorted(addrs(ifaces(topo, "mn")[ifn], "link"))[0].split("/")[0]


def test_replies_leave_through_the_arrival_interface(topo):
    """Seed §6 logical interface: a flow's replies follow the interface its packets
    arrived on, also when the same flow moves from one interface to the other."""
    topo.run("mn", ["ip", "-6", "addr", "add", MN_TEST_ADDR + "/128", "dev", "lo", "nodad"])
    # the main table alone would send every reply out of mn-mag1
    topo.run("mn", ["ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", "mn-mag1"])
    for mag, ifn, acc in (("mag1", "mn-mag1", "mag1-mn"), ("mag2", "mn-mag2", "mag2-mn")):
        topo.run(mag, ["ip", "-6", "addr", "add", PEER_ADDR + "/128", "dev", "lo", "nodad"])
        topo.run(mag, ["ip", "-6", "route", "add", MN_TEST_ADDR, "via",
                       mn_link_local(topo, ifn), "dev", acc])

    srv = nslib.udp_echo_server(topo.mn, PORT)
    try:
        with topo.capture("mn", ["mn-mag1", "mn-mag2"]) as cap:
            # three flows: one per MAG, and one flow (same 5-tuple) that moves mag1 -> mag2 -> mag1
            assert nslib.udp_request(topo.mag1, MN_TEST_ADDR, PORT, "a", src="fd00:11::2") == "echo:a"
            assert nslib.udp_request(topo.mag2, MN_TEST_ADDR, PORT, "b", src="fd00:12::2") == "echo:b"
            for i, mag in enumerate(("mag1", "mag2", "mag1")):
                got = nslib.udp_request(topo.ns(mag), MN_TEST_ADDR, PORT, f"m{i}",
                                        src=PEER_ADDR, sport=40000)
                assert got == f"echo:m{i}", f"moved flow, step {i} via {mag}: no reply"
        rows = cap.fields(["frame.interface_name", "ipv6.dst", "udp.dstport", "udp.payload"],
                          f"udp.srcport == {PORT}")
        seen = [(r[0], r[1]) for r in rows]
        assert seen == [("mn-mag1", "fd00:11::2"), ("mn-mag2", "fd00:12::2"),
                        ("mn-mag1", PEER_ADDR), ("mn-mag2", PEER_ADDR), ("mn-mag1", PEER_ADDR)], rows

        # negative control: without the mark-2 rule the reply to MAG2 leaves via mn-mag1
        topo.run("mn", ["ip", "-6", "rule", "del", "pref", "1002"])
        assert nslib.udp_request(topo.mag2, MN_TEST_ADDR, PORT, "c", src="fd00:12::2",
                                 timeout=1.0) is None
        subprocess.run([nslib.PYTHON, nslib.TOPO_TOOL, "mn-setup", "--netns", topo.mn], check=True)
        assert nslib.udp_request(topo.mag2, MN_TEST_ADDR, PORT, "d", src="fd00:12::2") == "echo:d"
    finally:
        srv.stop()


RA_SCRIPT = r"""
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, sendp, get_if_hwaddr
iface, prefix, valid, preferred, router_lft = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
mac = get_if_hwaddr(iface)
ra = (Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255)
      / ICMPv6ND_RA(routerlifetime=router_lft)
      / ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=64, L=0, A=1,
                              validlifetime=valid, preferredlifetime=preferred)
      / ICMPv6NDOptSrcLLAddr(lladdr=mac))
sendp(ra, iface=iface, verbose=False)
"""


def send_ra(topo, mag, iface, prefix, valid, preferred, router_lft=1800):
    topo.run(mag, [nslib.PYTHON, "-c", RA_SCRIPT, iface, prefix, str(valid), str(preferred),
                   str(router_lft)])


def test_mn_slaac_and_prefix_withdrawal(topo):
    """The MN configures itself from a MAG's RA (SLAAC, default router fe80::1) and,
    with ra_honor_pio_life=1, drops a prefix at once when an RA withdraws it; the
    stock behaviour (RFC 4862's two-hour rule) would keep it."""
    send_ra(topo, "mag1", "mag1-mn", "fd00:100:1::", 600, 300)
    send_ra(topo, "mag2", "mag2-mn", "fd00:100:2::", 600, 300)
    a1 = topo.wait_mn_addr("mn-mag1", "fd00:100:1::/64")
    a2 = topo.wait_mn_addr("mn-mag2", "fd00:100:2::/64")
    assert a1 == "fd00:100:1::ff:fe00:101" and a2 == "fd00:100:2::ff:fe00:102"
    defaults = {(r.get("gateway"), r.get("dev")) for r in routes(topo, "mn") if r["dst"] == "default"}
    assert defaults == {("fe80::1", "mn-mag1"), ("fe80::1", "mn-mag2")}, defaults

    # control: the stock setting on mn-mag2 ignores the withdrawal
    topo.run("mn", ["sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/mn-mag2/ra_honor_pio_life"])
    send_ra(topo, "mag1", "mag1-mn", "fd00:100:1::", 0, 0)
    send_ra(topo, "mag2", "mag2-mn", "fd00:100:2::", 0, 0)
    nslib.wait_for(lambda: topo.addrs("mn", "mn-mag1") == [], timeout=5,
                   what="withdrawn prefix removed from mn-mag1")
    assert topo.addrs("mn", "mn-mag2") == [a2]


def test_cli_rejects_bad_tags_and_lists_tags(topo):
    for bad in ("", "-x", "a/b", "x" * 33, "a b"):
        p = subprocess.run([nslib.PYTHON, nslib.TOPO_TOOL, "up", f"--tag={bad}"],
                           capture_output=True, text=True)
        assert p.returncode == 2 and "bad tag" in p.stderr, bad
    p = subprocess.run([nslib.PYTHON, nslib.TOPO_TOOL, "list"], capture_output=True, text=True)
    assert f"{topo.tag}\tcn,lma,mag1,mag2,mn" in p.stdout.splitlines()
