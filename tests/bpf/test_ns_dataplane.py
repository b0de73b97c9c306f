# SPDX-License-Identifier: GPL-2.0
"""Namespace tests of the data plane: real packets CN -> LMA -> MAG -> MN and back
through the BPF programs (XDP and TC), PTB from the LMA, and forwarding that
survives the death of the process that programmed the maps.

The topology is the project's (the `topo` fixture, tools/topo/flowmob-topo: all five
namespaces); on top of it the MN is a static host (dpdriver.Dataplane.setup_static_mn)
and `bpf_fixtures dpctl` programs the LMA and the MAGs (tests/bpf/dpdriver.py)."""
import json
import os
import signal
import subprocess
import time

import pytest

import nslib
from attachments import attachments as kernel_attachments
from dpdriver import (FIXTURES, LMA_ADDR, LMA_STATE, MAG2_STATE, MAG_STATE, PIN_ROOT,
                      Dataplane)

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(FIXTURES),
                                reason="needs root and build/tests/bpf_fixtures")


@pytest.fixture
def dp(topo):
    """The data plane of a fresh topology with a static MN; on teardown (also after a
    failure) every instance is detached and unpinned, before `topo` removes the
    namespaces, and a pin directory left behind fails the test."""
    d = Dataplane(topo)
    try:
        d.setup_static_mn()
        yield d
    finally:
        left = d.cleanup()
        if left:
            raise RuntimeError(f"pin directories left behind: {left}")


def test_no_dataplane_no_path(dp):
    """Control: without the programs the LMA kernel has no route to the MN."""
    assert dp.echo(count=2)[0] == 0


@pytest.mark.parametrize("mode", ["xdp", "tc"])
def test_ping_both_ways(dp, mode):
    dp.dpctl(f"{dp.lma_opts(mode)} {LMA_STATE}")
    dp.dpctl(f"{dp.mag_opts(mode)} {MAG_STATE}")
    got, _ = dp.echo(count=5)
    assert got == 5
    lma = dp.stats(dp.lma_opts(mode))
    mag = dp.stats(dp.mag_opts(mode))
    assert lma["lma_downlink_encap"] + lma["lma_downlink_encap_stack"] >= 5
    assert lma["lma_uplink_decap"] + lma["lma_uplink_decap_stack"] >= 5
    assert mag["mag_downlink_decap"] >= 5
    assert mag["mag_uplink_encap"] + mag["mag_uplink_encap_stack"] >= 5
    # After the first packets the next hops are resolved: the fast path is used.
    assert lma["lma_downlink_encap"] >= 1 and mag["mag_uplink_encap"] >= 1
    c = dp.dpctl(f"{dp.lma_opts(mode)} bcount 1 1").stdout
    assert "packets=" in c and int(c.split("packets=")[1].split()[0]) >= 10


@pytest.mark.parametrize("mode", ["xdp", "tc"])
def test_tcp_transfer_full_size_segments(dp, mode):
    """4 MB of TCP CN -> MN: full-size segments do not fit the tunnel, so the path MTU
    must come down through our PTB (XDP sees single frames, TC sees GRO packets)."""
    dp.dpctl(f"{dp.lma_opts(mode)} {LMA_STATE}")
    dp.dpctl(f"{dp.mag_opts(mode)} {MAG_STATE}")
    n = 4 * 1024 * 1024
    assert dp.tcp(n) == n
    assert dp.stats(dp.lma_opts(mode))["ptb_sent"] >= 1


