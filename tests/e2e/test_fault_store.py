# SPDX-License-Identifier: GPL-2.0
"""Fault injection against the state store (docs/lma.md "State store"): the real
flowmobd is killed with SIGKILL at random moments while it acknowledges; after
each restart everything it acknowledged must be there — in its binding and flow
caches and in the pinned maps — and a PBU replayed after the crash is still
refused (PBA 135, sequence ordering). The MAG keeps its binding update list
across kill -9 as well.

Rounds: 10 by default; FM_LONG=1 runs 30 rounds with bigger floods. Each round
prints its counts (acknowledged, found after restart)."""
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time

import pytest

import nslib
from fmsystem import MN_ID
from test_lma_signaling import LMA, MAG1, _formatted, net  # noqa: F401  (fixture)
from test_lma_signaling import FLOWMOBD, MHTOOL  # noqa: F401

LONG = os.environ.get("FM_LONG") == "1"
ROUNDS = 30 if LONG else 10
FLOOD = 1500  # a round; all rounds stay below ~15 000 bindings (the bindings reply size)
PBA_SEQ_OUT_OF_WINDOW = 135


def encode_many(msgs):
    p = subprocess.run([MHTOOL, "encode", "--hex"], input="\n".join(json.dumps(m) for m in msgs),
                       capture_output=True, text=True, check=True)
    return [bytes.fromhex(x) for x in p.stdout.split()]


def flood_pbu(nai, seq):
    return {"type": "pbu", "seq": seq, "flags": "AP", "lifetime": 3600,
            "options": [{"type": "mn-id", "subtype": 1, "id": nai},
                        {"type": "hnp", "prefix": "::/0"}, {"type": "hi", "value": 1},
                        {"type": "att", "value": 4}]}


class Flood(threading.Thread):
    """Sends pre-encoded PBUs pipelined (window w) and records the sequence numbers
    answered with PBA 0, until every PBU is sent and answered or the LMA is gone."""

    def __init__(self, sock, wires, window=32):
        super().__init__(daemon=True)
        self.sock, self.wires, self.window = sock, wires, window
        self.acked = set()
        self.stop = False

    def run(self):
        sent = got = 0
        self.sock.settimeout(0.5)
        while got < len(self.wires) and not self.stop:
            while sent < len(self.wires) and sent - got < self.window:
                self.sock.sendto(self.wires[sent], (LMA, 0))
                sent += 1
            try:
                data = self.sock.recv(2048)
            except OSError:
                if self.stop:
                    break
                got = sent  # lost (the LMA was killed): resend nothing, go on
                continue
            if len(data) > 6 and data[2] == 6:  # PBA
                got += 1
                if data[6] == 0:
                    self.acked.add(int.from_bytes(data[8:10], "big"))  # PBA sequence


def lma_kill9(lma):
    lma.proc.send_signal(signal.SIGKILL)
    lma.proc.proc.wait(10)
    lma.proc.stop()


def drain(sock):
    sock.settimeout(0.05)
    try:
        while True:
            sock.recv(2048)
    except OSError:
        pass


def map_lookup(lma, name, key):
    """One entry of a pinned array map (u32 key), formatted by bpftool."""
    path = subprocess.run(["sh", "-c", f"ls /sys/fs/bpf/flowmob/{lma.instance}/*/{name} "
                           f"/sys/fs/bpf/flowmob/{lma.instance}/{name} 2>/dev/null | head -1"],
                          capture_output=True, text=True).stdout.strip()
    assert path, f"no pinned map {name}"
    p = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", path, "key",
                        *[str(b) for b in key.to_bytes(4, "little")]],
                       capture_output=True, text=True, check=True)
    return _formatted(json.loads(p.stdout))["value"]


def dp_rule_fids(lma, mn_index):
    """The FIDs in the MN's active rule set (fm_mn: slot -> rule-set id)."""
    mn = map_lookup(lma, "fm_mn", mn_index)
    rs = mn["rs"][mn["ver"]["slot"]]
    if not rs:
        return set()
    v = map_lookup(lma, "fm_rulesets", rs)
    return {r["fid"] for r in v["r"][:v["n"]]}


def map_bindings(lma):
    return {(e["key"]["mn"], e["key"]["bid"]) for e in map(_formatted, lma.map_dump("fm_binding"))}


