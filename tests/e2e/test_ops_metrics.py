# SPDX-License-Identifier: GPL-2.0
"""The Prometheus endpoint (metrics: {listen: ...}) of a running LMA and MAG:
the exposition passes `promtool check metrics`, carries build info, signaling
by kind and status (with the status name), bindings by state and ATT, peer
state, data-plane outcome and drop counters; per-FID series only where
per-flow: true. Then a real Prometheus server (Debian's, in the LMA's
namespace, its own storage directory, scrape interval 1 s) scrapes both daemons
and a counter is read back through its HTTP API (/api/v1/query)."""
import json
import os
import shutil
import subprocess
import time

import pytest

from nslib import wait_for

LMA_LISTEN = "[::1]:9460"
MAG_LISTEN = "[fd00:11::2]:9461"  # mag1's address, reachable from the LMA's namespace
PROM_WEB = "127.0.0.1:19090"

FETCH = r"""
import sys, urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    sys.stdout.write(r.headers.get("Content-Type", "") + "\n" + r.read().decode())
except Exception as e:
    sys.stdout.write("ERROR %s\n" % e)
    sys.exit(1)
"""


def fetch(system, ns, url):
    p = system.topo.run(ns, ["/usr/bin/python3", "-c", FETCH, url], check=False, timeout=15)
    assert p.returncode == 0, p.stdout + p.stderr
    ctype, _, body = p.stdout.partition("\n")
    return ctype, body


def samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, v = line.rpartition(" ")
            out[name] = float(v)
    return out


@pytest.mark.system(start=False)
def test_metrics_endpoint_and_prometheus(system, tmp_path):
    s = system
    s.config["lma"]["metrics"] = {"listen": LMA_LISTEN, "per-flow": True}
    s.config["mag1"]["metrics"] = {"listen": MAG_LISTEN}
    for r in ("lma", "mag1"):
        s.write_config(r)
    s.start_all()
    s.attach("mag1")

    ctype, lma = fetch(s, "lma", f"http://{LMA_LISTEN}/metrics")
    assert ctype.startswith("text/plain; version=0.0.4")
    m = samples(lma)
    assert m['flowmob_build_info{version="0.1.0",libbpf="%s",role="lma",instance="%s"}' % (
        lma.split('libbpf="')[1].split('"')[0], s.inst["lma"])] == 1
    assert m['flowmob_signaling_messages_total{direction="rx",kind="pbu"}'] >= 1
    assert m['flowmob_signaling_status_total{kind="pba",code="0",status="accepted"}'] >= 1
    assert m['flowmob_bindings{state="active",att="4"}'] == 1
    assert m['flowmob_mobile_nodes_attached{att="4"}'] == 1
    assert m['flowmob_peer_state{peer="fd00:11::2",state="up"}'] == 1
    assert m['flowmob_peer_state{peer="fd00:11::2",state="down"}'] == 0
    assert 'flowmob_dataplane_drops_total{reason="spoofed_source"}' in m
    assert 'flowmob_dataplane_packets_total{outcome="lma_downlink_encap"}' in m
    assert m['flowmob_mag_bindings{mag="fd00:11::2"}'] == 1
    assert 'flowmob_flow_packets_total{mn="mn1@example.net",fid="1"}' in m  # per-flow: true

    _, mag = fetch(s, "lma", f"http://{MAG_LISTEN}/metrics")
    mm = samples(mag)
    assert mm['flowmob_signaling_messages_total{direction="tx",kind="pbu"}'] >= 1
    assert mm['flowmob_bindings{state="registered",att="4"}'] == 1
    assert mm['flowmob_nd_messages_total{type="ra"}'] >= 1
    assert not any(k.startswith("flowmob_flow_") for k in mm)  # per-flow off by default

    # other paths: 404; the index names /metrics
    p = s.topo.run("lma", ["/usr/bin/python3", "-c", FETCH, f"http://{LMA_LISTEN}/nope"],
                   check=False)
    assert p.returncode == 1 and "404" in p.stdout

    if shutil.which("promtool"):
        for text in (lma, mag):
            p = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stdout + p.stderr
    if not shutil.which("prometheus"):
        pytest.skip("prometheus not installed (make deps)")

    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lma
    static_configs: [{{targets: ["{LMA_LISTEN}"]}}]
  - job_name: mag1
    static_configs: [{{targets: ["{MAG_LISTEN}"]}}]
""")
    data = tmp_path / "tsdb"
    data.mkdir()
    prom = s.topo.bg("lma", ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                             f"--web.listen-address={PROM_WEB}", "--log.level=warn"],
                     log=str(tmp_path / "prometheus.log"))
    try:
        wait_for(lambda: fetch_ok(s, f"http://{PROM_WEB}/-/ready") or not prom.alive(),
                 timeout=60, interval=0.5, what="prometheus ready")
        assert prom.alive(), prom.output()

        def query(q):
            from urllib.parse import quote
            _, body = fetch(s, "lma", f"http://{PROM_WEB}/api/v1/query?query={quote(q)}")
            r = json.loads(body)
            assert r["status"] == "success", r
            return r["data"]["result"]

        def pbus():
            res = query('flowmob_signaling_messages_total{job="lma",direction="rx",kind="pbu"}')
            return res and float(res[0]["value"][1]) >= 1

        wait_for(pbus, timeout=30, interval=0.5, what="the LMA's PBU counter in Prometheus")
        wait_for(lambda: [r for r in query('up{job="mag1"}') if r["value"][1] == "1"],
                 timeout=30, interval=0.5, what="the MAG scraped")
        res = query('flowmob_bindings{job="mag1",state="registered"}')
        assert res and float(res[0]["value"][1]) == 1
    finally:
        prom.stop()


def fetch_ok(system, url):
    p = system.topo.run("lma", ["/usr/bin/python3", "-c", FETCH, url], check=False, timeout=15)
    return p.returncode == 0
