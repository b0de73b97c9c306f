# SPDX-License-Identifier: GPL-2.0
"""fmsystem: the whole flowmob system (LMA + MAG1 + MAG2) in a test topology.

Owns: per-test configurations derived from docs/examples/*.yaml (private control
sockets, state directories, unique instance names, short timers), starting and
stopping flowmobd per role (also kill -9 and restart), flowmobctl -j, attaching
the MN, signaling captures on the LMA's MAG-facing links decoded with the
Lua dissector, MN-side per-interface nftables counters and CN-side traffic.
The pytest fixture `system` (tests/e2e/conftest.py) builds one and always tears
it down (flowmobd --cleanup for every role, then the topology).
"""
import copy
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import yaml

import nslib
from nslib import wait_for

REPO = nslib.REPO
BUILD = os.path.join(REPO, "build")
FLOWMOBD = os.path.join(BUILD, "flowmobd")
FLOWMOBCTL = os.path.join(BUILD, "flowmobctl")
EXAMPLES = os.path.join(REPO, "docs", "examples")
ROLES = ("lma", "mag1", "mag2")
MN_ID = "mn1@example.net"
MN_IF = {"mag1": "mn-mag1", "mag2": "mn-mag2"}
MAG_ADDR = {"mag1": "fd00:11::2", "mag2": "fd00:12::2"}
ATT = {"mag1": 4, "mag2": 8}  # docs/examples: MAG1 802.11, MAG2 3GPP E-UTRAN
LMA_ADDR = "fd00:11::1"
CN_ADDR = "fd00:1::2"
PIN_ROOT = "/sys/fs/bpf/flowmob"

# Short timers: the suite must be fast (docs/configuration.md for the units).
LMA_TIMERS = {"min-delay-before-bce-delete": 500, "max-delay-before-new-bce-assign": 300,
              "timestamp-window": 1000, "heartbeat-interval": 0, "heartbeat-missed": 3,
              "retransmit-initial": 200, "retransmit-max": 1000, "max-lifetime": 120}
MAG_TIMERS = {"retransmit-initial": 200, "retransmit-max": 1000, "lifetime": 120,
              "ra-interval": 2, "idle-timeout": 0, "heartbeat-interval": 0,
              "heartbeat-missed": 3}


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # libcyaml refuses aliases
        return True


def _load_example(name):
    with open(os.path.join(EXAMPLES, name + ".yaml")) as f:
        return yaml.safe_load(f)


