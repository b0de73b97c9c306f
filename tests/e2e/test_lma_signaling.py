# SPDX-License-Identifier: GPL-2.0
"""LMA signaling in network namespaces: the real flowmobd (role lma) runs in the
topology's lma namespace, and the tests play the MAGs over real raw IPPROTO_MH
sockets opened inside the mag1/mag2 namespaces, with messages encoded and decoded
by build/flowmob-mh (an independent path from the daemon's socket code). Checked:
PBA status and fields, the control socket's bindings/flows/peers, the pinned
binding map, FMI/UPN/BRI exchanges field by field, heartbeats, restart."""
import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import nslib

REPO = nslib.REPO
FLOWMOBD = os.path.join(REPO, "build", "flowmobd")
MHTOOL = os.path.join(REPO, "build", "flowmob-mh")
LMA = "fd00:11::1"
MAG1 = "fd00:11::2"
MAG2 = "fd00:12::2"
ROGUE = "fd00:11::3"
NAI = "mn1@example.net"
CLONE_NEWNET = 0x40000000

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not (os.access(FLOWMOBD, os.X_OK) and os.access(MHTOOL, os.X_OK)),
                       reason="build/flowmobd or build/flowmob-mh not built"),
]


# ---- the MH codec through flowmob-mh ---------------------------------------------

def encode(msg):
    p = subprocess.run([MHTOOL, "encode", "--hex"], input=json.dumps(msg), capture_output=True,
                       text=True, check=True)
    return bytes.fromhex(p.stdout.strip())


def decode(data):
    p = subprocess.run([MHTOOL, "decode", "--hex"], input=data.hex() + "\n",
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout.splitlines()[0])


def opt(msg, otype, nth=0):
    found = [o for o in msg.get("options", []) if o["type"] == otype]
    return found[nth] if len(found) > nth else None


def opts(msg, otype):
    return [o for o in msg.get("options", []) if o["type"] == otype]


def now_ts(offset=0.0):
    t = time.time() + offset
    return {"type": "timestamp", "seconds": int(t), "fraction": int((t % 1) * 65536)}


def pbu(seq, att=4, hi=1, lifetime=400, bid=None, omit=(), ts_offset=0.0, hnps=("::/0",),
        nai=NAI):
    options = []
    if "mn-id" not in omit:
        options.append({"type": "mn-id", "subtype": 1, "id": nai})
    if "hnp" not in omit:
        options += [{"type": "hnp", "prefix": h} for h in hnps]
    if "hi" not in omit:
        options.append({"type": "hi", "value": hi})
    if "att" not in omit:
        options.append({"type": "att", "value": att})
    if "timestamp" not in omit:
        options.append(now_ts(ts_offset))
    if bid is not None:
        options.append({"type": "bid", "bid": bid})
    return {"type": "pbu", "seq": seq, "flags": "AP", "lifetime": lifetime, "options": options}


# ---- a MAG played by the test: a raw MH socket inside a namespace ---------------

def ns_socket(ns, addr):
    """A raw IPPROTO_MH socket created inside namespace ns (setns in a helper
    thread: the socket keeps its namespace), bound to addr."""
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
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
            s.bind((addr, 0))
            out["s"] = s
        except Exception as e:  # noqa: BLE001 - re-raised in the caller
            out["e"] = e

    th = threading.Thread(target=worker)
    th.start()
    th.join()
    if "e" in out:
        raise out["e"]
    return out["s"]


