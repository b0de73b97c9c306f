# SPDX-License-Identifier: GPL-2.0
"""Routing the anchored prefixes by BGP (config `routes: {table: 100}`): the LMA
keeps its prefix pool and every home network prefix in use as routes in table
100; a BIRD 2 in the LMA's namespace learns them (protocol kernel, learn) and
announces them over eBGP to a BIRD 2 in the CN's namespace, which installs them
— the CN's static route to the pool is deleted first, so traffic to a new MN's
prefix flows only thanks to BGP. Deregistration withdraws the MN's prefix; a
restart keeps the routes; --cleanup removes them."""
import os
import shutil
import signal
import subprocess

import pytest

import fmsystem
from nslib import wait_for

TABLE = 100
PROTO = 200

LMA_BIRD = """router id 10.255.0.1;
protocol device { scan time 1; }
protocol kernel flowmob {
  ipv6 { import all; export none; };
  kernel table %d;
  learn;
  scan time 1;
}
protocol bgp cn {
  local fd00:1::1 as 65001;
  neighbor fd00:1::2 as 65002;
  connect retry time 1;
  ipv6 { import none; export all; };
}
""" % TABLE

CN_BIRD = """router id 10.255.0.2;
protocol device { scan time 1; }
protocol kernel {
  ipv6 { import none; export all; };
}
protocol bgp lma {
  local fd00:1::2 as 65002;
  neighbor fd00:1::1 as 65001;
  connect retry time 1;
  ipv6 { import all; export none; };
}
"""


def routes(system, ns, *args):
    p = system.topo.run(ns, ["ip", "-6", "route", "show", *args], check=False)
    return p.stdout


@pytest.mark.system(start=False)
def test_bgp_announces_anchored_prefixes(system, tmp_path):
    if not shutil.which("bird"):
        pytest.skip("bird2 not installed (make deps)")
    s = system
    s.config["lma"]["routes"] = {"table": TABLE}
    s.write_config("lma")
    s.start_all()
    # the pool is in table 100 as soon as the LMA serves
    assert "blackhole fd00:100::/48" in routes(s, "lma", "table", str(TABLE), "proto", str(PROTO))
    s.topo.run("cn", ["ip", "-6", "route", "del", "fd00:100::/48"])

    birds = []
    try:
        for ns, conf in (("lma", LMA_BIRD), ("cn", CN_BIRD)):
            cfg = tmp_path / f"bird-{ns}.conf"
            cfg.write_text(conf)
            birds.append(s.bg(ns, ["bird", "-f", "-c", str(cfg), "-s",
                                   str(tmp_path / f"bird-{ns}.ctl"), "-P",
                                   str(tmp_path / f"bird-{ns}.pid")], name=f"bird-{ns}"))
        wait_for(lambda: "fd00:100::/48" in routes(s, "cn", "proto", "bird"), timeout=30,
                 interval=0.5, what="the pool announced to the CN")

        b, addr = s.attach("mag1")
        hnp = b["prefixes"][0]
        assert hnp in routes(s, "lma", "table", str(TABLE))
        wait_for(lambda: hnp in routes(s, "cn", "proto", "bird"), timeout=30, interval=0.5,
                 what=f"{hnp} announced to the CN")
        assert "via fd00:1::1" in routes(s, "cn", hnp)
        assert s.topo.ping("cn", addr, count=3, timeout=2), "CN cannot reach the MN by BGP"

        # restart: the routes stay in the table throughout
        s.stop("lma")
        assert hnp in routes(s, "lma", "table", str(TABLE))
        s.start("lma")
        s.wait_ready("lma")
        assert hnp in routes(s, "lma", "table", str(TABLE))

        # deregistration: the MN's prefix is withdrawn, the pool stays
        s.mn_link("mag1", False)
        s.ctl_raw("mag1", "detach", fmsystem.MN_ID, "mag1-mn")
        wait_for(lambda: hnp not in routes(s, "lma", "table", str(TABLE)), timeout=30,
                 interval=0.5, what=f"{hnp} removed from table {TABLE}")
        wait_for(lambda: hnp not in routes(s, "cn", "proto", "bird"), timeout=30, interval=0.5,
                 what=f"{hnp} withdrawn at the CN")
        assert "fd00:100::/48" in routes(s, "cn", "proto", "bird")
    finally:
        for bird in birds:
            bird.stop(signal.SIGTERM)

    # --cleanup removes flowmob's routes
    s.stop("lma")
    p = subprocess.run([fmsystem.FLOWMOBD, "-c", s.cfg["lma"], "--cleanup"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert routes(s, "lma", "table", str(TABLE), "proto", str(PROTO)).strip() == ""
