#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Restart time of the real flowmobd LMA with N bindings (a measurement; asserts
nothing): registers N MNs from a raw MH socket in the mag1 namespace (sequence
ordering, pipelined), kills the LMA with SIGKILL, starts it again and times the
start until its control socket answers, then prints how many bindings it shows.
--mode wait: 2 s between the flood and the kill (the pre-store LMA wrote its state
file at most a second after a change: it then knows every binding); early: kill
at once (the pre-store LMA then lacks them and deletes them all from the maps at
start); drop: kill at once and remove the state directory's files before the
restart (every map entry is then a stray to delete: the deletion path measured
with the store); mixed: register N/2, wait 2 s, copy the state directory aside,
register N/2 more, kill, put the copy back (the restarted LMA knows the first half
and must delete the second half's map entries while keeping the first's: the walk
that deleting during get-next-key made quadratic).

    tests/bench/lma_restart_time.py [-n N ...] [--mode wait|early|drop] [--flowmobd PATH]
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
from bench.lma_socket_rate import encode_many, pbu, run_phase  # noqa: E402
from e2e.test_lma_signaling import ns_socket  # noqa: E402

REPO = nslib.REPO


def ctl(path, cmd, timeout=60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall((json.dumps({"cmd": cmd}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1 << 20)
        if not c:
            break
        buf += c
    s.close()
    return json.loads(buf)


def one(n, flowmobd, mode):
    topo = nslib.Topo(nslib.unique_tag("r"))
    tmp = f"/tmp/fm-rbench-{topo.tag}"
    os.makedirs(tmp)
    sock_path = f"{tmp}/ctl.sock"
    cfg = {"instance": f"rb{topo.tag}", "role": "lma", "log-level": "warn",
           "control-socket": sock_path, "state-dir": f"{tmp}/state",
           "lma": {"address": "fd00:11::1", "core-interfaces": ["lma-cn"],
                   "access-interfaces": ["lma-mag1", "lma-mag2"], "dataplane": "xdp",
                   "prefix-pool": "fd00:100::/44", "prefix-policy": "unique",
                   "ordering": "sequence", "flow-signaling": "fmi",
                   "mags": ["fd00:11::2", "fd00:12::2"]}}
    with open(f"{tmp}/lma.yaml", "w") as f:
        json.dump(cfg, f)
    cmd = [flowmobd, "-c", f"{tmp}/lma.yaml", "--netns", topo.lma]
    lma = None
    try:
        topo.up()
        lma = nslib.Bg(None, cmd, log=f"{tmp}/flowmobd.log")
        nslib.wait_for(lambda: os.path.exists(sock_path), timeout=30, what="flowmobd")
        sock = ns_socket(topo.mag1, "fd00:11::2")
        half = n // 2 if mode == "mixed" else n
        ok, t = run_phase(sock, encode_many([pbu(i, 1) for i in range(half)]), 64)
        if mode == "mixed":
            time.sleep(2.0)
            subprocess.run(["cp", "-a", f"{tmp}/state", f"{tmp}/state.copy"], check=True)
            ok2, t2 = run_phase(sock, encode_many([pbu(i, 1) for i in range(half, n)]), 64)
            ok, t = ok + ok2, t + t2
        if mode == "wait":
            time.sleep(2.0)
        lma.send_signal(9)
        lma.proc.wait(10)
        lma.stop()
        os.unlink(sock_path)
        if mode == "mixed":
            subprocess.run(["rm", "-rf", f"{tmp}/state"], check=True)
            os.rename(f"{tmp}/state.copy", f"{tmp}/state")
        if mode == "drop":
            for f in os.listdir(f"{tmp}/state"):
                os.unlink(os.path.join(f"{tmp}/state", f))
        t0 = time.monotonic()
        lma = nslib.Bg(None, cmd, log=f"{tmp}/flowmobd.2.log")
        nslib.wait_for(lambda: os.path.exists(sock_path), timeout=600, interval=0.02,
                       what="flowmobd restarted")
        dt = time.monotonic() - t0
        st = ctl(sock_path, "stats")["result"]
        nb = st.get("bindings", st.get("n_bindings"))
        print(f"bindings {n} ({mode}): registered {ok} at {ok / t:.0f}/s; restart after kill -9 "
              f"{dt:.2f} s; bindings after restart: {nb}", flush=True)
    finally:
        if lma:
            lma.stop()
        subprocess.run(cmd + ["--cleanup"], capture_output=True)
        topo.tool("down", check=False)
        subprocess.run(["rm", "-rf", tmp])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, nargs="+", default=[2000, 8000])
    ap.add_argument("--mode", choices=("wait", "early", "drop", "mixed"), default="wait")
    ap.add_argument("--flowmobd", default=os.path.join(REPO, "build", "flowmobd"))
    a = ap.parse_args()
    for n in a.n:
        one(n, a.flowmobd, a.mode)


if __name__ == "__main__":
    main()