@pytest.mark.parametrize("mode", ["xdp", "tc"])
def test_flow_rule_moves_flow_to_second_mag(dp, mode):
    """MN bound through MAG1 (BID 1, default) and MAG2 (BID 2); a rule sends UDP
    dst-port 7100-7199 to BID 2. Real packets follow the rule; replacing the rule set
    (two-slot flip) moves the flow back, with no restart of anything."""
    lma = dp.lma_opts(mode)
    dp.dpctl(f"{lma} {LMA_STATE} binding 1 2 fd00:12::2 4 peer fd00:12::2 "
             f"rule 1 10 1 2 17 7100 7199")
    dp.dpctl(f"{dp.mag_opts(mode)} {MAG_STATE}")
    dp.dpctl(f"{dp.mag2_opts(mode)} {MAG2_STATE}")
    m1 = dp.stats(dp.mag_opts(mode))["mag_downlink_decap"]
    m2 = dp.stats(dp.mag2_opts(mode))["mag_downlink_decap"]
    assert dp.echo(count=4, port=7150)[0] == 4
    assert dp.stats(dp.mag2_opts(mode))["mag_downlink_decap"] - m2 == 4
    assert dp.stats(dp.mag_opts(mode))["mag_downlink_decap"] - m1 == 0
    assert dp.echo(count=4, port=7250)[0] == 4   # outside the range: default, MAG1
    assert dp.stats(dp.mag_opts(mode))["mag_downlink_decap"] - m1 == 4
    assert dp.stats(dp.lma_opts(mode))["rule_match"] >= 1
    # Flow moves back: an empty rule set for MN 1.
    dp.dpctl(f"{lma} norules 1")
    assert dp.echo(count=4, port=7150)[0] == 4
    assert dp.stats(dp.mag_opts(mode))["mag_downlink_decap"] - m1 == 8
    assert dp.stats(dp.mag2_opts(mode))["mag_downlink_decap"] - m2 == 4
    # The static MN (no policy routing) answers every flow through MAG1.
    s2 = dp.stats(dp.mag2_opts(mode))
    assert s2["mag_uplink_encap"] + s2["mag_uplink_encap_stack"] == 0


def test_bpftool_shows_named_fields(dp):
    dp.dpctl(f"{dp.lma_opts('xdp')} {LMA_STATE}")
    pin = dp.pindir(dp.lma_opts("xdp"))
    # the binding cache keyed [MN, BID] ...
    out = nslib.run(None, f"bpftool -j map dump pinned {pin}/fm_binding").stdout
    e = [x.get("formatted", x) for x in json.loads(out)]
    assert [(x["key"]["mn"], x["key"]["bid"]) for x in e] == [(1, 1)]
    v = e[0]["value"]
    assert v["att"] == 3 and v["coa"][:2] == [0xfd, 0x00] and v["coa"][15] == 2
    # ... and the copy-on-write value the programs read (index v["bi"])
    out = nslib.run(None, f"bpftool -j map lookup pinned {pin}/fm_bval "
                          f"key {v['bi']} 0 0 0").stdout
    b = json.loads(out)
    b = b.get("formatted", b)["value"]
    assert b["mn"] == 1 and b["bid"] == 1 and b["coa"] == v["coa"]
    out = nslib.run(None, f"bpftool -j map lookup pinned {pin}/fm_mn key 1 0 0 0").stdout
    m = json.loads(out)
    m = m.get("formatted", m)["value"]
    assert m["bind"][0]["bid"] == 1 and m["bind"][0]["bi"] == 1 and "epoch" in m["ver"]


def test_packet_too_big_from_lma(dp):
    dp.dpctl(f"{dp.lma_opts('xdp')} {LMA_STATE}")
    dp.dpctl(f"{dp.mag_opts('xdp')} {MAG_STATE}")
    assert dp.echo(count=2)[0] == 2
    # 1452 + 8 + 40 = 1500 octets: does not fit a 1500-octet tunnel (inner MTU 1460).
    got, emsg = dp.echo(count=3, size=1452, dontfrag=True)
    assert got == 0 and emsg >= 1
    route = dp.topo.run("cn", "ip -6 route get fd00:100:0:1::10").stdout
    assert "mtu 1460" in route, route
    assert dp.echo(count=2, size=1400)[0] == 2
    assert dp.stats(dp.lma_opts("xdp"))["ptb_sent"] >= 1


def test_forwarding_survives_agent_kill_and_restart(dp):
    holder = subprocess.Popen(
        f"exec {FIXTURES} dpctl {dp.lma_opts('xdp')} {LMA_STATE} hold",
        shell=True, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        dp.dpctl(f"{dp.mag_opts('xdp')} {MAG_STATE}")
        assert dp.echo(count=3)[0] == 3
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=5)
        time.sleep(0.2)
        assert dp.echo(count=5)[0] == 5
        # A restart finds the pinned maps, replaces the program, keeps forwarding.
        out = dp.dpctl(f"{dp.lma_opts('xdp')} reused").stdout
        assert "reused=1" in out
        assert dp.echo(count=3)[0] == 3
        # --cleanup: detached and unpinned, the path is gone.
        pin = dp.pindir(dp.lma_opts("xdp"))
        dp.dpctl(f"{dp.lma_opts('xdp')} cleanup")
        assert not os.path.exists(pin)
        assert "prog/xdp" not in dp.topo.run("lma", "ip -d link show lma-cn").stdout
        assert dp.echo(count=1)[0] == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def attachments(dp, node):
    """The kernel's attachments in the node's namespace (tests/attachments.py):
    {ifname: (kind, detail, program name)}, kind "xdp" (driver/generic) or "tcx"
    (ingress). A second attachment of an interface fails."""
    got = {}
    for ifname, xs in kernel_attachments(lambda argv: dp.topo.run(node, argv)).items():
        assert len(xs) == 1, (ifname, xs)
        got[ifname] = xs[0]
    return got


