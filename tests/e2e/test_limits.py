# SPDX-License-Identifier: GPL-2.0
"""Limits and failed starts with the real daemon (issue 11 points 4, 5, 9):

- a start that fails (an interface that does not exist, a control socket that
  cannot be created after the data plane is loaded) exits 1 naming the key and
  line, and leaves no XDP attachment and no pin behind: the next start loads
  afresh instead of "reusing" the remains;
- beyond max-mns a registration gets PBA 130 (never 0 without forwarding), a
  flow add beyond the rule sets fails with a message and adds nothing;
- bindings in pages; flow move --att T without such a binding fails and changes
  nothing; monitor exits 1 when the daemon goes away; SIGHUP with --netns on the
  command line does not warn about netns.
"""
import json
import os
import signal
import subprocess
import time

import pytest

import nslib
from nslib import wait_for
from test_lma_signaling import FLOWMOBD, LMA, MAG1, NAI, Lma, net, pbu  # noqa: F401 (fixture)

FLOWMOBCTL = os.path.join(nslib.REPO, "build", "flowmobctl")
PIN_ROOT = "/sys/fs/bpf/flowmob"


def xdp_on(topo, ns, dev):
    out = topo.run(ns, ["ip", "-d", "link", "show", "dev", dev]).stdout
    return "xdp" in out


def run_fmd(*args, timeout=60):
    return subprocess.run([FLOWMOBD, *args], capture_output=True, text=True, timeout=timeout)


def rewrite(lma, fn):
    with open(lma.cfg) as f:
        cfg = json.load(f)
    fn(cfg)
    with open(lma.cfg, "w") as f:
        json.dump(cfg, f)


# ---- point 4: a failed start undoes what it did ---------------------------------------

def test_failed_start_unknown_interface_leaves_nothing(net):
    topo, mags, make_lma = net
    lma = make_lma()
    lma.stop()
    subprocess.run([FLOWMOBD, "-c", lma.cfg, "--cleanup"], capture_output=True, timeout=30)
    assert not os.path.exists(f"{PIN_ROOT}/{lma.instance}")
    assert not xdp_on(topo, topo.lma, "lma-mag1")
    rewrite(lma, lambda c: c["lma"]["access-interfaces"].append("lma-nosuch"))
    r = run_fmd("-c", lma.cfg)
    assert r.returncode == 1
    # the key and its line (JSON is YAML: the whole file is line 1)
    assert ":1: lma.access-interfaces[2]: interface 'lma-nosuch' does not exist" in r.stderr, \
        r.stderr
    assert not os.path.exists(f"{PIN_ROOT}/{lma.instance}"), "pins left by a failed start"
    for dev in ("lma-cn", "lma-mag1", "lma-mag2"):
        assert not xdp_on(topo, topo.lma, dev), f"XDP left on {dev}"
    # fixed: the next start loads afresh
    rewrite(lma, lambda c: c["lma"]["access-interfaces"].remove("lma-nosuch"))
    lma.start()
    wait_for(lambda: "data plane" in lma.proc.output(), timeout=10, what="data plane line")
    assert "data plane loaded" in lma.proc.output()
    assert "reused" not in lma.proc.output()


def test_failed_start_after_dataplane_is_rolled_back(net):
    """The control socket cannot be created: the data plane was already loaded and
    attached; the start undoes it (before, XDP and pins stayed and the next start
    said "data plane reused from an earlier run")."""
    topo, mags, make_lma = net
    lma = make_lma()
    lma.stop()
    subprocess.run([FLOWMOBD, "-c", lma.cfg, "--cleanup"], capture_output=True, timeout=30)
    good = lma.sock
    rewrite(lma, lambda c: c.update({"control-socket": "/proc/fm-no-such-dir/ctl.sock"}))
    r = run_fmd("-c", lma.cfg)
    assert r.returncode == 1, r.stderr
    assert "attached to lma-mag1" in r.stderr  # it did get that far
    assert not os.path.exists(f"{PIN_ROOT}/{lma.instance}"), "pins left by a failed start"
    for dev in ("lma-cn", "lma-mag1", "lma-mag2"):
        assert not xdp_on(topo, topo.lma, dev), f"XDP left on {dev}"
    rewrite(lma, lambda c: c.update({"control-socket": good}))
    lma.start()
    wait_for(lambda: "data plane" in lma.proc.output(), timeout=10, what="data plane line")
    assert "data plane loaded" in lma.proc.output()


