# SPDX-License-Identifier: GPL-2.0
"""dpdriver: the data-plane namespace tests' driver of the dataplane API.

Owns: the static mobile-node host the data-plane tests put on top of the project's
topology (tools/topo/flowmob-topo through the `topo` fixture, tests/nslib.py), the
`bpf_fixtures dpctl` command lines of the LMA and both MAGs (tests/bpf/dpctl.c),
their counters, their cleanup, and the UDP echo / TCP transfer CN -> MN -> CN
(tests/bpf/udp_echo.py). It builds no namespace or interface itself.
"""
import json
import os

import nslib

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("BUILD", os.path.join(nslib.REPO, "build"))
FIXTURES = os.path.join(BUILD, "tests", "bpf_fixtures")
ECHO = [nslib.PYTHON, os.path.join(HERE, "udp_echo.py")]
PIN_ROOT = "/sys/fs/bpf/flowmob"

MN_MAC = "02:00:00:00:01:01"
MN_MAC2 = "02:00:00:00:01:02"
MN_ADDR = "fd00:100:0:1::10"
MN_PREFIX = "fd00:100:0:1::/64"
CN_ADDR = "fd00:1::2"
LMA_ADDR = "fd00:11::1"
MAG1_ADDR = "fd00:11::2"
MAG2_ADDR = "fd00:12::2"
MAG_LL = "fe80::1"

# MN 1 with prefix MN_PREFIX, default BID 1 = MAG1 (access technology 3); MAG1 and
# MAG2 deliver that prefix to the MN's MAC on their access link.
LMA_STATE = f"prefix {MN_PREFIX} 1 1 binding 1 1 {MAG1_ADDR} 3 peer {MAG1_ADDR}"
MAG_STATE = f"route {MN_PREFIX} mag1-mn {MN_MAC} 1"
MAG2_STATE = f"route {MN_PREFIX} mag2-mn {MN_MAC2} 1"


class Dataplane:
    """The data plane of one topology (an nslib.Topo), programmed through dpctl."""

    def __init__(self, topo):
        self.topo = topo
        self.port = 7000

    # ---- the MN as a static host ----------------------------------------------
    def setup_static_mn(self):
        """The tool's MN gets its addresses by SLAAC from flowmobd's RAs and keeps
        replies on a flow's arrival interface (conntrack marks + policy routing).
        These tests run no flowmobd: the MN gets the fixed address MN_ADDR on
        mn-mag1 and a default route via the MAGs' fe80::1 there, and its policy
        routing is removed, so that every reply leaves through mn-mag1 and MAG1
        whichever MAG delivered the request (what the counters below measure)."""
        t = self.topo
        t.run("mn", ["nft", "delete", "table", "ip6", "flowmob_mn"])
        for r in json.loads(t.run("mn", ["ip", "-j", "-6", "rule", "show"]).stdout or "[]"):
            if "fwmark" in r:
                t.run("mn", ["ip", "-6", "rule", "del", "pref", str(r["priority"])])
        assert t.run("mn", ["nft", "list", "table", "ip6", "flowmob_mn"],
                     check=False).returncode != 0
        assert "fwmark" not in t.run("mn", ["ip", "-6", "rule", "show"]).stdout
        t.run("mn", ["ip", "-6", "addr", "add", f"{MN_ADDR}/64", "dev", "mn-mag1", "nodad"])
        t.run("mn", ["ip", "-6", "route", "add", "default", "via", MAG_LL, "dev", "mn-mag1"])
        return self

    # ---- dpctl command lines ---------------------------------------------------
    def instance(self, role):
        return f"{self.topo.tag}-{role}"

    def lma_opts(self, mode):
        return (f"-n {self.topo.lma} -i {self.instance('lma')} -r lma -m {mode} "
                f"-l {LMA_ADDR} -c lma-cn -a lma-mag1 -a lma-mag2")

    def mag_opts(self, mode):
        return (f"-n {self.topo.mag1} -i {self.instance('mag1')} -r mag -m {mode} "
                f"-l {MAG1_ADDR} -L {LMA_ADDR} -c mag1-lma -a mag1-mn")

    def mag2_opts(self, mode):
        return (f"-n {self.topo.mag2} -i {self.instance('mag2')} -r mag -m {mode} "
                f"-l {MAG2_ADDR} -L {LMA_ADDR} -c mag2-lma -a mag2-mn")

    def dpctl(self, args, check=True):
        # from the host: dpctl enters the namespace itself, so pins stay in its bpffs
        return nslib.run(None, f"{FIXTURES} dpctl {args}", check=check)

    def stats(self, opts):
        out = self.dpctl(f"{opts} stats").stdout
        return {k: int(v) for k, v in (l.split("=", 1) for l in out.splitlines() if "=" in l)}

    def pindir(self, opts):
        return self.dpctl(f"{opts} pindir").stdout.split("pindir=")[1].strip()

    def cleanup(self, mode="xdp"):
        """Detaches and unpins every instance; returns the pin directories left."""
        for opts in (self.lma_opts(mode), self.mag_opts(mode), self.mag2_opts(mode)):
            self.dpctl(f"{opts} cleanup", check=False)
        return [p for p in (os.path.join(PIN_ROOT, self.instance(r))
                            for r in ("lma", "mag1", "mag2")) if os.path.exists(p)]

    # ---- traffic ---------------------------------------------------------------
    def _server(self, args):
        srv = self.topo.bg("mn", ECHO + args)
        nslib.wait_for(lambda: "ready" in srv.output() or not srv.alive(), timeout=10,
                       interval=0.02, what="echo server on the MN")
        if not srv.alive():
            srv.stop()
            raise nslib.NsError(f"echo server died: {srv.output()}")
        return srv

    def tcp(self, nbytes):
        """TCP transfer CN -> MN; returns the byte count the MN's server reports."""
        self.port += 1
        with self._server(["tcpserver", str(self.port), "25"]):
            out = self.topo.run("cn", ECHO + ["tcpclient", MN_ADDR, str(self.port), str(nbytes)],
                                check=False, timeout=60).stdout
        return int(out.split("server got ")[1]) if "server got " in out else -1

    def echo(self, count=3, size=56, dontfrag=False, port=None):
        """UDP echo CN -> MN -> CN; returns (received, emsgsize)."""
        self.port = port or self.port + 1
        with self._server(["server", str(self.port), str(count * 0.6 + 3)]):
            out = self.topo.run("cn", ECHO + ["client", MN_ADDR, str(self.port), str(count),
                                              str(size)] + (["dontfrag"] if dontfrag else []),
                                timeout=60).stdout
        got = int(out.split("received ")[1].split()[0])
        emsg = int(out.split("emsgsize ")[1].split()[0])
        return got, emsg
