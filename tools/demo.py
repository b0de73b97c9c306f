#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tools/demo.py: `make demo` (through tools/demo.sh), the draft's flow moves, live.

Three chapters, each on a fresh topology (tools/topo/flowmob-topo) with the LMA
and both MAGs running as flowmobd from docs/examples/*.yaml (tests/e2e/fmsystem.py
builds the configurations, starts and cleans up the daemons):

  1. shared prefix: the LMA moves a flow on its own, nothing is signalled
     (seed Figures 1-3);
  2. unique prefixes: a new attachment's PBU moves a prefix, the old MAG gets
     a BRI (Figure 4);
  3. unique prefixes: the LMA moves a flow to the other MAG with FMI/FMA
     (Figures 5-6), or with --upn in RFC 7864's UPN/UPA form.

Every sentence about where traffic goes is derived from what was measured: the
nftables counters on the MN's two interfaces over a clean window, checked
against the LMA's caches (`flowmobctl -j`). When traffic is not where the step
expects, the demo stops with a message naming the counters instead of printing
a sentence. The signaling of each step is captured on the LMA's MAG-facing
links and decoded by tshark with tools/wireshark/flowmob.lua (fields by name);
the captures are merged into one file named at the end.

A live line of per-interface packet rates refreshes in place on a terminal;
when stdout is not a terminal it prints plain lines (one a second) instead.
Everything it creates (namespaces, daemons, pins, senders) is removed on exit,
on an error and on Ctrl-C/SIGTERM.

Knobs (`make demo DEMO_ARGS='--upn'` or tools/demo.sh --upn): --upn, --chapter N
(repeatable), --capture PATH (default build/demo-signaling.pcapng), --live auto|on|off;
DEMO_TAG (namespace prefix), DEMO_BREAK=N sabotages chapter N's move (1, 3: the
flow move goes to the wrong access network; 2: the MN's 3GPP link stays down)
while the step still expects the move, to show, and test, that the demo fails
loudly.
"""
import argparse
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, "tests"), os.path.join(REPO, "tests", "e2e")]

import nslib  # noqa: E402
import fmsystem  # noqa: E402
from fmsystem import ATT, CN_ADDR, LMA_ADDR, MAG_ADDR, MN_ID, MnCounters, UdpStream  # noqa: E402
from fmsystem import hnps, mh_rows  # noqa: E402
from nslib import wait_for  # noqa: E402

MAGS = ("mag1", "mag2")
MAG = {"mag1": "MAG1", "mag2": "MAG2"}
IFN = {"mag1": "if1(MAG1)", "mag2": "if2(MAG2)"}
ATT_NAME = {4: "802.11", 8: "3GPP E-UTRAN"}
NODE = {LMA_ADDR: "LMA", MAG_ADDR["mag1"]: "MAG1", MAG_ADDR["mag2"]: "MAG2"}
RATE = 200     # packets per second and flow
WINDOW = 1.0   # seconds of the clean measurement window
TICK = 0.25    # live view sample interval
BEFORE = 1.0   # seconds of live view before a move
P1 = "fd00:100::/64"  # the pool's first /64 (prefix-pool fd00:100::/48): the first binding's
EXTRA_FIELDS = ["frame.time_epoch", "flowmob.fmi.seq", "flowmob.fma.seq", "flowmob.upn.seq",
                "flowmob.upa.seq"]


class DemoError(Exception):
    """A step found traffic, state or signaling not where it expects it."""


class Flow:
    def __init__(self, name, port):
        self.name, self.port = name, port
        self.sport = 20000 + port % 10000  # UdpStream's source port
        self.dst = None

    def __str__(self):
        return f"flow {self.name} (UDP {self.port})"


def flag(v):
    return v in ("1", "True", "true")


def first(v):
    return v.split(",")[0] if v else ""


def selector_text(sel):
    """The CLI form of a JSON selector (docs/cli.md), 'any' when empty."""
    out = []
    for k, v in (sel or {}).items():
        name = k.replace("_", "-")
        if isinstance(v, list) and len(v) == 2 and v[0] != v[1]:
            out.append(f"{name} {v[0]}-{v[1]}")
        elif isinstance(v, list):
            out.append(f"{name} {v[0]}")
        else:
            out.append(f"{name} {v}")
    return " ".join(out) or "any"


class Demo:
    def __init__(self, args):
        self.args = args
        self.live_tty = sys.stdout.isatty() if args.live == "auto" else args.live == "on"
        self.bold = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
        self.tag = os.environ.get("DEMO_TAG") or nslib.unique_tag("demo")
        self.sabotage = os.environ.get("DEMO_BREAK", "")
        self.capdir = tempfile.mkdtemp(prefix="flowmob-demo-")
        self.caps = []        # per-step capture files, merged at the end
        self.open_caps = []
        self.topo = self.system = self.cnt = self.live = None
        self.streams = []
        self.flows = []
        self.chap = 0
        self.plan = []        # the chapters to run
        self.ready = {}       # chapter -> {"topo", "system"} prepared ahead
        self.journal = []     # what moved, as measured, for the summary
        self.leftovers = []

    # -- output --------------------------------------------------------------

    def close_line(self):
        """Ends a live line refreshed in place, if one is open."""
        if self.live and self.live.open:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self.live.open = False

    def out(self, text=""):
        self.close_line()
        print(text, flush=True)

    def heading(self, text):
        b1, b0 = self.bold
        self.out(f"\n{b1}== {text}{b0}")

    def step(self, text):
        b1, b0 = self.bold
        self.out(f"\n {b1}> {text}{b0}")

    def note(self, text):
        self.out(f"   {text}")

    # -- chapters: topology, daemons, teardown -----------------------------------

    def prepare(self, n):
        """Builds chapter n's topology and starts its daemons without waiting for
        them: the next chapter's BPF programs load while this one runs."""
        topo = nslib.Topo(f"{self.tag}{n}")
        entry = {"topo": topo, "system": None}
        self.ready[n] = entry  # registered first: a Ctrl-C now still tears it down
        topo.up()
        entry["system"] = fmsystem.System(topo, log_level="info", **chapter_opts(n, self.args.upn))
        for r in fmsystem.ROLES:
            entry["system"].start(r)

    def begin(self, n, title):
        self.chap = n
        self.heading(f"Chapter {n}: {title}")
        if n not in self.ready:
            self.prepare(n)
        entry = self.ready.pop(n)
        self.topo, self.system = entry["topo"], entry["system"]
        for r in fmsystem.ROLES:
            self.system.wait_ready(r)
        later = [c for c in self.plan if c > n]
        if later:
            self.prepare(later[0])
        lma = self.system.config["lma"]["lma"]
        self.note(f"LMA, MAG1 (ATT 4, 802.11) and MAG2 (ATT 8, 3GPP) run as flowmobd in namespaces "
                  f"{self.topo.tag}-*; LMA prefix-policy {lma['prefix-policy']}, "
                  f"flow-signaling {lma['flow-signaling']}")

    def teardown(self, topo, system):
        problems = []
        if system is not None:
            problems += system.cleanup()
        if topo is not None:
            topo.tool("down", check=False)
            problems += topo.present()
        if system is not None:
            system.remove_dir()
        self.leftovers += problems

    def end(self, everything=False):
        """Stops everything of the chapter (everything: also the chapters prepared
        ahead); signals are held off meanwhile so that a second Ctrl-C cannot
        leave half of it behind."""
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for s in self.streams:
                s.stop()
            self.streams = []
            for c in self.open_caps:
                c.stop(settle=0)
            self.open_caps = []
            self.teardown(self.topo, self.system)
            self.system = self.topo = self.cnt = self.live = None
            while everything and self.ready:
                _, entry = self.ready.popitem()
                self.teardown(entry["topo"], entry["system"])
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def daemon_log_tails(self, n=12):
        if self.system is None:
            return
        for role, log in self.system.logs:
            try:
                with open(log, errors="replace") as f:
                    lines = [line for line in f if "libbpf" not in line]
            except OSError:
                continue
            print(f"----- flowmobd {role}, last {n} lines -----", file=sys.stderr)
            sys.stderr.write("".join(lines[-n:]))

    # -- the LMA's caches ----------------------------------------------------------

    def bindings(self):
        return [b for b in self.system.bindings() if b["mn"] == MN_ID]

    def mag_of_bid(self, bid):
        for b in self.bindings():
            if b["bid"] == bid:
                return NODE.get(b["mag"], b["mag"]).lower()
        return None

    def flow_entry(self, fid):
        return self.system.flow(fid)

    def show_cache(self, fids=()):
        self.note("LMA binding cache (flowmobctl -j bindings):")
        for b in self.bindings():
            self.note(f"  BID {b['bid']}  {NODE.get(b['mag'], b['mag'])} {b['mag']:<11} "
                      f"ATT {b['att']} {ATT_NAME.get(b['att'], '?'):<12} prefixes "
                      f"{' '.join(b['prefixes']) or '-'}  {b['state']}")
        fl = [f for f in self.system.flows() if f["mn"] == MN_ID and (not fids or f["fid"] in fids)]
        self.note("LMA flow mobility cache (flowmobctl -j flows):")
        for f in fl:
            to = f["bids"][0] if f["bids"] else None
            where = self.mag_of_bid(to) if to is not None else None
            pref = f" prefer-att {f['prefer_att']}" if f.get("prefer_att") else ""
            self.note(f"  FID {f['fid']}  PRI {f['priority']}  {selector_text(f['selector'])}{pref}"
                      f"  -> BID {to} ({MAG.get(where, 'none')})  "
                      f"{'active' if f['active'] else 'inactive'}  {f['packets']} packets")
        if not fl:
            self.note("  (empty)")

    def wait_cache(self, pred):
        """Waits up to 5 s for the LMA's cache to reach the step's state; False when
        it does not (the measurement then shows where traffic really goes)."""
        try:
            wait_for(pred, timeout=5.0, interval=0.1, what="LMA cache")
            return True
        except TimeoutError:
            return False

    def entry_for(self, flow):
        """The flow cache entry the LMA applies to flow's packets: the first active
        one, by FID-PRI then FID, whose selector matches them; None when none does."""
        pkt = {"next_header": 17, "dst_port": flow.port, "src_port": flow.sport,
               "dst_addr": ipaddress.ip_address(flow.dst), "src_addr": ipaddress.ip_address(CN_ADDR)}
        entries = sorted((f for f in self.system.flows() if f["mn"] == MN_ID and f["active"]),
                         key=lambda f: (f["priority"], f["fid"]))
        for f in entries:
            ok = True
            for k, v in (f["selector"] or {}).items():
                v = v if isinstance(v, list) else [v]
                lo, hi = v[0], v[-1]
                if k not in pkt:
                    ok = False  # a field this demo's packets do not set a value for
                elif k.endswith("_addr"):
                    ok = ok and ipaddress.ip_address(lo) <= pkt[k] <= ipaddress.ip_address(hi)
                else:
                    ok = ok and int(lo) <= pkt[k] <= int(hi)
            if ok:
                return f
        return None

    def check_cache_agrees(self, flow, measured, fid=None):
        """The packets' interface and the LMA's cache tell the same story: the flow
        cache entry matching the flow (FID `fid` expected, None: no entry) points at
        the binding through the MAG the packets came from; without an entry, that
        binding holds the prefix the flow is addressed to (its default binding)."""
        e = self.entry_for(flow)
        got = e["fid"] if e else None
        if got != fid:
            want = f"FID {fid}" if fid else "no entry"
            raise DemoError(f"expected {flow} to match {want} of the LMA's flow cache, it matches "
                            + (f"FID {got}" if got else "none"))
        if e is None:
            b = self.system.binding_of(measured)
            pfx = [p for p in (b or {}).get("prefixes", []) if fmsystem.in_prefix(flow.dst, p)]
            if not pfx:
                raise DemoError(f"{flow} matches no flow cache entry and came through {MAG[measured]}, "
                                f"whose binding does not hold its destination {flow.dst}")
            self.note(f"{flow} matches no flow cache entry: it follows its prefix {pfx[0]} to that "
                      f"prefix's default binding, BID {b['bid']} ({MAG[measured]}), as counted")
            return
        to = e["bids"][0] if e["bids"] else None
        where = self.mag_of_bid(to)
        if where != measured:
            raise DemoError(f"the LMA's cache steers FID {e['fid']} to BID {to} ({MAG.get(where, 'none')}), "
                            f"but the MN counted {flow} through {MAG[measured]}")
        self.note(f"{flow} matches FID {e['fid']} of the LMA's flow cache: BID {to}, {MAG[where]}'s "
                  f"binding, as counted")

    # -- signaling -------------------------------------------------------------------

    def capture(self, name):
        path = os.path.join(self.capdir, f"{len(self.caps):02d}-ch{self.chap}-{name}.pcapng")
        c = nslib.Capture(self.topo.lma, ["lma-mag1", "lma-mag2"], path, bpf_filter="ip6 proto 135")
        self.caps.append(path)
        self.open_caps.append(c)
        c.t_start = time.monotonic()
        return c

    def signaling(self, cap, expect=(), none=False):
        """Decodes the capture (Lua dissector, fields by name), prints one line per
        message and checks the step's expected messages: expect is a list of
        (message, from, to, {field: value}), none=True expects no message at all."""
        cap.stop(settle=max(0.0, 0.6 - (time.monotonic() - cap.t_start)))
        self.open_caps.remove(cap)
        rows = mh_rows(cap, fields=EXTRA_FIELDS)
        if not rows:
            self.note("signaling: no Mobility Header message crossed the LMA's MAG links "
                      "(capture decoded with tools/wireshark/flowmob.lua)")
        else:
            self.note(f"signaling on the LMA's MAG links ({len(rows)} messages, decoded by tshark "
                      "with tools/wireshark/flowmob.lua):")
            t0 = float(rows[0]["frame.time_epoch"])
            for r in rows:
                self.note(f"  +{float(r['frame.time_epoch']) - t0:6.3f}s  {describe(r)}")
        if none and rows:
            raise DemoError(f"expected no signaling for this move, the capture has "
                            f"{', '.join(r['msg'] for r in rows)}")
        for msg, src, dst, want in expect:
            ok = [r for r in rows if r["msg"] == msg and NODE.get(r["ipv6.src"]) == src
                  and NODE.get(r["ipv6.dst"]) == dst
                  and all(v(r.get(k, "")) if callable(v) else r.get(k, "") == v
                          for k, v in want.items())]
            if not ok:
                raise DemoError(f"expected a {msg} from {src} to {dst} "
                                f"{' '.join(f'{k}={v}' for k, v in want.items() if not callable(v))} "
                                f"on the wire; the capture has: "
                                f"{', '.join(r['msg'] for r in rows) or 'nothing'}")
        return rows

    # -- traffic and counters ------------------------------------------------------------

    def counters(self, flows):
        self.flows = list(flows)
        self.cnt = MnCounters(self.topo, [f.port for f in flows])
        self.live = Live(self)

    def send(self, flow, dst):
        s = UdpStream(self.system, dst, flow.port, rate=RATE, sport=flow.sport)
        flow.dst = dst
        s.flow = flow
        self.streams.append(s)
        return s

    def unsend(self, flow):
        for s in [s for s in self.streams if s.flow is flow]:
            s.stop()
            self.streams.remove(s)

    def measure(self, expect):
        """expect: {Flow: mag}. Waits (up to 5 s, live view running) for every flow to
        show up where expected, lets packets in flight land, then counts a clean
        window. A flow whose packets all arrived on one interface gets its
        sentence, naming the interface the counters name; anything else stops the
        demo. Returns {Flow: mag} as measured."""
        live = self.live
        base = self.cnt.read()
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            c = live.tick()
            if all(c[f"in_{m}_{f.port}"] >= base[f"in_{m}_{f.port}"] + 3 for f, m in expect.items()):
                break
            time.sleep(TICK)
        live.run(0.3)
        s0 = self.cnt.read()
        live.run(WINDOW)
        s1 = self.cnt.read()
        measured, errors = {}, []
        for f, want in expect.items():
            d = {m: s1[f"in_{m}_{f.port}"] - s0[f"in_{m}_{f.port}"] for m in MAGS}
            counts = f"{IFN['mag1']} +{d['mag1']}, {IFN['mag2']} +{d['mag2']}"
            on = [m for m in MAGS if d[m] > 0]
            if on == [want]:
                measured[f] = want
                self.note(f"{f} through {MAG[want]}: {counts} packets in {WINDOW:.0f} s")
                continue
            seen = ("no packet arrived" if not on else "packets on both interfaces" if len(on) == 2
                    else f"it came through {MAG[on[0]]}")
            errors.append(f"{f} should go through {MAG[want]}, but the MN counted {counts} "
                          f"packets in {WINDOW:.0f} s: {seen}")
        if errors:
            raise DemoError("; ".join(errors))
        return measured


class Live:
    """Per-interface packet rates of the demo's flows, from the MN's counters: one
    line refreshed in place on a terminal, a plain line a second otherwise."""

    def __init__(self, demo):
        self.demo = demo
        self.samples = []
        self.last_plain = 0.0
        self.open = False  # a line refreshed in place, not yet ended

    def tick(self):
        c = self.demo.cnt.read()
        now = time.monotonic()
        self.samples.append((now, c))
        while len(self.samples) > 2 and now - self.samples[1][0] >= 1.0:
            self.samples.pop(0)
        self.render(now)
        return c

    def rates(self):
        (t0, c0), (t1, c1) = self.samples[0], self.samples[-1]
        dt = max(t1 - t0, 1e-3)
        return {k: (c1[k] - c0[k]) / dt for k in c1}

    def line(self):
        r = self.rates()
        parts = []
        for m in MAGS:
            per = " ".join(f"{f.name} {r[f'in_{m}_{f.port}']:4.0f}/s" for f in self.demo.flows)
            parts.append(f"{IFN[m]} {per}")
        return "rate  " + "  |  ".join(parts)

    def render(self, now):
        if len(self.samples) < 2 or now - self.samples[0][0] < 0.5:
            return
        if self.demo.live_tty:
            sys.stdout.write("\r\033[K   " + self.line())
            sys.stdout.flush()
            self.open = True
        elif now - self.last_plain >= 1.0 and now - self.samples[0][0] >= 0.9:
            self.demo.note(self.line())
            self.last_plain = now

    def run(self, seconds):
        end = time.monotonic() + seconds
        while True:
            self.tick()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(TICK, left))



def node(addr):
    return NODE.get(addr, addr)


def describe(r):
    """One line for a decoded Mobility Header message: names and key fields."""
    m = r["msg"]
    kv = []

    def add(label, field, conv=None):
        v = r.get(field, "")
        if v:
            kv.append(f"{label} {conv(v) if conv else v}")
    if m in ("PBU", "PBA"):
        if m == "PBA":
            add("status", "mip6.ba.status")
        add("lifetime", "mip6.bu.lifetime" if m == "PBU" else "mip6.ba.lifetime")
        add("ATT", "mip6.att")
        add("BID", "mip6.bi.bid")
        if hnps(r):
            kv.append("HNP " + ",".join(hnps(r)))
        add("FID", "flowmob.fid.fid")
    elif m == "BRI":
        add("trigger", "mip6.bri_r.trigger")
        if r.get("mip6.bri_ip"):
            kv.append(f"P {1 if flag(r['mip6.bri_ip']) else 0}")
        add("BID", "mip6.bi.bid")
        if hnps(r):
            kv.append("HNP " + ",".join(hnps(r)))
    elif m == "BRA":
        add("status", "mip6.bri_status")
    elif m == "FMI":
        add("seq", "flowmob.fmi.seq")
        kv.append("cancel" if flag(r.get("flowmob.fmi.c", "")) else
                  "refresh" if flag(r.get("flowmob.fmi.r", "")) else "create")
        add("lifetime", "flowmob.fmi.lifetime")
        add("FID", "flowmob.fid.fid")
        add("PRI", "flowmob.fid.pri")
        add("BID-ref", "flowmob.bidref.bid")
        if hnps(r):
            kv.append("HNP " + ",".join(hnps(r)))
        add("selector", "flowmob.ts.selector")
    elif m == "FMA":
        add("seq", "flowmob.fma.seq")
        add("status", "flowmob.fma.status")
        add("FID", "flowmob.fid.fid")
        add("FID-status", "flowmob.fid.status")
    elif m == "UPN":
        add("seq", "flowmob.upn.seq")
        add("reason", "flowmob.upn.reason", lambda v: f"{v}{' (FLOW-MOBILITY)' if v == '8' else ''}")
        if r.get("flowmob.upn.a"):
            kv.append(f"A {1 if flag(r['flowmob.upn.a']) else 0}")
        add("BID", "mip6.bi.bid")
        if hnps(r):
            kv.append("HNP " + ",".join(hnps(r)))
        add("FID", "flowmob.fid.fid")
    elif m == "UPA":
        add("seq", "flowmob.upa.seq")
        add("status", "flowmob.upa.status")
    return f"{node(r['ipv6.src']):>4} -> {node(r['ipv6.dst']):<4} {m:<3}  {'  '.join(kv)}"


# ---------------------------------------------------------------------------
# the steps every chapter shares


def attach(d, mags, prefix=None):
    """The MN's interfaces come up one after the other (so the order of the
    registrations, and with it the BIDs and a shared prefix's default binding,
    is fixed); each MAG registers it with PBU/PBA."""
    names = " then ".join(f"{MAG[m]} ({IFN[m][:3]}, ATT {ATT[m]})" for m in mags)
    d.step(f"The MN attaches through {names}: Router Solicitation, PBU/PBA")
    cap = d.capture("attach")
    res = {}
    for m in mags:
        res[m] = d.system.attach(m, prefix=prefix)
    d.signaling(cap, expect=[e for m in mags for e in (
        ("PBU", MAG[m], "LMA", {}), ("PBA", "LMA", MAG[m], {"mip6.ba.status": "0"}))])
    d.show_cache()
    for m in mags:
        d.note(f"the MN configured {res[m][1]} on {IFN[m][:3]} (SLAAC from {MAG[m]}'s RA)")
    return res


def move_step(d, title, fid, att, bid=None):
    """`flowmobctl flow move`; DEMO_BREAK=<chapter> sends it to the wrong access."""
    d.step(title)
    args = ["flow", "move", MN_ID, str(fid)] + (["--bid", str(bid)] if bid else ["--att", str(att)])
    if d.sabotage == str(d.chap):
        wrong = 4 if att == 8 else 8
        args = ["flow", "move", MN_ID, str(fid), "--att", str(wrong)]
        d.note(f"DEMO_BREAK={d.sabotage}: sabotaged, the move goes to ATT {wrong} instead")
    d.note("$ flowmobctl -j " + " ".join(args))
    d.live.run(BEFORE)
    d.system.ctl("lma", *args)


# ---------------------------------------------------------------------------
# chapters


def chapter_opts(n, upn):
    """fmsystem.System options of chapter n."""
    if n == 1:
        return {"prefix_policy": "shared"}
    if n == 2:
        return {"prefix_policy": "unique",
                "policies": [{"fid": 7, "priority": 5, "selector": {"dst-addr": [P1]},
                              "prefer-att": [8, 4]}]}
    return {"prefix_policy": "unique", "flow_signaling": "upn" if upn else "fmi"}


def chapter1(d):
    d.begin(1, "shared prefix, the LMA moves a flow on its own (seed Figures 1-3)")
    res = attach(d, MAGS)
    b1, addr = res["mag1"]
    b2 = res["mag2"][0]
    if b1["prefixes"] != b2["prefixes"]:
        raise DemoError(f"expected one shared prefix, the bindings hold {b1['prefixes']} and "
                        f"{b2['prefixes']}")
    d.note(f"Figure 1: two bindings (BID {b1['bid']}, BID {b2['bid']}), one home network prefix "
           f"{b1['prefixes'][0]} on both")

    X, Y = Flow("X", 4000), Flow("Y", 5000)
    d.step(f"Figure 2: the CN sends {X} and {Y} to {addr}")
    d.counters([X, Y])
    d.send(X, addr)
    d.send(Y, addr)
    got = d.measure({X: "mag1", Y: "mag1"})
    d.check_cache_agrees(X, got[X])
    d.check_cache_agrees(Y, got[Y], fid=1)

    cap = d.capture("move")
    move_step(d, f"Figure 3: the LMA moves {Y} to the MN's 3GPP interface", 1, ATT["mag2"])
    d.wait_cache(lambda: d.flow_entry(1)["bids"][0] == b2["bid"])
    got = d.measure({X: "mag1", Y: "mag2"})
    d.signaling(cap, none=True)
    d.show_cache(fids=(1,))
    d.check_cache_agrees(Y, got[Y], fid=1)
    d.note("MAG2 already served the shared prefix, so the LMA only changed its data plane")
    d.journal.append(f"chapter 1: {Y} MAG1 -> MAG2, LMA-local (no Mobility Header message)")

    cap = d.capture("back")
    move_step(d, f"And back: {Y} to BID {b1['bid']} (MAG1)", 1, ATT["mag1"], bid=b1["bid"])
    d.wait_cache(lambda: d.flow_entry(1)["bids"][0] == b1["bid"])
    got = d.measure({X: "mag1", Y: "mag1"})
    d.signaling(cap, none=True)
    d.check_cache_agrees(Y, got[Y], fid=1)
    d.journal.append(f"chapter 1: {Y} MAG2 -> MAG1, LMA-local; {X} stayed on MAG1")
    d.end()


def chapter2(d):
    d.begin(2, "unique prefixes, a new attachment's PBU moves a prefix, BRI/BRA (seed Figure 4)")
    for pol in d.system.config["lma"]["lma"]["policies"]:
        d.note(f"LMA policy FID {pol['fid']}: everything to {', '.join(pol['selector']['dst-addr'])} "
               f"prefers " + ", then ".join(f"ATT {a} ({ATT_NAME[a]})" for a in pol["prefer-att"]))
    res = attach(d, ["mag1"])
    b1, a1 = res["mag1"]
    if b1["prefixes"] != [P1]:
        raise DemoError(f"expected MAG1's binding to get {P1}, it holds {b1['prefixes']}")
    Z = Flow("Z", 6000)
    d.step(f"The CN sends {Z} to {a1} (in {P1}); 3GPP is not there yet")
    d.counters([Z])
    d.send(Z, a1)
    got = d.measure({Z: "mag1"})
    d.check_cache_agrees(Z, got[Z], fid=7)

    d.step("The MN's 3GPP interface attaches: MAG2's PBU, and the LMA moves the prefix")
    cap = d.capture("attach-mag2")
    d.live.run(BEFORE)
    if d.sabotage == "2":
        d.note("DEMO_BREAK=2: sabotaged, the MN's 3GPP link stays down")
    else:
        d.system.attach("mag2", prefix=P1)
    moved = d.wait_cache(lambda: P1 in (d.system.binding_of("mag2") or {}).get("prefixes", [])
                         and P1 not in d.system.binding_of("mag1")["prefixes"])
    if moved:
        a2 = d.system.wait_mn_addr("mag2", P1)
        try:
            wait_for(lambda: not any(fmsystem.in_prefix(a, P1) for a in d.system.mn_addrs("mag1")),
                     timeout=10, what=f"{P1} withdrawn from mn-mag1")
        except TimeoutError:
            raise DemoError(f"{P1} moved at the LMA but the MN still has it on if1") from None
        d.note(f"the MN lost {a1} on if1 and configured {a2} on if2 (SLAAC from MAG2's RA); "
               f"the CN now sends {Z} there")
        d.unsend(Z)
        d.send(Z, a2)
    else:
        d.note(f"{P1} did not move at the LMA; the CN keeps sending to {a1}")
    got = d.measure({Z: "mag2"})
    d.signaling(cap, expect=[
        ("PBU", "MAG2", "LMA", {}),
        ("PBA", "LMA", "MAG2", {"mip6.ba.status": "0",
                                "mip6.nemo.mnp.mnp": lambda v: P1.split("/")[0] in v.split(",")}),
        ("BRI", "LMA", "MAG1", {"mip6.bri_r.trigger": "1",
                                "mip6.nemo.mnp.mnp": lambda v: P1.split("/")[0] in v.split(",")}),
        ("BRA", "MAG1", "LMA", {"mip6.bri_status": "0"})])
    d.show_cache()
    d.check_cache_agrees(Z, got[Z], fid=7)
    d.note(f"the PBA gave MAG2 the prefix {P1}, the BRI took it from MAG1 (BRA status 0)")
    d.journal.append(f"chapter 2: prefix {P1} with {Z} MAG1 -> MAG2 (PBU/PBA, BRI/BRA)")
    d.end()


def has(prefix):
    """A field test: the decoded HNP list holds prefix (given as P/len)."""
    addr = prefix.split("/")[0]
    return lambda v: addr in v.split(",")


def chapter3(d, upn):
    if upn:
        title = "unique prefixes, the LMA moves a flow with UPN/UPA (RFC 7864)"
    else:
        title = "unique prefixes, the LMA moves a flow between MAGs with FMI/FMA (seed Figures 5-6)"
    d.begin(3, title)
    res = attach(d, MAGS)
    (b1, a1), (b2, _) = res["mag1"], res["mag2"]
    p1, p2 = b1["prefixes"][0], b2["prefixes"][0]
    if set(b1["prefixes"]) & set(b2["prefixes"]):
        raise DemoError(f"expected unique prefixes, the bindings share "
                        f"{set(b1['prefixes']) & set(b2['prefixes'])}")
    X, Y = Flow("X", 4000), Flow("Y", 5000)
    d.step(f"The CN sends {X} and {Y} to {a1} (in MAG1's prefix {p1})")
    d.counters([X, Y])
    d.send(X, a1)
    d.send(Y, a1)
    got = d.measure({X: "mag1", Y: "mag1"})
    d.check_cache_agrees(X, got[X])
    d.check_cache_agrees(Y, got[Y], fid=1)

    def move(title, src, dst, b_dst, missing):
        """One move of FID 1 to dst, whose binding lacks the prefix `missing`. FID 1's
        selector names no destination address, so the flow may be addressed to any
        of the MN's prefixes: the LMA signals every one the target lacks."""
        cap = d.capture(f"to-{dst}")
        move_step(d, title, 1, ATT[dst])
        if upn:
            d.wait_cache(lambda: missing in d.system.binding_of(dst)["prefixes"])
        else:
            d.wait_cache(lambda: d.flow_entry(1)["bids"][0] == b_dst["bid"])
        got = d.measure({X: "mag1", Y: dst})
        S, D = MAG[src], MAG[dst]
        if upn:
            rows = d.signaling(cap, expect=[
                ("UPN", "LMA", D, {"flowmob.upn.reason": "8", "flowmob.upn.a": flag,
                                   "mip6.nemo.mnp.mnp": has(missing),
                                   "flowmob.fid.fid": lambda v: first(v) == "1"}),
                ("UPA", D, "LMA", {"flowmob.upa.status": "0"}),
                ("PBU", D, "LMA", {"mip6.nemo.mnp.mnp": has(missing)}),
                ("PBA", "LMA", D, {"mip6.ba.status": "0", "mip6.nemo.mnp.mnp": has(missing)})])
            if [r for r in rows if r["msg"] in ("FMI", "FMA")]:
                raise DemoError("flow-signaling upn, yet the capture has FMI/FMA")
            d.show_cache()
            d.check_cache_agrees(Y, got[Y], fid=1)
            d.note(f"the UPN (reason 8, FLOW-MOBILITY) asked {D} to re-register; its PBU/PBA added "
                   f"{missing} to {D}'s binding")
            how = "UPN/UPA, then PBU/PBA"
        else:
            expect = [("FMI", "LMA", D, {"flowmob.fmi.c": lambda v: not flag(v),
                                         "flowmob.fid.fid": lambda v: first(v) == "1",
                                         "flowmob.bidref.bid": lambda v: str(b_dst["bid"]) in v.split(","),
                                         "mip6.nemo.mnp.mnp": has(missing)}),
                      ("FMA", D, "LMA", {"flowmob.fma.status": "0"})]
            rows = d.signaling(cap, expect=expect)
            cancel = [r for r in rows if r["msg"] == "FMI" and NODE.get(r["ipv6.dst"]) == S
                      and flag(r.get("flowmob.fmi.c", ""))]
            d.show_cache(fids=(1,))
            d.check_cache_agrees(Y, got[Y], fid=1)
            d.note(f"the FMI gave {D} FID 1 (BID-ref {b_dst['bid']}) and the home prefix {missing} its "
                   f"binding lacks; {D} accepted (FMA status 0)"
                   + (f"; {S} was told to forget FID 1 (FMI cancel, lifetime "
                      f"{cancel[0]['flowmob.fmi.lifetime']})" if cancel else ""))
            how = "FMI/FMA" + (f", FMI cancel to {S}" if cancel else "")
        d.journal.append(f"chapter 3: {Y} {S} -> {D} ({how}); {X} stayed on MAG1")

    if "dst_addr" not in (d.flow_entry(1)["selector"] or {}):
        d.note("FID 1's selector names no destination address, so the flow may be addressed to "
               "any of the MN's prefixes: a move signals every one the target binding lacks")
    fig = "" if upn else "Figures 5-6: "
    move(f"The LMA moves {Y} to MAG2, which does not hold {p1}", "mag1", "mag2", b2, p1)
    move(f"{fig}the LMA moves {Y} back to MAG1, which does not hold {p2}", "mag2", "mag1", b1, p2)
    d.end()


def merge_captures(d, out):
    files = [f for f in d.caps if os.path.exists(f) and os.path.getsize(f) > 0]
    if not files:
        return None
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    p = subprocess.run(["mergecap", "-w", out] + files, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"demo: mergecap failed: {p.stderr.strip()}", file=sys.stderr)
        return None
    return out


def count_messages(path):
    """Mobility Header messages in a capture file, as tshark counts them."""
    try:
        return len(nslib.tshark_fields(path, ["frame.number"], "ipv6.nxt == 135"))
    except (nslib.NsError, subprocess.TimeoutExpired) as e:
        print(f"demo: tshark could not read {path}: {e}", file=sys.stderr)
        return None


def main():
    ap = argparse.ArgumentParser(description="flowmob demo: the draft's flow moves, live")
    ap.add_argument("--upn", action="store_true",
                    help="chapter 3 with RFC 7864 UPN/UPA instead of FMI/FMA")
    ap.add_argument("--chapter", type=int, action="append", choices=(1, 2, 3),
                    help="run only this chapter (repeatable; default all)")
    ap.add_argument("--capture", default=os.path.join(REPO, "build", "demo-signaling.pcapng"),
                    help="where to leave the signaling capture (default build/demo-signaling.pcapng)")
    ap.add_argument("--live", choices=("auto", "on", "off"), default="auto",
                    help="rates refreshing in place (auto: when stdout is a terminal)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("demo: needs root (network namespaces, XDP)", file=sys.stderr)
        return 1
    for b in (fmsystem.FLOWMOBD, fmsystem.FLOWMOBCTL):
        if not os.access(b, os.X_OK):
            print(f"demo: {b} missing: run 'make' first", file=sys.stderr)
            return 1

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    # also SIGINT: a shell without job control starts background jobs with it ignored
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    d = Demo(args)
    chapters = d.plan = sorted(set(args.chapter or (1, 2, 3)))
    t0 = time.monotonic()
    rc = 0
    print("flowmob demo: PMIPv6 flow mobility (LMA + MAG1 + MAG2 as flowmobd, XDP data plane), "
          "CN -- LMA -- MAG1 (802.11), MAG2 (3GPP) -- MN", flush=True)
    try:
        for n in chapters:
            if n == 1:
                chapter1(d)
            elif n == 2:
                chapter2(d)
            else:
                chapter3(d, args.upn)
    except (DemoError, nslib.NsError, TimeoutError) as e:
        d.close_line()
        d.daemon_log_tails()
        print(f"\ndemo: FAILED in chapter {d.chap}: {e}", file=sys.stderr, flush=True)
        rc = 1
    except KeyboardInterrupt:
        d.close_line()
        print("\ndemo: interrupted", file=sys.stderr, flush=True)
        rc = 130
    finally:
        d.end(everything=True)
        cap = merge_captures(d, args.capture)
        shutil.rmtree(d.capdir, ignore_errors=True)
        d.heading("Tearing down")
        if d.leftovers:
            print(f"demo: left behind: {d.leftovers}", file=sys.stderr)
            rc = rc or 1
        else:
            d.note("daemons stopped, namespaces, BPF programs and pins removed")
    if rc == 0:
        d.heading(f"Done in {time.monotonic() - t0:.0f} s: what moved, as the counters showed it")
        for j in d.journal:
            d.note(j)
    if cap:
        d.note(f"signaling capture ({count_messages(cap)} Mobility Header messages, all chapters): {cap}")
        d.note(f"  wireshark -X lua_script:{os.path.join(REPO, 'tools/wireshark/flowmob.lua')} {cap}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
