"""Namespace fixture of the data-plane tests: cn -- lma -- mag1 -- mn (DESIGN.md
addresses), uniquely tagged, torn down in finally, plus a driver for the
`bpf_fixtures dpctl` tool that programs the data plane through agent/dataplane.h.

The project's topology tool (tools/topo/) is written in parallel; this small
fixture keeps the data-plane tests self-contained until it lands.
"""
import os
import secrets
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
FIXTURES = os.path.join(BUILD, "tests", "bpf_fixtures")

MN_MAC = "02:00:00:00:01:01"
MN_ADDR = "fd00:100:0:1::10"
CN_ADDR = "fd00:1::2"
LMA_ADDR = "fd00:11::1"
MAG1_ADDR = "fd00:11::2"
MAG2_ADDR = "fd00:12::2"
MN_MAC2 = "02:00:00:00:01:02"


def sh(cmd, check=True, timeout=30):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: rc={r.returncode}\n{r.stdout}{r.stderr}")
    return r


class Topo:
    def __init__(self, two_mags=False):
        self.tag = "fmdp" + secrets.token_hex(3)
        self.two = two_mags
        self.NODES = ("cn", "lma", "mag1", "mn") + (("mag2",) if two_mags else ())
        self.ns = {n: f"{self.tag}-{n}" for n in self.NODES}

    def x(self, node, cmd, check=True, timeout=30):
        return sh(f"ip netns exec {self.ns[node]} {cmd}", check=check, timeout=timeout)

    def up(self):
        for n in self.NODES:
            sh(f"ip netns add {self.ns[n]}")
            self.x(n, "ip link set lo up")
            self.x(n, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
        ns = self.ns
        sh(f"ip -n {ns['lma']} link add lma-cn type veth peer name cn-lma netns {ns['cn']}")
        sh(f"ip -n {ns['lma']} link add lma-mag1 type veth peer name mag1-lma netns {ns['mag1']}")
        sh(f"ip -n {ns['mag1']} link add mag1-mn type veth peer name mn-mag1 netns {ns['mn']}")
        sh(f"ip -n {ns['mn']} link set mn-mag1 address {MN_MAC}")
        for node, ifs in (("cn", ["cn-lma"]), ("lma", ["lma-cn", "lma-mag1"]),
                          ("mag1", ["mag1-lma", "mag1-mn"]), ("mn", ["mn-mag1"])):
            for i in ifs:
                # Redirected frames need NAPI (GRO) on the receiver; XDP breaks
                # CHECKSUM_PARTIAL from local senders: tx offload off.
                self.x(node, f"ip link set {i} up")
                self.x(node, f"ethtool -K {i} gro on tx off", check=False)
        self.x("cn", "ip addr add fd00:1::2/64 dev cn-lma nodad")
        self.x("cn", "ip -6 route add fd00:100::/48 via fd00:1::1")
        self.x("cn", "ip -6 route add fd00:11::/64 via fd00:1::1")
        self.x("lma", "ip addr add fd00:1::1/64 dev lma-cn nodad")
        self.x("lma", "ip addr add fd00:11::1/64 dev lma-mag1 nodad")
        self.x("lma", "sysctl -qw net.ipv6.conf.all.forwarding=1")
        self.x("mag1", "ip addr add fd00:11::2/64 dev mag1-lma nodad")
        self.x("mag1", "ip addr add fe80::1/64 dev mag1-mn nodad")
        self.x("mag1", "sysctl -qw net.ipv6.conf.all.forwarding=1")
        self.x("mn", f"ip addr add {MN_ADDR}/64 dev mn-mag1 nodad")
        self.x("mn", "ip -6 route add default via fe80::1 dev mn-mag1")
        if self.two:
            sh(f"ip -n {ns['lma']} link add lma-mag2 type veth peer name mag2-lma netns {ns['mag2']}")
            sh(f"ip -n {ns['mag2']} link add mag2-mn type veth peer name mn-mag2 netns {ns['mn']}")
            sh(f"ip -n {ns['mn']} link set mn-mag2 address {MN_MAC2}")
            for node, ifs in (("lma", ["lma-mag2"]), ("mag2", ["mag2-lma", "mag2-mn"]),
                              ("mn", ["mn-mag2"])):
                for i in ifs:
                    self.x(node, f"ip link set {i} up")
                    self.x(node, f"ethtool -K {i} gro on tx off", check=False)
            self.x("lma", "ip addr add fd00:12::1/64 dev lma-mag2 nodad")
            self.x("mag2", "ip addr add fd00:12::2/64 dev mag2-lma nodad")
            self.x("mag2", "ip addr add fe80::1/64 dev mag2-mn nodad")
            self.x("mag2", "ip -6 route add fd00:11::/64 via fd00:12::1")
            self.x("mag2", "sysctl -qw net.ipv6.conf.all.forwarding=1")
        return self

    def down(self):
        for n in self.NODES:
            sh(f"ip netns del {self.ns[n]}", check=False)

    # ---- data plane through dpctl -------------------------------------------
    def lma_opts(self, mode):
        return (f"-n {self.ns['lma']} -i {self.tag}-lma -r lma -m {mode} -l {LMA_ADDR} "
                f"-c lma-cn -a lma-mag1" + (" -a lma-mag2" if self.two else ""))

    def mag2_opts(self, mode):
        return (f"-n {self.ns['mag2']} -i {self.tag}-mag2 -r mag -m {mode} -l {MAG2_ADDR} "
                f"-L {LMA_ADDR} -c mag2-lma -a mag2-mn")

    def mag_opts(self, mode):
        return (f"-n {self.ns['mag1']} -i {self.tag}-mag1 -r mag -m {mode} -l {MAG1_ADDR} "
                f"-L {LMA_ADDR} -c mag1-lma -a mag1-mn")

    LMA_STATE = (f"prefix fd00:100:0:1::/64 1 1 binding 1 1 {MAG1_ADDR} 3 peer {MAG1_ADDR}")
    MAG_STATE = f"route fd00:100:0:1::/64 mag1-mn {MN_MAC} 1"

    def dpctl(self, args, check=True):
        return sh(f"{FIXTURES} dpctl {args}", check=check)

    def stats(self, opts):
        out = self.dpctl(f"{opts} stats").stdout
        return {k: int(v) for k, v in (l.split("=", 1) for l in out.splitlines() if "=" in l)}

    def cleanup(self, mode="xdp"):
        for opts in (self.lma_opts(mode), self.mag_opts(mode)) + \
                ((self.mag2_opts(mode),) if self.two else ()):
            self.dpctl(f"{opts} cleanup", check=False)

    def tcp(self, nbytes):
        """TCP transfer CN -> MN; returns the byte count the MN's server reports."""
        self.port = getattr(self, "port", 7000) + 1
        py = ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "udp_echo.py")]
        srv = subprocess.Popen(["ip", "netns", "exec", self.ns["mn"]] + py
                               + ["tcpserver", str(self.port), "25"])
        try:
            time.sleep(0.3)
            out = self.x("cn", " ".join(py) + f" tcpclient {MN_ADDR} {self.port} {nbytes}",
                         check=False, timeout=60).stdout
        finally:
            srv.kill()
            srv.wait()
        return int(out.split("server got ")[1]) if "server got " in out else -1

    def echo(self, count=3, size=56, dontfrag=False, port=None):
        """UDP echo CN -> MN -> CN; returns (received, emsgsize)."""
        self.port = port or getattr(self, "port", 7000) + 1
        py = ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "udp_echo.py")]
        srv = subprocess.Popen(["ip", "netns", "exec", self.ns["mn"]] + py
                               + ["server", str(self.port), str(count * 0.6 + 3)])
        try:
            time.sleep(0.3)
            out = self.x("cn", " ".join(py) + f" client {MN_ADDR} {self.port} {count} {size}"
                         + (" dontfrag" if dontfrag else ""), timeout=60).stdout
        finally:
            srv.kill()
            srv.wait()
        got = int(out.split("received ")[1].split()[0])
        emsg = int(out.split("emsgsize ")[1].split()[0])
        return got, emsg
