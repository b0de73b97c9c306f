# SPDX-License-Identifier: GPL-2.0
"""Restart: `kill -9` of the LMA under traffic loses no packet (the programs and
pinned maps keep forwarding), and the restarted LMA shows the same bindings and
flows (state store + reconciliation with the pinned maps) and keeps serving moves."""
import time

import pytest

from fmsystem import ATT, MN_ID, MnCounters, UdpSink, UdpStream, mh_rows
from nslib import wait_for

X, Y = 4000, 5000


def view(system):
    """Bindings and flows without the fields that change with time and traffic."""
    bs = sorted((b["mn"], b["bid"], b["att"], b["mag"], tuple(b["prefixes"]), b["state"])
                for b in system.bindings())
    fs = sorted((f["mn"], f["fid"], f["priority"], str(sorted(f["selector"].items())),
                 tuple(f["bids"]), f["action"], f["active"]) for f in system.flows())
    return bs, fs


@pytest.mark.system(prefix_policy="shared")
def test_lma_kill9_under_traffic_loses_nothing(system):
    b1, a1 = system.attach("mag1")
    b2, _ = system.attach("mag2")
    system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 9, "--priority", 50,
               "--selector", "next-header 17 dst-port 4000", "--bid", b1["bid"])
    before = view(system)
    # what was acknowledged is committed already: no wait before the kill
    flows = {fl["fid"]: fl for mn in system.ctl("lma", "state", "export")["mobile_nodes"]
             for fl in mn["flows"]}
    assert 9 in flows and flows[1]["bids"][0] == b2["bid"]

    cnt = MnCounters(system.topo, [X, Y])
    sink = UdpSink(system, Y)
    # 16 s per stream: it must outlast the restart (loading and verifying the programs
    # takes seconds on a loaded 2-CPU machine) and the move after it
    n, rate = 4000, 250
    sx = UdpStream(system, a1, X, rate=rate, count=n)
    sy = UdpStream(system, a1, Y, rate=rate, count=n)
    try:
        wait_for(lambda: cnt.get("in", "mag2", Y) > 100, timeout=10, what="traffic flowing")
        cap = system.capture_signaling("restart")
        system.kill9("lma")
        time.sleep(1.0)  # traffic keeps flowing without the agent
        assert cnt.get("in", "mag2", Y) > 100
        system.start("lma")
        system.wait_ready("lma")
        assert not sy.done(), "the stream ended before the restarted LMA was ready"
        assert view(system) == before
        assert system.stats("lma")["restart_counter"] == 2

        # the restarted LMA keeps serving moves: flow Y back to MAG1, mid-stream
        system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag1"])
        base = cnt.get("in", "mag1", Y)
        wait_for(lambda: cnt.get("in", "mag1", Y) > base + 20, timeout=10,
                 what="flow Y via MAG1 after the restart")
        wait_for(lambda: sx.done() and sy.done(), timeout=30, what="streams finished")
        # the restart is invisible to the MAGs: no re-registration, and the move
        # (shared prefix) needed no signaling either
        rows = mh_rows(cap)
        assert rows == [], [(r["msg"], r["ipv6.src"]) for r in rows]
    finally:
        sx.stop()
        sy.stop()
    assert sx.sent() == n and sy.sent() == n
    c = cnt.read()

    def total(port):
        return c[f"in_mag1_{port}"] + c[f"in_mag2_{port}"]
    wait_for(lambda: len(set(sink.seqs())) == n, timeout=5, what="every Y datagram at the MN")
    c = cnt.read()
    assert total(X) == n and total(Y) == n, c
    assert sorted(set(sink.seqs())) == list(range(n))
    # X never left MAG1 (FID 9 to BID 1)
    assert c[f"in_mag2_{X}"] == 0
    sink.stop()
