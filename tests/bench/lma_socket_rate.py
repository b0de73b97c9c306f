#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""PBU->PBA rate of the real flowmobd LMA over a raw MH socket, end to end.

Builds a topology (tools/topo/flowmob-topo), starts build/flowmobd as the LMA in
its namespace (XDP data plane, sequence-number ordering so that pre-encoded PBUs
stay valid), and plays MAG1 from a raw IPPROTO_MH socket in the mag1 namespace:
N registrations, then R refreshes round-robin over the N bindings, pipelined
with at most W PBUs outstanding. Prints PBAs/s for both phases. The LMA process
is pinned to one CPU (taskset).

    tests/bench/lma_socket_rate.py [-n N] [-r R] [-w W] [--cpu C]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import nslib  # noqa: E402
from e2e.test_lma_signaling import ns_socket  # noqa: E402

REPO = nslib.REPO
MHTOOL = os.path.join(REPO, "build", "flowmob-mh")
FLOWMOBD = os.path.join(REPO, "build", "flowmobd")


def encode_many(msgs):
    p = subprocess.run([MHTOOL, "encode", "--hex"], input="\n".join(json.dumps(m) for m in msgs),
                       capture_output=True, text=True, check=True)
    return [bytes.fromhex(x) for x in p.stdout.split()]


def pbu(i, seq, bid=None):
    o = [{"type": "mn-id", "subtype": 1, "id": f"mn{i}@bench.example"}, {"type": "hnp", "prefix": "::/0"},
         {"type": "hi", "value": 5 if bid else 1}, {"type": "att", "value": 4}]
    if bid:
        o.append({"type": "bid", "bid": bid})
    return {"type": "pbu", "seq": seq, "flags": "AP", "lifetime": 3600, "options": o}


def run_phase(sock, wires, window):
    """Sends every wire PBU (pipelined) and counts accepted PBAs; returns (ok, secs)."""
    sent = got = ok = 0
    n = len(wires)
    sock.settimeout(2.0)
    t0 = time.monotonic()
    while got < n:
        while sent < n and sent - got < window:
            sock.sendto(wires[sent], ("fd00:11::1", 0))
            sent += 1
        try:
            data = sock.recv(2048)
        except socket.timeout:
            print(f"  timeout: {got}/{n} answered", file=sys.stderr)
            break
        if len(data) > 6 and data[2] == 6:  # PBA
            got += 1
            ok += data[6] == 0
    return ok, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("-r", type=int, default=20000)
    ap.add_argument("-w", type=int, default=32)
    ap.add_argument("--cpu", type=int, default=1)
    a = ap.parse_args()
    topo = nslib.Topo(nslib.unique_tag("b"))
    tmp = f"/tmp/fm-bench-{topo.tag}"
    os.makedirs(tmp)
    cfg = {"instance": f"bench{topo.tag}", "role": "lma", "log-level": "warn",
           "control-socket": f"{tmp}/ctl.sock", "state-dir": f"{tmp}/state",
           "lma": {"address": "fd00:11::1", "core-interfaces": ["lma-cn"],
                   "access-interfaces": ["lma-mag1", "lma-mag2"], "dataplane": "xdp",
                   "prefix-pool": "fd00:100::/40", "prefix-policy": "unique",
                   "ordering": "sequence", "flow-signaling": "fmi",
                   "mags": ["fd00:11::2", "fd00:12::2"]}}
    with open(f"{tmp}/lma.yaml", "w") as f:
        json.dump(cfg, f)
    lma = None
    try:
        topo.up()
        lma = nslib.Bg(None, ["taskset", "-c", str(a.cpu), FLOWMOBD, "-c", f"{tmp}/lma.yaml",
                              "--netns", topo.lma], log=f"{tmp}/flowmobd.log")
        nslib.wait_for(lambda: os.path.exists(f"{tmp}/ctl.sock"), timeout=15, what="flowmobd")
        sock = ns_socket(topo.mag1, "fd00:11::2")
        reg = encode_many([pbu(i, 1) for i in range(a.n)])
        ref = encode_many([pbu(i % a.n, 2 + i // a.n, bid=1) for i in range(a.r)])
        ok, t = run_phase(sock, reg, a.w)
        print(f"bindings {a.n}: registrations {ok / t:.0f} PBU->PBA/s ({ok}/{a.n} accepted "
              f"in {t:.2f} s)")
        ok, t = run_phase(sock, ref, a.w)
        print(f"bindings {a.n}: refreshes {ok / t:.0f} PBU->PBA/s ({ok}/{a.r} accepted "
              f"in {t:.2f} s), window {a.w}, LMA on CPU {a.cpu}")
    finally:
        if lma:
            lma.stop()
        subprocess.run([FLOWMOBD, "-c", f"{tmp}/lma.yaml", "--netns", topo.lma, "--cleanup"],
                       capture_output=True)
        topo.tool("down", check=False)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