def test_failed_restart_keeps_the_running_data_plane(net):
    """A failed start over an earlier run's pins puts its links back as they were:
    the earlier run's forwarding state stays, and the next start reuses it."""
    topo, mags, make_lma = net
    lma = make_lma()
    assert mags["mag1"].register(1)["status"] == 0
    lma.stop()
    good = lma.sock
    rewrite(lma, lambda c: c.update({"control-socket": "/proc/fm-no-such-dir/ctl.sock"}))
    r = run_fmd("-c", lma.cfg)
    assert r.returncode == 1
    assert os.path.exists(f"{PIN_ROOT}/{lma.instance}")
    assert xdp_on(topo, topo.lma, "lma-mag1")
    rewrite(lma, lambda c: c.update({"control-socket": good}))
    lma.start()
    wait_for(lambda: "data plane" in lma.proc.output(), timeout=10, what="data plane line")
    assert "reused" in lma.proc.output()
    assert [b["mn"] for b in lma.ok("bindings")] == [NAI]


def test_killed_first_start_is_not_taken_for_a_healthy_run(net):
    """A first start killed before it was ready leaves its start mark with the pins:
    the next start removes them and loads afresh. A ready daemon has no mark, so a
    kill -9 after start is reused as before."""
    topo, mags, make_lma = net
    lma = make_lma()
    [pin] = [os.path.join(f"{PIN_ROOT}/{lma.instance}", d)
             for d in os.listdir(f"{PIN_ROOT}/{lma.instance}")]
    assert not os.path.exists(os.path.join(pin, "start_incomplete"))
    assert "start_incomplete" not in lma.proc.output()  # made and removed without a warning
    lma.proc.send_signal(signal.SIGKILL)
    lma.proc.proc.wait(10)
    lma.start()
    wait_for(lambda: "data plane" in lma.proc.output(), timeout=10, what="data plane line")
    assert "reused" in lma.proc.output()
    lma.proc.send_signal(signal.SIGKILL)
    lma.proc.proc.wait(10)
    os.mkdir(os.path.join(pin, "start_incomplete"))  # as a start killed half-way leaves it
    lma.start()
    wait_for(lambda: "data plane" in lma.proc.output(), timeout=10, what="data plane line")
    out = lma.proc.output()
    assert "remains of a start that did not complete" in out
    assert "data plane loaded" in out and "reused" not in out
    assert not os.path.exists(os.path.join(pin, "start_incomplete"))


# ---- point 5: capacity -------------------------------------------------------------------

def with_max_mns(lma, n):
    rewrite(lma, lambda c: c.update({"max-mns": n}))


def test_max_mns_pba_130(net):
    topo, mags, make_lma = net
    lma = make_lma()
    lma.stop()
    subprocess.run([FLOWMOBD, "-c", lma.cfg, "--cleanup"], capture_output=True, timeout=30)
    with_max_mns(lma, 2)
    lma.start()
    m = mags["mag1"]
    assert m.register(1, nai="a@example.net")["status"] == 0
    assert m.register(1, nai="b@example.net")["status"] == 0
    assert m.register(1, nai="c@example.net")["status"] == 130
    assert sorted(b["mn"] for b in lma.ok("bindings")) == ["a@example.net", "b@example.net"]
    # the data plane holds exactly the accepted ones
    keys = [e.get("formatted", e)["key"] for e in lma.map_dump("fm_binding")]
    assert len(keys) == 2
    assert lma.ok("stats")["signaling"]["status"]["pba:130"] == 1
    assert "capacity 2 mobile nodes, 4 bindings, 6 prefixes" in lma.proc.output()
    # a refresh of an accepted MN is still accepted
    assert m.register(2, nai="a@example.net")["status"] == 0


