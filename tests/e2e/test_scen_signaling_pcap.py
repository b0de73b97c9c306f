# SPDX-License-Identifier: GPL-2.0
"""Issue 6 point 5: one full run's signaling, kept as build/artifacts/signaling.pcap.

One system (unique prefixes, heartbeats every second) goes through every kind of
exchange flowmob speaks: PBU/PBA (attach, re-registration, de-registration),
heartbeats, FMI/FMA (add and cancel), after a SIGHUP to RFC 7864 mode UPN/UPA then
PBU/PBA, and a prefix move with BRI/BRA. Everything on the LMA's MAG-facing links
is captured; tshark with tools/wireshark/flowmob.lua must decode every message
with no malformed packet, no expert error, and good MH checksums."""
import os
import signal
import subprocess

import pytest

import nslib
from fmsystem import ATT, MN_ID, mh_rows
from nslib import wait_for

ARTIFACT = os.path.join(nslib.REPO, "build", "artifacts", "signaling.pcap")
HB = {"heartbeat-interval": 1}


@pytest.mark.system(prefix_policy="unique", flow_signaling="fmi", lma_timers=HB,
                    mag_timers=HB)
def test_signaling_pcap_of_a_full_run(system):
    cap = system.capture_signaling("full-run")
    hb0 = system.stats("lma")["signaling"]["rx"]["heartbeat"]
    b1, a1 = system.attach("mag1")
    b2, a2 = system.attach("mag2")
    p1 = b1["prefixes"][0]

    # FMI/FMA: flow Y to MAG2 and back (add, then add + cancel)
    system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
    wait_for(lambda: any(f["fid"] == 1 for f in system.ctl("mag2", "flows")), timeout=5,
             what="FID 1 at MAG2")
    system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag1"])
    wait_for(lambda: not any(f["fid"] == 1 for f in system.ctl("mag2", "flows")), timeout=5,
             what="FID 1 cancelled at MAG2")

    # BRI/BRA: a prefix-granularity flow (exactly MAG2's own prefix P2) moved to
    # MAG1: the prefix is revoked at MAG2. Before the switch to UPN: the switch gives
    # MAG1 (where flow 1 is) every prefix flow 1 may use by UPN, P2 included, and a
    # prefix the target already holds needs no BRI
    p2 = b2["prefixes"][0]
    system.ctl("lma", "flow", "add", MN_ID, "--fid", 7, "--selector", f"dst-addr {p2}",
               "--bid", b1["bid"])
    wait_for(lambda: p2 not in system.binding_of("mag2")["prefixes"]
             and p2 in system.binding_of("mag1")["prefixes"], timeout=10,
             what="P2 moved from MAG2 to MAG1")

    # RFC 7864 mode after a reload: UPN/UPA, then PBU/PBA
    system.config["lma"]["lma"]["flow-signaling"] = "upn"
    system.write_config("lma")
    system.proc["lma"].send_signal(signal.SIGHUP)
    wait_for(lambda: "reload" in system.proc["lma"].output().lower(), timeout=5,
             what="LMA reload")
    system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
    wait_for(lambda: p1 in system.binding_of("mag2")["prefixes"], timeout=10,
             what="UPN round trip")

    # de-registration, and enough time for heartbeats both ways
    system.ctl("mag2", "detach", MN_ID, "mag2-mn")
    system.wait_no_binding("mag2")
    st = system.stats("lma")["signaling"]
    wait_for(lambda: system.stats("lma")["signaling"]["rx"]["heartbeat"] >= hb0 + 4,
             timeout=10, what="heartbeats during the capture")
    cap.stop()

    os.makedirs(os.path.dirname(ARTIFACT), exist_ok=True)
    # in time order (dumpcap writes each interface's blocks as they come), as pcap
    ordered = cap.path + ".ordered"
    subprocess.run(["reordercap", cap.path, ordered], check=True, capture_output=True)
    subprocess.run(["editcap", "-F", "pcap", ordered, ARTIFACT], check=True,
                   capture_output=True)

    # decoded with the dissector: every message, nothing malformed
    p = subprocess.run(["tshark", "-n", "-X", f"lua_script:{nslib.LUA}", "-r", ARTIFACT,
                        "-q", "-z", "expert,error"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "lua" not in p.stderr.lower(), p.stderr
    assert "Errors" not in p.stdout, p.stdout
    bad = nslib.tshark_fields(ARTIFACT, ["frame.number"], "_ws.malformed || _ws.expert.severity >= 8388608",
                              lua=nslib.LUA)
    assert bad == [], f"malformed or erroneous frames: {bad}"
    total = nslib.tshark_fields(ARTIFACT, ["frame.number"], lua=nslib.LUA)
    rows = mh_rows(cap)
    assert len(rows) == len(total)  # everything captured is Mobility Header
    kinds = {r["msg"] for r in rows}
    assert {"PBU", "PBA", "HB", "FMI", "FMA", "UPN", "UPA", "BRI", "BRA"} <= kinds, kinds
    assert all(r["flowmob.mh.checksum.status"] == "good" for r in rows if r["flowmob.msg"])
    assert any(r["msg"] == "PBU" and r["mip6.bu.lifetime"] == "0" for r in rows)
    assert st["tx"]["fmi"] >= 3 and st["tx"]["upn"] >= 1