def test_attach_mode_per_interface(dp):
    """One LMA: its core interface in TC, its access interfaces in native XDP (the
    instance default). Traffic flows both ways through both programs; bpftool shows
    exactly one attachment of ours per interface, in its mode. A restart with other
    modes per interface moves each attachment (none left in the old mode), and
    cleanup leaves none."""
    base = f"-n {dp.topo.lma} -i {dp.instance('lma')} -r lma -l {LMA_ADDR}"
    lma = f"{base} -m xdp -c lma-cn:tc -a lma-mag1 -a lma-mag2"
    dp.dpctl(f"{lma} {LMA_STATE}")
    dp.dpctl(f"{dp.mag_opts('xdp')} {MAG_STATE}")
    assert attachments(dp, "lma") == {
        "lma-cn": ("tcx", "ingress", "fm_lma_tc"),
        "lma-mag1": ("xdp", "driver", "fm_lma_xdp"),
        "lma-mag2": ("xdp", "driver", "fm_lma_xdp"),
    }
    got, _ = dp.echo(count=5)
    assert got == 5
    s = dp.stats(lma)
    # downlink enters lma-cn (TC program), uplink enters lma-mag1 (XDP program)
    assert s["lma_downlink_encap"] + s["lma_downlink_encap_stack"] >= 5
    assert s["lma_uplink_decap"] + s["lma_uplink_decap_stack"] >= 5

    # Restart with each interface in another mode: TC by default, core native XDP,
    # lma-mag1 generic XDP.
    lma2 = f"{base} -m tc -c lma-cn:xdp -a lma-mag1:xdpgeneric -a lma-mag2"
    assert "reused=1" in dp.dpctl(f"{lma2} reused").stdout
    assert attachments(dp, "lma") == {
        "lma-cn": ("xdp", "driver", "fm_lma_xdp"),
        "lma-mag1": ("xdp", "generic", "fm_lma_xdp"),
        "lma-mag2": ("tcx", "ingress", "fm_lma_tc"),
    }
    assert dp.echo(count=3)[0] == 3

    # Back to the first layout: the XDP programs leave lma-cn, lma-mag1 changes XDP mode.
    dp.dpctl(lma)
    assert attachments(dp, "lma") == {
        "lma-cn": ("tcx", "ingress", "fm_lma_tc"),
        "lma-mag1": ("xdp", "driver", "fm_lma_xdp"),
        "lma-mag2": ("xdp", "driver", "fm_lma_xdp"),
    }
    assert dp.echo(count=3)[0] == 3

    # Cleanup knows nothing of the modes (default xdp, no per-interface ones).
    dp.dpctl(f"{base} -m xdp -c lma-cn -a lma-mag1 -a lma-mag2 cleanup")
    assert attachments(dp, "lma") == {}
    assert dp.echo(count=1)[0] == 0


def prog_ids(dp, node):
    """{ifname: program id} of the node's attachments (one per interface)."""
    got = kernel_attachments(lambda argv: dp.topo.run(node, argv), ids=True)
    assert all(len(xs) == 1 for xs in got.values()), got
    return {k: xs[0][2] for k, xs in got.items()}


def link_pins(path):
    return sorted(f for f in os.listdir(path) if f.startswith("link_"))