def ctl(lma, *args):
    return subprocess.run([FLOWMOBCTL, "-s", lma.sock, *map(str, args)], capture_output=True,
                          text=True, timeout=15)


def test_flow_add_beyond_rule_sets_fails(net):
    """max-mns 2: two rule sets; MNs with their own flows take one each. A flow add
    that needs a third fails with a message and adds nothing (before: 'ok', not in
    the data plane)."""
    topo, mags, make_lma = net
    lma = make_lma()
    lma.stop()
    subprocess.run([FLOWMOBD, "-c", lma.cfg, "--cleanup"], capture_output=True, timeout=30)
    with_max_mns(lma, 2)
    lma.start()
    m = mags["mag1"]
    for nai in ("a@example.net", "b@example.net"):
        assert m.register(1, nai=nai)["status"] == 0
    for port, nai in enumerate(("a@example.net", "b@example.net")):
        # different rules: one rule set each (equal ones would share one)
        r = ctl(lma, "flow", "add", nai, "--fid", 1, "--selector", f"dst-port {5000 + port}",
                "--bid", 1)
        assert r.returncode == 0, r.stderr
    r = ctl(lma, "flow", "add", "a@example.net", "--fid", 2, "--selector", "dst-port 6000",
            "--bid", 1)
    assert r.returncode == 1
    assert "rule set" in r.stderr and "not added" in r.stderr
    flows = lma.ok("flows")
    assert sorted((f["mn"], f["fid"]) for f in flows) == [("a@example.net", 1),
                                                          ("b@example.net", 1)]
    assert all(f["active"] for f in flows)


# ---- point 5: pages; point 9 ---------------------------------------------------------------

def test_bindings_pages_and_flow_move_att(net):
    topo, mags, make_lma = net
    lma = make_lma()
    m = mags["mag1"]
    for i in range(3):
        assert m.register(1, nai=f"p{i}@example.net")["status"] == 0
    page = lma.ok("bindings", offset=1, limit=1)
    assert page["total"] == 3 and page["next"] == 2
    assert [b["mn"] for b in page["items"]] == ["p1@example.net"]
    r = ctl(lma, "-j", "bindings")
    assert r.returncode == 0, r.stderr
    assert [b["mn"] for b in json.loads(r.stdout)] == [f"p{i}@example.net" for i in range(3)]
    # flow move --att 99: no binding of that type: an error, and the flow stays
    r = ctl(lma, "flow", "add", "p0@example.net", "--fid", 7, "--selector", "dst-port 7000",
            "--bid", 1)
    assert r.returncode == 0, r.stderr
    r = ctl(lma, "flow", "move", "p0@example.net", 7, "--att", 99)
    assert r.returncode == 1
    assert "access technology 99" in r.stderr
    f = [f for f in lma.ok("flows") if f["fid"] == 7][0]
    assert f["active"] and f["bids"] == [1]


def test_monitor_exits_when_daemon_stops(net):
    topo, mags, make_lma = net
    lma = make_lma()
    mon = subprocess.Popen([FLOWMOBCTL, "-s", lma.sock, "-j", "monitor"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        lma.stop()
        out, err = mon.communicate(timeout=10)
    finally:
        if mon.poll() is None:
            mon.kill()
    assert mon.returncode == 1
    assert "closed the connection" in err


def test_sighup_no_netns_warning_with_cmdline_netns(net):
    topo, mags, make_lma = net
    lma = make_lma()
    lma.stop()
    rewrite(lma, lambda c: c.pop("netns"))  # the namespace only on the command line
    lma.start()  # Lma.start passes --netns
    lma.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload: done" in lma.proc.output(), timeout=10, what="reload done")
    assert "netns changed" not in lma.proc.output()