def test_kill9_under_registration_flood(net):
    topo, mags, make_lma = net
    lma = make_lma(ordering="sequence", **{"prefix-pool": "fd00:100::/40"})
    sock = mags["mag1"].sock
    rng = random.Random(int(os.environ.get("FM_SEED", "11")))
    total_acked = total_found = 0
    for rnd in range(ROUNDS):
        nais = [f"r{rnd}-mn{i}@flood.example" for i in range(FLOOD)]
        wires = encode_many([flood_pbu(n, i + 1) for i, n in enumerate(nais)])
        drain(sock)
        fl = Flood(sock, wires)
        fl.start()
        time.sleep(rng.uniform(0.01, 0.12))  # mid-flood
        lma_kill9(lma)
        fl.stop = True
        fl.join(5)
        acked = {nais[s - 1] for s in fl.acked}
        lma.start()
        nslib.wait_for(lambda: lma.ctl("version").get("ok"), timeout=20, what="LMA ready")
        bs = {b["mn"]: b for b in lma.ok("bindings") if b["mn"].startswith(f"r{rnd}-")}
        in_maps = map_bindings(lma)
        found = [n for n in acked if n in bs]
        mapped = [n for n in found if (bs[n]["mn_index"], bs[n]["bid"]) in in_maps]
        print(f"round {rnd}: flood {FLOOD}, acknowledged {len(acked)}, found after restart "
              f"{len(found)}, in the maps {len(mapped)}, also present unacknowledged "
              f"{len(bs) - len(found)}")
        assert len(found) == len(acked), sorted(set(acked) - set(bs))[:5]
        assert len(mapped) == len(acked)
        for n in found:
            assert bs[n]["lifetime"] > 60, bs[n]  # restored, not adopted
        total_acked += len(acked)
        total_found += len(found)
        # a replay of an acknowledged PBU after the crash is refused
        if acked:
            seq = min(fl.acked)
            drain(sock)
            mags["mag1"].sock.sendto(wires[seq - 1], (LMA, 0))
            pba = mags["mag1"].recv("pba")
            assert pba["status"] == PBA_SEQ_OUT_OF_WINDOW, pba
    print(f"total: acknowledged {total_acked}, found after restart {total_found}")
    assert total_acked > 0


def test_kill9_under_flow_add_bursts(net):
    topo, mags, make_lma = net
    lma = make_lma()
    rng = random.Random(int(os.environ.get("FM_SEED", "12")))
    assert mags["mag1"].register(1, att=4)["status"] == 0
    total_acked = total_found = 0
    fid0 = 1
    for rnd in range(ROUNDS):
        acked = []
        stop = threading.Event()

        def burst():
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(2)
                s.connect(lma.sock)
                f = s.makefile("rwb")
                for fid in range(fid0, fid0 + 10):
                    if stop.is_set():
                        break
                    req = {"cmd": "flow.add", "mn": MN_ID, "fid": fid, "priority": fid,
                           "selector": {"dst_port": [fid + 1000]}, "bid": 1}
                    f.write((json.dumps(req) + "\n").encode())
                    f.flush()
                    line = f.readline()
                    if not line:
                        break
                    if json.loads(line).get("ok"):
                        acked.append(fid)
                    time.sleep(rng.uniform(0, 0.03))
            except (OSError, ValueError):
                pass

        t = threading.Thread(target=burst, daemon=True)
        t.start()
        time.sleep(rng.uniform(0.02, 0.25))
        lma_kill9(lma)
        stop.set()
        t.join(5)
        lma.start()
        nslib.wait_for(lambda: lma.ctl("version").get("ok"), timeout=20, what="LMA ready")
        flows = {f["fid"] for f in lma.ok("flows") if f["mn"] == MN_ID}
        mn_index = [b for b in lma.ok("bindings") if b["mn"] == MN_ID][0]["mn_index"]
        rules = dp_rule_fids(lma, mn_index)
        found = [f for f in acked if f in flows]
        in_dp = [f for f in found if f in rules]
        print(f"round {rnd}: flow add acknowledged {len(acked)}, found after restart "
              f"{len(found)}, in the data plane {len(in_dp)}")
        assert found == acked and in_dp == acked
        total_acked += len(acked)
        total_found += len(found)
        # start the next round from a clean cache (at most 64 rules per MN)
        for f in flows:
            lma.ok("flow.del", mn=MN_ID, fid=f)
        fid0 += 10
    print(f"total: flow add acknowledged {total_acked}, found after restart {total_found}")
    assert total_acked > 0


@pytest.mark.system(prefix_policy="shared")
def test_mag_kill9_keeps_its_bindings(system):
    b1, _ = system.attach("mag1")
    before = [(b["mn"], b["iface"], b["bid"], tuple(b["prefixes"]))
              for b in system.ctl("mag1", "mag-bindings")]
    assert before
    exported = system.ctl("mag1", "state", "export")
    assert [b["mn"] for b in exported["bindings"]] == [MN_ID]
    system.kill9("mag1")
    system.start("mag1")
    system.wait_ready("mag1")
    after = [(b["mn"], b["iface"], b["bid"], tuple(b["prefixes"]))
             for b in system.ctl("mag1", "mag-bindings")]
    print(f"MAG kill -9: bindings before {len(before)}, after restart {len(after)}")
    assert after == before