class Mag:
    def __init__(self, ns, addr):
        self.addr = addr
        self.sock = ns_socket(ns, addr)
        self.seen = []

    def send(self, msg):
        self.sock.sendto(encode(msg), (LMA, 0))

    def recv(self, mtype, timeout=3.0, pred=None):
        """The next message of type mtype (also looking at ones seen before)."""
        for m in self.seen:
            if m["type"] == mtype and (pred is None or pred(m)):
                self.seen.remove(m)
                return m
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            m = decode(data)
            if m["type"] == mtype and (pred is None or pred(m)):
                return m
            self.seen.append(m)
        raise TimeoutError(f"no {mtype} at {self.addr} within {timeout}s (seen {self.seen})")

    def none(self, mtype, within):
        try:
            m = self.recv(mtype, timeout=within)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected {m}")

    def register(self, seq, **kw):
        self.send(pbu(seq, **kw))
        return self.recv("pba")

    def close(self):
        self.sock.close()


# ---- the LMA under test ------------------------------------------------------------

class Lma:
    def __init__(self, topo, **over):
        self.topo = topo
        self.dir = tempfile.mkdtemp(prefix="fm-lma-e2e-")
        self.instance = f"lma{topo.tag}"
        self.sock = os.path.join(self.dir, "ctl.sock")
        timers = {"min-delay-before-bce-delete": 600, "max-delay-before-new-bce-assign": 500,
                  "timestamp-window": 300, "heartbeat-interval": 0, "heartbeat-missed": 2,
                  "retransmit-initial": 400, "retransmit-max": 1600, "max-lifetime": 3600}
        timers.update(over.pop("timers", {}))
        lma = {"address": LMA, "core-interfaces": ["lma-cn"],
               "access-interfaces": ["lma-mag1", "lma-mag2"], "dataplane": "xdp",
               "prefix-pool": "fd00:100::/48", "prefix-policy": "unique",
               "ordering": "timestamp", "flow-signaling": "fmi", "mags": [MAG1, MAG2],
               "timers": timers}
        lma.update(over)
        cfg = {"instance": self.instance, "role": "lma", "log-level": "debug",
               "control-socket": self.sock, "state-dir": os.path.join(self.dir, "state"),
               "netns": topo.lma, "lma": lma}
        self.cfg = os.path.join(self.dir, "lma.yaml")
        with open(self.cfg, "w") as f:
            json.dump(cfg, f)  # JSON is YAML
        self.proc = None
        self.start()

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = nslib.Bg(None, [FLOWMOBD, "-c", self.cfg, "--netns", self.topo.lma],
                             log=os.path.join(self.dir, f"flowmobd.{time.monotonic_ns()}.log"))
        nslib.wait_for(lambda: os.path.exists(self.sock) or not self.proc.alive(), timeout=15,
                       what="the LMA's control socket")
        assert self.proc.alive(), self.proc.output()

    def stop(self):
        if self.proc:
            self.proc.stop()

    def cleanup(self):
        self.stop()
        subprocess.run([FLOWMOBD, "-c", self.cfg, "--netns", self.topo.lma, "--cleanup"],
                       capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def ctl(self, cmd, **args):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.sock)
        s.sendall((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        return json.loads(buf)

    def ok(self, cmd, **args):
        r = self.ctl(cmd, **args)
        assert r["ok"], r
        return r["result"]

    def map_dump(self, name):
        paths = glob.glob(f"/sys/fs/bpf/flowmob/{self.instance}/*/{name}") + \
            glob.glob(f"/sys/fs/bpf/flowmob/{self.instance}/{name}")
        assert paths, f"no pinned map {name}"
        p = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", paths[0]],
                           capture_output=True, text=True, check=True)
        return json.loads(p.stdout)


@pytest.fixture
def net(topo):
    topo.run("mag1", ["ip", "-6", "addr", "add", f"{ROGUE}/64", "dev", "mag1-lma", "nodad"])
    mags = {"mag1": Mag(topo.mag1, MAG1), "mag2": Mag(topo.mag2, MAG2),
            "rogue": Mag(topo.mag1, ROGUE)}
    lmas = []

    def make_lma(**over):
        lma = Lma(topo, **over)
        lmas.append(lma)
        return lma

    try:
        yield topo, mags, make_lma
    finally:
        for m in mags.values():
            m.close()
        for lma in lmas:
            lma.cleanup()


def binding(lma, bid):
    for b in lma.ok("bindings"):
        if b["mn"] == NAI and b["bid"] == bid:
            return b
    return None


def _formatted(entry):
    return entry.get("formatted", entry)


# ---- tests -----------------------------------------------------------------------------

def test_registration_pba_state_and_map(net):
    topo, mags, make_lma = net
    lma = make_lma()
    pba = mags["mag1"].register(11, att=4, hi=1)
    assert pba["status"] == 0
    assert pba["seq"] == 11
    assert "P" in pba["flags"]
    assert pba["lifetime"] == 400
    assert opt(pba, "mn-id")["id"] == NAI
    assert [o["prefix"] for o in opts(pba, "hnp")] == ["fd00:100::/64"]
    assert opt(pba, "bid")["bid"] == 1
    assert opt(pba, "hi")["value"] == 1
    assert opt(pba, "att")["value"] == 4
    assert opt(pba, "timestamp") is not None
    b = binding(lma, 1)
    assert b["mag"] == MAG1 and b["att"] == 4 and b["state"] == "active"
    assert b["prefixes"] == ["fd00:100::/64"]
    assert 390 <= b["lifetime"] <= 400
    # the pinned binding map holds [MN 1, BID 1] -> MAG1
    entries = [_formatted(e) for e in lma.map_dump("fm_binding")]
    keys = [(e["key"]["mn"], e["key"]["bid"]) for e in entries]
    assert (b["mn_index"], 1) in keys
    stats = lma.ok("stats")
    assert stats["signaling"]["status"]["pba:0"] == 1
    assert stats["signaling"]["rx"]["pbu"] == 1


@pytest.mark.parametrize("omit,status", [("mn-id", 160), ("hnp", 158), ("hi", 161),
                                         ("att", 162), ("timestamp", 156)])
def test_missing_option_rejects(net, omit, status):
    topo, mags, make_lma = net
    lma = make_lma()
    pba = mags["mag1"].register(3, omit=(omit,))
    assert pba["status"] == status
    assert pba["lifetime"] == 0
    if status == 156:
        ts = opt(pba, "timestamp")  # the LMA's time
        assert abs(ts["seconds"] - time.time()) < 5
    assert lma.ok("bindings") == []


def test_rogue_mag_timestamp_and_denied(net):
    topo, mags, make_lma = net
    lma = make_lma(**{"mobile-nodes": [{"id": "bad@example.net", "deny": True}]})
    assert mags["rogue"].register(1)["status"] == 154
    assert mags["mag1"].register(1, nai="bad@example.net")["status"] == 129
    assert mags["mag1"].register(1, ts_offset=2.0)["status"] == 156
    assert mags["mag1"].register(2, ts_offset=0.0)["status"] == 0
    # older than the accepted one, still inside the window
    assert mags["mag1"].register(3, hi=5, bid=1, ts_offset=-0.2)["status"] == 157
    assert len(lma.ok("bindings")) == 1


def test_sequence_ordering(net):
    topo, mags, make_lma = net
    make_lma(ordering="sequence")
    assert mags["mag1"].register(100, omit=("timestamp",))["status"] == 0
    pba = mags["mag1"].register(100, hi=5, bid=1, omit=("timestamp",))
    assert pba["status"] == 135
    assert pba["seq"] == 100
    assert mags["mag1"].register(101, hi=5, bid=1, omit=("timestamp",))["status"] == 0


def test_deregistration_and_handoff(net):
    topo, mags, make_lma = net
    lma = make_lma()
    assert mags["mag1"].register(1)["status"] == 0
    # handoff between MAGs (HI 3): same BID and prefix, now through MAG2
    pba = mags["mag2"].register(1, hi=3)
    assert pba["status"] == 0
    assert opt(pba, "bid")["bid"] == 1
    assert [o["prefix"] for o in opts(pba, "hnp")] == ["fd00:100::/64"]
    assert binding(lma, 1)["mag"] == MAG2
    # MAG2 de-registers: kept for MinDelayBeforeBCEDelete (600 ms), then gone
    pba = mags["mag2"].register(2, hi=5, bid=1, lifetime=0)
    assert pba["status"] == 0 and pba["lifetime"] == 0
    assert binding(lma, 1)["state"] == "deregistering"
    nslib.wait_for(lambda: binding(lma, 1) is None, timeout=5, what="BCE deletion")


def test_hi4_waits_for_deregistration(net):
    topo, mags, make_lma = net
    lma = make_lma(timers={"max-delay-before-new-bce-assign": 3000})
    assert mags["mag1"].register(1)["status"] == 0
    mags["mag2"].send(pbu(1, hi=4))
    mags["mag2"].none("pba", within=0.5)  # held
    assert mags["mag1"].register(2, hi=5, bid=1, lifetime=0)["status"] == 0
    pba = mags["mag2"].recv("pba")
    assert pba["status"] == 0 and opt(pba, "bid")["bid"] == 1
    assert binding(lma, 1)["mag"] == MAG2


def test_two_bindings_and_fmi_flow_move(net):
    topo, mags, make_lma = net
    lma = make_lma()
    assert opt(mags["mag1"].register(1, att=4), "bid")["bid"] == 1
    pba2 = mags["mag2"].register(1, att=8)
    assert opt(pba2, "bid")["bid"] == 2
    assert [o["prefix"] for o in opts(pba2, "hnp")] == ["fd00:100:0:1::/64"]
    flow = lma.ok("flow.add", mn=NAI, fid=5, priority=10,
                  selector={"next_header": [17], "dst_port": [5000, 5999]}, bid=1)
    assert flow["bids"] == [1] and flow["active"]
    # the flow may be addressed to MAG2's prefix as well: MAG1 learns it by FMI
    fmi = mags["mag1"].recv("fmi")
    assert opt(fmi, "flow-id")["fid"] == 5
    mags["mag1"].send({"type": "fma", "seq": fmi["seq"], "status": 0, "lifetime": 0})
    lma.ok("flow.move", mn=NAI, fid=5, bid=2)
    fmi = mags["mag2"].recv("fmi")
    assert fmi["flags"] in ("", None) or "C" not in fmi["flags"]
    assert fmi["options"][0]["type"] == "mn-id" and fmi["options"][0]["id"] == NAI
    fid = opt(fmi, "flow-id")
    assert fid["fid"] == 5 and fid["priority"] == 10 and fid["bids"] == [2]
    assert fid["ts"]["dst_port"] == [5000, 5999] and fid["ts"]["next_header"] == [17]
    assert [o["prefix"] for o in opts(fmi, "hnp")] == ["fd00:100::/64"]
    cancel = mags["mag1"].recv("fmi")
    assert "C" in cancel["flags"] and cancel["lifetime"] == 0
    mags["mag1"].send({"type": "fma", "seq": cancel["seq"], "status": 0, "lifetime": 0})
    # no FMA from MAG2 yet: retransmitted with the same sequence number
    again = mags["mag2"].recv("fmi", timeout=2)
    assert again["seq"] == fmi["seq"]
    mags["mag2"].send({"type": "fma", "seq": fmi["seq"], "status": 0, "lifetime": 0})
    flows = lma.ok("flows")
    f = [x for x in flows if x["fid"] == 5][0]
    assert f["bids"] == [2] and f["active"]
    # unknown MN / FID / BID: errors, nothing changes
    assert not lma.ctl("flow.move", mn=NAI, fid=5, bid=9)["ok"]
    assert not lma.ctl("flow.move", mn=NAI, fid=6, bid=1)["ok"]
    assert not lma.ctl("flow.del", mn="x@y", fid=5)["ok"]
    assert [x for x in lma.ok("flows") if x["fid"] == 5][0]["bids"] == [2]


def test_upn_flow_move(net):
    topo, mags, make_lma = net
    lma = make_lma(**{"flow-signaling": "upn"})
    mags["mag1"].register(1, att=4)
    mags["mag2"].register(1, att=8)
    lma.ok("flow.add", mn=NAI, fid=5, priority=10, selector={"next_header": [17]}, bid=1)
    upn = mags["mag1"].recv("upn")
    mags["mag1"].send({"type": "upa", "seq": upn["seq"], "status": 0})
    lma.ok("flow.move", mn=NAI, fid=5, bid=2)
    upn = mags["mag2"].recv("upn")
    assert upn["reason"] == 8
    assert "A" in upn["flags"]
    assert opt(upn, "mn-id")["id"] == NAI
    assert sorted(o["prefix"] for o in opts(upn, "hnp")) == ["fd00:100:0:1::/64",
                                                           "fd00:100::/64"]
    mags["mag2"].send({"type": "upa", "seq": upn["seq"], "status": 0})
    pba = mags["mag2"].register(2, att=8, hi=5, bid=2)
    assert sorted(o["prefix"] for o in opts(pba, "hnp")) == ["fd00:100:0:1::/64",
                                                           "fd00:100::/64"]


def test_heartbeat_peer_down_and_restart(net):
    topo, mags, make_lma = net
    lma = make_lma(**{"prefix-policy": "shared",
                      "timers": {"heartbeat-interval": 1, "heartbeat-missed": 2}})
    mags["mag1"].register(1, att=4)
    mags["mag2"].register(1, att=8)
    lma.ok("flow.add", mn=NAI, fid=5, priority=10, selector={"next_header": [17]}, bid=2)
    deadline = time.monotonic() + 6
    rc = None
    while time.monotonic() < deadline:
        hb = mags["mag1"].recv("heartbeat", timeout=2)
        rc = opt(hb, "restart-counter")["value"]
        mags["mag1"].send({"type": "heartbeat", "seq": hb["seq"], "flags": "R",
                           "options": [{"type": "restart-counter", "value": 7}]})
        peers = {p["mag"]: p for p in lma.ok("peers")}
        if peers[MAG2]["state"] == "down":
            break
    assert peers[MAG2]["state"] == "down" and peers[MAG1]["state"] == "up"
    assert peers[MAG1]["restart_counter"] == 7
    assert rc == 1
    assert binding(lma, 2)["state"] == "peer-down"
    f = [x for x in lma.ok("flows") if x["fid"] == 5][0]
    assert f["bids"] == [1] and f["active"]  # moved to the remaining binding
    # restart: bindings and flows survive, the restart counter is announced as 2
    lma.stop()
    lma.start()
    assert binding(lma, 1)["mag"] == MAG1
    assert [x for x in lma.ok("flows") if x["fid"] == 5][0]["bids"] == [1]
    hb = mags["mag1"].recv("heartbeat", timeout=3,
                           pred=lambda m: opt(m, "restart-counter")["value"] == 2)
    assert opt(hb, "restart-counter")["value"] == 2
    assert lma.ok("stats")["restart_counter"] == 2


def test_prefix_move_on_new_attachment_bri(net):
    """Seed Figure 4: a flow that is a whole home prefix, placed on ATT 8 before any
    ATT-8 binding exists, moves with its prefix when the MN attaches there: the new
    PBA carries the prefix and a BRI (P flag) takes it from MAG1."""
    topo, mags, make_lma = net
    lma = make_lma()
    mags["mag1"].register(1, att=4)
    # flow.add with att places it on ATT 8 ahead of the attachment (flow.move with an
    # att no binding has is refused and changes nothing)
    f = lma.ok("flow.add", mn=NAI, fid=9, priority=5, att=8,
               selector={"dst_addr": ["fd00:100::", "fd00:100::ffff:ffff:ffff:ffff"]})
    assert not f["active"]  # no ATT-8 binding yet: traffic follows the prefix
    pba = mags["mag2"].register(1, att=8, hi=1)
    assert pba["status"] == 0 and opt(pba, "bid")["bid"] == 2
    assert sorted(o["prefix"] for o in opts(pba, "hnp")) == ["fd00:100:0:1::/64",
                                                           "fd00:100::/64"]
    bri = mags["mag1"].recv("bri")
    assert "P" in bri["flags"]
    assert bri["trigger"] == 1
    assert opt(bri, "mn-id")["id"] == NAI
    assert [o["prefix"] for o in opts(bri, "hnp")] == ["fd00:100::/64"]
    mags["mag1"].send({"type": "bra", "seq": bri["seq"], "status": 0, "flags": "P"})
    assert binding(lma, 1)["prefixes"] == []
    assert "fd00:100::/64" in binding(lma, 2)["prefixes"]
    f = [x for x in lma.ok("flows") if x["fid"] == 9][0]
    assert f["active"] and f["bids"] == [2]
    mags["mag1"].none("bri", within=1.0)  # answered: not retransmitted


def test_monitor_events(net):
    topo, mags, make_lma = net
    lma = make_lma()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(lma.sock)
    s.sendall(b'{"cmd": "monitor"}\n')
    time.sleep(0.3)
    mags["mag1"].register(1, att=4)
    mags["rogue"].register(1)
    buf = b""
    events = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(e.get("event") == "reject" for e in events):
        buf += s.recv(65536)
        *lines, buf = buf.split(b"\n")
        events += [json.loads(x) for x in lines if x.strip()]
    s.close()
    reg = [e for e in events if e.get("event") == "registration"]
    assert reg and reg[0]["mn"] == NAI and reg[0]["bid"] == 1 and reg[0]["mag"] == MAG1
    rej = [e for e in events if e.get("event") == "reject"]
    assert rej and rej[0]["status"] == 154 and rej[0]["mag"] == ROGUE


def test_flowmobctl_cli(net):
    """The same state through build/flowmobctl (JSON and exit codes)."""
    ctl = os.path.join(REPO, "build", "flowmobctl")
    if not os.access(ctl, os.X_OK):
        pytest.skip("build/flowmobctl not built")
    topo, mags, make_lma = net
    lma = make_lma()
    mags["mag1"].register(1, att=4)

    def run(*args):
        return subprocess.run([ctl, "-s", lma.sock, "-j", *args], capture_output=True,
                              text=True, timeout=10)

    b = json.loads(run("bindings").stdout)
    assert [(x["mn"], x["bid"], x["att"], x["mag"], x["state"]) for x in b] == \
        [(NAI, 1, 4, MAG1, "active")]
    p = run("flow", "add", NAI, "--fid", "3", "--priority", "7", "--selector",
            "next-header 17 dst-port 5000-5999", "--bid", "1")
    assert p.returncode == 0, p.stderr
    f = json.loads(run("flows").stdout)
    assert [(x["fid"], x["priority"], x["bids"], x["selector"]) for x in f] == \
        [(3, 7, [1], {"next_header": [17], "dst_port": [5000, 5999]})]
    p = run("flow", "add", NAI, "--fid", "4", "--selector", "next-header 6", "--drop")
    assert p.returncode == 0, p.stderr
    assert [x["active"] for x in json.loads(run("flows").stdout) if x["fid"] == 4] == [True]
    for bad in (("flow", "move", NAI, "3", "--bid", "9"), ("flow", "move", NAI, "8", "--bid", "1"),
                ("flow", "del", "nobody@x", "3"),
                ("flow", "add", NAI, "--fid", "3", "--selector", "next-header 6", "--bid", "1")):
        p = run(*bad)
        assert p.returncode != 0 and p.stderr.strip(), bad
    assert len(json.loads(run("flows").stdout)) == 2
    p = run("flow", "del", NAI, "3")
    assert p.returncode == 0
    assert [x["fid"] for x in json.loads(run("flows").stdout)] == [4]
    s = json.loads(run("stats").stdout)
    assert s["signaling"]["status"]["pba:0"] == 1
    assert isinstance(s["dataplane"], dict) and s["dataplane"]


def test_crash_restart_keeps_what_was_acknowledged(net):
    """SIGKILL right after registrations: every PBA 0 was sent after its commit, so
    the restarted LMA knows every binding with its real lifetime (nothing to adopt
    from the pinned maps), and the maps hold exactly those bindings. (Adopting map
    entries never committed, and removing strays: tests/unit/test_lma.c.)"""
    topo, mags, make_lma = net
    lma = make_lma()
    mags["mag1"].register(1, att=4)
    mags["mag2"].register(1, att=8)
    mags["mag1"].register(1, att=4, nai="other@example.net")
    lma.proc.stop(sig=signal.SIGKILL)
    lma.start()
    b2 = binding(lma, 2)
    assert b2 is not None and b2["mag"] == MAG2 and b2["att"] == 8
    assert b2["prefixes"] == ["fd00:100:0:1::/64"]
    assert b2["lifetime"] > 60  # restored from the store, not adopted
    other = [b for b in lma.ok("bindings") if b["mn"] == "other@example.net"]
    assert len(other) == 1
    entries = [_formatted(e) for e in lma.map_dump("fm_binding")]
    assert sorted((e["key"]["mn"], e["key"]["bid"]) for e in entries) == \
        sorted([(b2["mn_index"], 1), (b2["mn_index"], 2), (other[0]["mn_index"], 1)])
    pba = mags["mag2"].register(2, att=8, hi=5, bid=2)
    assert pba["status"] == 0
    assert lma.ok("stats")["restart_counter"] == 2


def test_bad_input_is_counted_and_loses_nothing(net):
    """Malformed Mobility Header messages from a registered MAG: each is counted,
    none crashes the LMA or touches the accepted binding; an unknown MH type gets a
    Binding Error, status 2 (RFC 6275 §9.2); the next good PBU is served."""
    topo, mags, make_lma = net
    lma = make_lma()
    mag = mags["mag1"]
    assert mag.register(1)["status"] == 0
    before = lma.ok("bindings")
    good = encode(pbu(2, hi=5, bid=1, hnps=("fd00:100::/64",)))
    bad = [
        good[:7],                                   # cut inside the header
        bytes([59, 0]) + good[2:8],                 # Header Len says 8, PBU body missing
        bytes([6]) + good[1:],                      # Payload Proto not 59
        good[:12] + bytes([22, 40]) + good[14:],    # HNP length crosses the end
        good[:12] + bytes([8, 0]) + good[14:],      # zero-length MN-ID
        bytes([59, 5, 5]) + bytes([0xff]) * 45,     # a PBU of noise
    ]
    for b in bad:
        mag.sock.sendto(b, (LMA, 0))
    # framing fine, type unknown (99)
    mag.sock.sendto(bytes([59, 1, 99, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0]), (LMA, 0))
    be = mag.recv("be")
    assert be["status"] == 2 and be["home_address"] == "::"
    sock = nslib.wait_for(
        lambda: (lambda s: s if s["rx_malformed"] >= len(bad) else None)(
            lma.ok("stats")["signaling"]["socket"]),
        timeout=5, what="malformed messages counted")
    assert sock["rx_malformed"] == len(bad)
    assert sock["rx_unknown_type"] == 1
    assert mag.none("pba", within=0.3)              # nothing answered the garbage
    after = lma.ok("bindings")
    for b in before + after:
        b.pop("lifetime")
    assert after == before
    assert lma.proc.alive()
    # still serving: a good refresh is accepted
    mag.send(pbu(3, hi=5, bid=1, hnps=("fd00:100::/64",)))
    assert mag.recv("pba")["status"] == 0