def test_program_named_like_ours_is_not_ours(dp):
    """Ownership is the instance's pinned links, not a program name: an XDP program
    called fm_lma_xdp that someone else attached (through netlink), or that another
    instance attached (its link), is never replaced or detached. The open fails, and
    a failed first open leaves nothing it created: no link on the interfaces attached
    before the failing one, no pins."""
    foreign = f"-n {dp.topo.lma} -i {dp.topo.tag}-foreign -r lma -m xdp -l {LMA_ADDR}"
    other = f"-n {dp.topo.lma} -i {dp.topo.tag}-other -r lma -m tc -l {LMA_ADDR} -c lma-cn:xdp"
    mine = os.path.join(PIN_ROOT, dp.instance("lma"))
    try:
        dp.dpctl(f"{foreign} netlinkxdp lma-mag2")
        dp.dpctl(f"{foreign} cleanup")  # its pins go, the netlink attachment stays
        before = prog_ids(dp, "lma")
        assert attachments(dp, "lma") == {"lma-mag2": ("xdp", "driver", "fm_lma_xdp")}
        # native XDP on lma-mag2 (the last interface: lma-cn and lma-mag1 come first)
        p = dp.dpctl(f"{dp.lma_opts('xdp')} {LMA_STATE}", check=False)
        assert p.returncode != 0 and "not by this instance" in p.stderr, p.stderr
        assert prog_ids(dp, "lma") == before
        assert not os.path.exists(mine)
        # TC everywhere: our tcx links go beside it; the XDP program is not removed
        # as "ours in another mode"
        dp.dpctl(f"{dp.lma_opts('tc')} {LMA_STATE}")
        got = kernel_attachments(lambda argv: dp.topo.run("lma", argv), ids=True)
        assert ("xdp", "driver", before["lma-mag2"]) in got["lma-mag2"]
        assert sorted(x[0] for x in got["lma-mag2"]) == ["tcx", "xdp"]
        dp.dpctl(f"{dp.lma_opts('tc')} cleanup")
        assert prog_ids(dp, "lma") == before
        dp.topo.run("lma", "ip link set dev lma-mag2 xdp off")

        # another instance's link on lma-cn: same program name, not ours either
        dp.dpctl(other)
        before = prog_ids(dp, "lma")
        p = dp.dpctl(f"{dp.lma_opts('xdp')} {LMA_STATE}", check=False)
        assert p.returncode != 0 and "not by this instance" in p.stderr, p.stderr
        assert prog_ids(dp, "lma") == before and not os.path.exists(mine)
        dp.dpctl(f"{other} cleanup")
        assert attachments(dp, "lma") == {}
        dp.dpctl(f"{dp.lma_opts('xdp')} {LMA_STATE}")
        dp.dpctl(f"{dp.mag_opts('xdp')} {MAG_STATE}")
        assert dp.echo(count=2)[0] == 2
    finally:
        dp.topo.run("lma", "ip link set dev lma-mag2 xdp off", check=False)
        dp.dpctl(f"{foreign} cleanup", check=False)
        dp.dpctl(f"{other} cleanup", check=False)


def test_restart_swaps_programs_in_pinned_links(dp):
    """A restart swaps its programs into the links pinned by the earlier run (new
    program ids, the same link pins, forwarding throughout); a restart that fails on
    one interface gives every updated link its earlier program back and creates
    nothing; an interface no longer listed loses its link; cleanup needs no
    interface list: it detaches every pinned link."""
    dp.dpctl(f"{dp.lma_opts('xdp')} {LMA_STATE}")
    dp.dpctl(f"{dp.mag_opts('xdp')} {MAG_STATE}")
    pin = dp.pindir(dp.lma_opts("xdp"))
    assert link_pins(pin) == ["link_xdp_lma-cn", "link_xdp_lma-mag1", "link_xdp_lma-mag2"]
    first = prog_ids(dp, "lma")
    assert "reused=1" in dp.dpctl(f"{dp.lma_opts('xdp')} reused").stdout
    second = prog_ids(dp, "lma")
    assert set(second) == set(first) and all(second[k] != first[k] for k in first)
    assert dp.echo(count=2)[0] == 2

    p = dp.dpctl(f"{dp.lma_opts('xdp')} -a fm-absent0", check=False)
    assert p.returncode != 0
    assert prog_ids(dp, "lma") == second
    assert link_pins(pin) == ["link_xdp_lma-cn", "link_xdp_lma-mag1", "link_xdp_lma-mag2"]
    assert dp.echo(count=2)[0] == 2

    base = f"-n {dp.topo.lma} -i {dp.instance('lma')} -r lma -l {LMA_ADDR}"
    dp.dpctl(f"{base} -m xdp -c lma-cn -a lma-mag1")
    assert set(attachments(dp, "lma")) == {"lma-cn", "lma-mag1"}
    assert link_pins(pin) == ["link_xdp_lma-cn", "link_xdp_lma-mag1"]
    assert dp.echo(count=2)[0] == 2

    dp.dpctl(f"{base} -m xdp cleanup")
    assert attachments(dp, "lma") == {} and not os.path.exists(pin)