class System:
    """LMA, MAG1 and MAG2 (flowmobd) in topo's namespaces.

    opts: prefix_policy ('unique'|'shared'|'hybrid', for the LMA and mn1),
    flow_signaling ('fmi'|'upn'), policies (LMA policy list in YAML form;
    default: the example's), lma_timers / mag_timers (overrides)."""

    def __init__(self, topo, prefix_policy="shared", flow_signaling="fmi", policies=None,
                 lma_timers=None, mag_timers=None, log_level="debug"):
        self.topo = topo
        self.dir = tempfile.mkdtemp(prefix=f"fm-{topo.tag}-")
        self.inst = {r: f"{topo.tag}-{r}" for r in ROLES}
        self.sock = {r: os.path.join(self.dir, f"{r}.sock") for r in ROLES}
        self.cfg = {r: os.path.join(self.dir, f"{r}.yaml") for r in ROLES}
        self.proc = {}
        self.logs = []
        self.captures = []

        lma = _load_example("lma")
        self._common(lma, "lma", log_level)
        lma["lma"]["prefix-policy"] = prefix_policy
        lma["lma"]["flow-signaling"] = flow_signaling
        for mn in lma["lma"].get("mobile-nodes", []):
            mn["prefix-policy"] = prefix_policy
        if policies is not None:
            lma["lma"]["policies"] = copy.deepcopy(policies)
        if not lma["lma"].get("policies"):
            lma["lma"].pop("policies", None)
        lma["lma"]["timers"] = dict(LMA_TIMERS, **(lma_timers or {}))
        self.config = {"lma": lma}
        for r in ("mag1", "mag2"):
            m = _load_example(r)
            self._common(m, r, log_level)
            m["mag"]["timers"] = dict(MAG_TIMERS, **(mag_timers or {}))
            self.config[r] = m
        for r in ROLES:
            self.write_config(r)
        # The MN's links stay down until a test attaches it (system.attach), so
        # that the order of attachments (and so the BIDs) is the test's.
        for mag in MN_IF:
            self.mn_link(mag, False)

    def _common(self, c, role, log_level):
        c["instance"] = self.inst[role]
        c["control-socket"] = self.sock[role]
        c["state-dir"] = os.path.join(self.dir, f"{role}.state")
        c["netns"] = self.topo.ns(role)
        c["log-level"] = log_level

    def write_config(self, role):
        with open(self.cfg[role], "w") as f:
            yaml.dump(self.config[role], f, Dumper=_Dumper, default_flow_style=False,
                      sort_keys=False)

    # -- processes -------------------------------------------------------

    def start(self, role, timeout=30.0):
        log = os.path.join(self.dir, f"{role}.{len(self.logs)}.log")
        self.logs.append((role, log))
        if os.path.exists(self.sock[role]):
            os.unlink(self.sock[role])
        p = nslib.Bg(None, [FLOWMOBD, "-c", self.cfg[role]], log=log)
        self.proc[role] = p
        return p

    def wait_ready(self, role, timeout=30.0):
        p = self.proc[role]
        wait_for(lambda: (os.path.exists(self.sock[role]) and self.ctl_ok(role, "version"))
                 or not p.alive(), timeout=timeout, interval=0.1,
                 what=f"flowmobd {role} control socket")
        if not p.alive():
            raise nslib.NsError(f"flowmobd {role} died:\n{p.output()}")

    def start_all(self, roles=ROLES):
        for r in roles:
            self.start(r)
        for r in roles:
            self.wait_ready(r)

    def stop(self, role, sig=signal.SIGTERM):
        p = self.proc.get(role)
        if p:
            p.stop(sig)

    def kill9(self, role):
        p = self.proc[role]
        p.send_signal(signal.SIGKILL)
        p.proc.wait(10)
        p.stop()

    def cleanup(self):
        """Stops every daemon, runs flowmobd --cleanup for each role; returns a list
        of problems (pins left behind)."""
        for r in ROLES:
            self.stop(r)
        problems = []
        for r in ROLES:
            subprocess.run([FLOWMOBD, "-c", self.cfg[r], "--cleanup"], capture_output=True,
                           timeout=30)
            pin = os.path.join(PIN_ROOT, self.inst[r])
            if os.path.exists(pin):
                problems.append(pin)
        for c in self.captures:
            c.stop(settle=0)
        return problems

    def logfile(self, name):
        """A fresh log path in the system's directory (removed with it)."""
        fd, path = tempfile.mkstemp(prefix=name + ".", suffix=".log", dir=self.dir)
        os.close(fd)
        return path

    def bg(self, ns, cmd, name="bg"):
        """topo.bg with its log in the system's directory."""
        return self.topo.bg(ns, cmd, log=self.logfile(name))

    def dump_logs(self):
        for role, log in self.logs:
            try:
                with open(log, errors="replace") as f:
                    lines = f.readlines()
            except OSError:
                continue
            print(f"----- {role} ({log}), last 60 lines -----")
            print("".join([l for l in lines if "libbpf" not in l][-80:]))

    def remove_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- flowmobctl ----------------------------------------------------------

    def ctl_raw(self, role, *args, timeout=15):
        return subprocess.run([FLOWMOBCTL, "-s", self.sock[role], "-j", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)

    def ctl_ok(self, role, *args):
        try:
            return self.ctl_raw(role, *args, timeout=5).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def ctl(self, role, *args):
        p = self.ctl_raw(role, *args)
        if p.returncode != 0:
            raise nslib.NsError(f"flowmobctl {role} {' '.join(map(str, args))}: "
                                f"rc {p.returncode}: {p.stderr.strip()}")
        out = p.stdout.strip()
        return json.loads(out) if out else None

    def bindings(self):
        return self.ctl("lma", "bindings")

    def flows(self):
        return self.ctl("lma", "flows")

    def flow(self, fid, mn=MN_ID):
        for f in self.flows():
            if f["fid"] == fid and f["mn"] == mn:
                return f
        return None

    def stats(self, role):
        return self.ctl(role, "stats")

    def binding_of(self, mag):
        """The LMA binding through mag ('mag1'/'mag2'), or None."""
        for b in self.bindings():
            if b["mag"] == MAG_ADDR[mag] and b["state"] == "active":
                return b
        return None

    def wait_binding(self, mag, timeout=15.0):
        return wait_for(lambda: self.binding_of(mag), timeout=timeout,
                        what=f"active LMA binding through {mag}")

    def wait_no_binding(self, mag, timeout=15.0):
        wait_for(lambda: self.binding_of(mag) is None, timeout=timeout,
                 what=f"no active binding through {mag}")

    # -- the mobile node -----------------------------------------------------

    def mn_link(self, mag, up):
        """The MN's link towards mag up or down (an L2 attach/detach the MAG sees).
        Bringing a link down flushes its routes, the MN's policy-routing tables
        included: they are put back as docs/mobile-node.md sets them (table i+1)."""
        ifn = MN_IF[mag]
        self.topo.run("mn", ["ip", "link", "set", ifn, "up" if up else "down"])
        if up:
            t = str(list(MN_IF).index(mag) + 1)
            self.topo.run("mn", ["ip", "-6", "route", "replace", "fe80::/64", "dev", ifn,
                                 "table", t])
            self.topo.run("mn", ["ip", "-6", "route", "replace", "default", "via", "fe80::1",
                                 "dev", ifn, "table", t])

    def attach(self, mag, prefix=None, timeout=20.0):
        """Lets the MN attach through mag (its RS; one more solicited now) and waits
        for the LMA binding and the MN's SLAAC address (in prefix, default: any
        prefix of that binding). Returns (binding, address)."""
        self.mn_link(mag, True)

        def probe():
            try:
                self.topo.solicit(MN_IF[mag])
            except nslib.NsError:
                pass
            return self.binding_of(mag)
        b = wait_for(probe, timeout=timeout, interval=0.5, what=f"MN attached via {mag}")
        addr = self.wait_mn_addr(mag, prefix or b["prefixes"][0], timeout=timeout)
        return b, addr

    def wait_mn_addr(self, mag, prefix, timeout=15.0):
        return self.topo.wait_mn_addr(MN_IF[mag], prefix, timeout=timeout)

    def mn_addrs(self, mag):
        return self.topo.addrs("mn", MN_IF[mag])

    # -- captures --------------------------------------------------------------

    def capture_signaling(self, name):
        """dumpcap on the LMA's MAG-facing links, Mobility Header only."""
        path = os.path.join(self.dir, f"{name}.pcapng")
        c = nslib.Capture(self.topo.lma, ["lma-mag1", "lma-mag2"], path,
                          bpf_filter="ip6 proto 135")
        self.captures.append(c)
        return c


def mh_rows(cap, fields=None):
    """Signaling messages of a capture, in time order, as dicts of tshark fields
    decoded with the Lua dissector. 'msg' is the message name (PBU, PBA, BRI, BRA,
    HB, FMI, FMA, UPN, UPA)."""
    base = ["ipv6.src", "ipv6.dst", "mip6.mhtype", "flowmob.msg", "mip6.ba.status",
            "mip6.bri_br.type", "mip6.bri_r.trigger", "mip6.bri_status", "mip6.bri_ip",
            "mip6.nemo.mnp.mnp", "mip6.bi.bid", "mip6.hi", "mip6.att", "mip6.bu.lifetime",
            "mip6.ba.lifetime", "flowmob.fmi.c", "flowmob.fmi.r", "flowmob.fmi.lifetime",
            "flowmob.fma.status", "flowmob.fid.fid", "flowmob.fid.pri", "flowmob.fid.status",
            "flowmob.bidref.bid", "flowmob.ts.selector", "flowmob.upn.reason", "flowmob.upn.a",
            "flowmob.upa.status", "flowmob.mh.checksum.status", "_ws.malformed", "_ws.expert"]
    fields = base + list(fields or [])
    rows = cap.fields(fields, "ipv6.nxt == 135", lua=nslib.LUA)
    out = []
    for r in rows:
        d = dict(zip(fields, r + [""] * (len(fields) - len(r))))
        d["msg"] = msg_name(d)
        out.append(d)
    return out


_MH_NAMES = {"5": "PBU", "6": "PBA", "7": "BE", "13": "HB"}


def msg_name(d):
    """Message name from the decoded fields (types: spec/wire-facts.md)."""
    if d.get("flowmob.msg"):
        return d["flowmob.msg"]
    t = d.get("mip6.mhtype", "")
    if t == "16":
        return {"1": "BRI", "2": "BRA"}.get(d.get("mip6.bri_br.type"), "BR?")
    return _MH_NAMES.get(t, f"MH{t}")


def hnps(row):
    """Home network prefixes named in a decoded message (HNP options)."""
    return [p for p in row.get("mip6.nemo.mnp.mnp", "").split(",") if p]


# ---------------------------------------------------------------------------
# MN-side counters and CN-side traffic


class MnCounters:
    """Named nftables counters in the MN: per MN interface and UDP/TCP port, on
    input (downlink) and postrouting (uplink). names: 'in', 'out'."""

    def __init__(self, topo, ports, proto="udp"):
        self.topo = topo
        self.table = f"fmt{os.getpid() % 10000}"
        lines = [f"table inet {self.table} {{"]
        rules_in, rules_out = [], []
        for mag, ifn in MN_IF.items():
            for p in ports:
                lines.append(f"  counter in_{mag}_{p} {{}}")
                lines.append(f"  counter out_{mag}_{p} {{}}")
                rules_in.append(f'    iifname "{ifn}" {proto} dport {p} counter name in_{mag}_{p}')
                rules_out.append(f'    oifname "{ifn}" {proto} sport {p} counter name out_{mag}_{p}')
        lines += ["  chain in {", "    type filter hook input priority 0;"] + rules_in + ["  }"]
        lines += ["  chain out {", "    type filter hook postrouting priority 0;"] + rules_out
        lines += ["  }", "}"]
        topo.run("mn", ["nft", "-f", "-"], input="\n".join(lines) + "\n")

    def read(self):
        p = self.topo.run("mn", ["nft", "-j", "list", "counters", "table", "inet", self.table])
        out = {}
        for item in json.loads(p.stdout)["nftables"]:
            c = item.get("counter")
            if c:
                out[c["name"]] = c["packets"]
        return out

    def get(self, direction, mag, port):
        return self.read()[f"{direction}_{mag}_{port}"]


class UdpStream:
    """A sequence-numbered UDP stream from the CN to dst:port (one fixed 5-tuple),
    `rate` packets per second, until stopped or `count` packets were sent. The
    number sent is printed at the end."""

    SCRIPT = r"""
import socket, sys, time, signal
dst, port, rate, count, sport = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
stop = False
def h(*a):
    global stop
    stop = True
signal.signal(signal.SIGTERM, h)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", sport))
print("ready", flush=True)
n = 0
t0 = time.monotonic()
while not stop and (count == 0 or n < count):
    s.sendto(b"seq %08d" % n, (dst, port))
    n += 1
    d = t0 + n / rate - time.monotonic()
    if d > 0:
        time.sleep(d)
print("sent", n, flush=True)
"""

    def __init__(self, system, dst, port, rate=100, count=0, sport=None):
        sport = sport or (20000 + port % 10000)
        self.bg = system.bg("cn", [nslib.PYTHON, "-c", self.SCRIPT, dst, str(port), str(rate),
                                   str(count), str(sport)], name=f"udp-stream-{port}")
        wait_for(lambda: "ready" in self.bg.output() or not self.bg.alive(), timeout=10,
                 what="UDP stream sender")

    def stop(self):
        self.bg.stop(signal.SIGTERM)
        return self.sent()

    def done(self):
        return "sent" in self.bg.output()

    def sent(self):
        for line in self.bg.output().splitlines():
            if line.startswith("sent "):
                return int(line.split()[1])
        return None


class UdpSink:
    """A UDP receiver in the MN on port: records the sequence numbers received."""

    SCRIPT = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("::", int(sys.argv[1])))
print("ready", flush=True)
while True:
    d, _ = s.recvfrom(2048)
    if d.startswith(b"seq "):
        print(int(d[4:]), flush=True)
"""

    def __init__(self, system, port):
        self.bg = system.bg("mn", [nslib.PYTHON, "-c", self.SCRIPT, str(port)],
                            name=f"udp-sink-{port}")
        wait_for(lambda: "ready" in self.bg.output() or not self.bg.alive(), timeout=10,
                 what="UDP sink")

    def seqs(self):
        return [int(x) for x in self.bg.output().splitlines()[1:] if x.strip().isdigit()]

    def stop(self):
        self.bg.stop()


def in_prefix(addr, prefix):
    return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix)


def settle_counts(read, timeout=5.0, interval=0.3):
    """Waits until read() returns the same value twice in a row (traffic in flight
    has landed) and returns it."""
    last = [read()]

    def stable():
        time.sleep(interval)
        v = read()
        same = v == last[0]
        last[0] = v
        return same
    wait_for(stable, timeout=timeout, interval=0.01, what="counters to settle")
    return last[0]
