# SPDX-License-Identifier: GPL-2.0
"""Attach mode per interface (lma/mag `interface-modes:`, docs/configuration.md)
with the real daemons: an LMA whose core interface runs the TC program while its
access interfaces run native XDP (the instance default), and a MAG the other way
round. Traffic flows both ways; the kernel's attachments in each namespace show exactly
one attachment of ours per interface, in its mode; a restart with other modes
moves every attachment (none left in the old mode); `flowmobd --cleanup` leaves
none."""
import subprocess

import pytest

import nslib
from attachments import attachments as kernel_attachments
from fmsystem import FLOWMOBD
from nslib import wait_for

PORT = 6000  # outside the example's policy: the MN's default binding


def attachments(system, node):
    """{ifname: (kind, mode or hook, program name)}: the kernel's attachments in node's
    namespace (tests/attachments.py: XDP from netlink, tcx links by BPF_PROG_QUERY);
    an interface attached twice fails the test."""
    got = {}
    for ifname, xs in kernel_attachments(lambda argv: system.topo.run(node, argv)).items():
        assert len(xs) == 1, (ifname, xs)
        got[ifname] = xs[0]
    return got


def dp(system, role):
    return system.stats(role)["dataplane"]


def exchange(system, addr, n, tag):
    """n UDP echoes CN -> MN -> CN, each answered."""
    for i in range(n):
        r = nslib.udp_request(system.topo.cn, addr, PORT, f"{tag}{i}")
        assert r == f"echo:{tag}{i}", f"no reply {tag}{i} from the MN ({r!r})"


TC = ("tcx", "ingress")


@pytest.mark.system(start=False)
def test_attach_mode_per_interface(system):
    lma = system.config["lma"]["lma"]
    lma["dataplane"] = "xdp"
    lma["interface-modes"] = {"lma-cn": "tc"}
    mag1 = system.config["mag1"]["mag"]
    mag1["dataplane"] = "tc"
    mag1["interface-modes"] = {"mag1-lma": "xdp"}
    for r in ("lma", "mag1"):
        system.write_config(r)
    system.start_all()

    assert attachments(system, "lma") == {
        "lma-cn": TC + ("fm_lma_tc",),
        "lma-mag1": ("xdp", "driver", "fm_lma_xdp"),
        "lma-mag2": ("xdp", "driver", "fm_lma_xdp"),
    }
    assert attachments(system, "mag1") == {
        "mag1-lma": ("xdp", "driver", "fm_mag_xdp"),
        "mag1-mn": TC + ("fm_mag_tc",),
    }

    _, addr = system.attach("mag1")
    with nslib.udp_echo_server(system.topo.mn, PORT, log=system.logfile("echo")):
        l0, m0 = dp(system, "lma"), dp(system, "mag1")
        exchange(system, addr, 5, "a")
        l1, m1 = dp(system, "lma"), dp(system, "mag1")

        def grew(a, b, *keys):
            return sum(b[k] for k in keys) - sum(a[k] for k in keys)
        # downlink: lma-cn (TC) encapsulates, mag1-lma (XDP) decapsulates;
        # uplink: mag1-mn (TC) encapsulates, lma-mag1 (XDP) decapsulates
        assert grew(l0, l1, "lma_downlink_encap", "lma_downlink_encap_stack") >= 5
        assert grew(l0, l1, "lma_uplink_decap", "lma_uplink_decap_stack") >= 5
        assert grew(m0, m1, "mag_downlink_decap") >= 5
        assert grew(m0, m1, "mag_uplink_encap", "mag_uplink_encap_stack") >= 5

        # Restart the LMA with every interface in another mode: TC by default,
        # the core in native XDP, lma-mag2 in generic XDP.
        system.stop("lma")
        lma["dataplane"] = "tc"
        lma["interface-modes"] = {"lma-cn": "xdp", "lma-mag2": "xdp-generic"}
        system.write_config("lma")
        system.start("lma")
        system.wait_ready("lma")
        assert attachments(system, "lma") == {
            "lma-cn": ("xdp", "driver", "fm_lma_xdp"),
            "lma-mag1": TC + ("fm_lma_tc",),
            "lma-mag2": ("xdp", "generic", "fm_lma_xdp"),
        }
        wait_for(lambda: nslib.udp_request(system.topo.cn, addr, PORT, "b") == "echo:b",
                 timeout=10, what="traffic after the LMA's restart")
        exchange(system, addr, 3, "c")

    # --cleanup (the daemons stopped) leaves no attachment of ours, in any mode.
    for r in ("lma", "mag1"):
        system.stop(r)
        p = subprocess.run([FLOWMOBD, "-c", system.cfg[r], "--cleanup"], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        assert attachments(system, r) == {}
