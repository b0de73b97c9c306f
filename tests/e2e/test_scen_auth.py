# SPDX-License-Identifier: GPL-2.0
"""RFC 4285 authentication between the LMA and its MAGs (lma.mag-keys,
mag.lma-spi / mag.lma-key-file): with keys, the MN registers and its flow moves as
without; a forged PBU (no key) and a forged heartbeat with a new restart counter
(wrong key) from MAG1's address are dropped and counted (the PBU answered with PBA
146) and change nothing at the LMA."""
import json
import os
import subprocess
import time

import pytest

from fmsystem import ATT, FLOWMOBD, BUILD, LMA_ADDR, MAG_ADDR, MN_ID
import nslib
from nslib import wait_for

FLOWMOB_MH = os.path.join(BUILD, "flowmob-mh")
SPI = {"mag1": 1001, "mag2": 1002}


def keyfile(path, octet):
    with open(path, "w") as f:
        f.write(bytes([octet] * 32).hex() + "\n")
    os.chmod(path, 0o600)
    return path


def encode(msg, src, dst, key=None):
    args = [FLOWMOB_MH, "encode", "--hex", "--src", src, "--dst", dst]
    if key:
        args += ["--key-file", key]
    p = subprocess.run(args, input=json.dumps(msg), text=True, capture_output=True,
                       timeout=10, check=True)
    return p.stdout.split()[0]


SEND = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
s.setsockopt(41, 7, 4)  # IPV6_CHECKSUM at offset 4
s.bind((sys.argv[1], 0))
s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], 0))
"""


def send_from(system, role, hexmsg):
    nslib.run(system.topo.ns(role), ["python3", "-c", SEND, MAG_ADDR[role], LMA_ADDR, hexmsg])


def now_ts(ahead=0.2):
    """A Timestamp option a little ahead of now: newer than the MAG's last PBU and
    inside the LMA's window (whole seconds could be older than the last one)."""
    t = time.time() + ahead
    return {"type": "timestamp", "seconds": int(t), "fraction": int((t % 1) * 65536)}


def sock_stats(system, role):
    return system.stats(role)["signaling"]["socket"]


@pytest.mark.system(start=False, lma_timers={"heartbeat-interval": 1},
                    mag_timers={"heartbeat-interval": 1})
def test_authenticated_mags(system):
    lma = system.config["lma"]["lma"]
    lma["mag-keys"] = []
    for r in ("mag1", "mag2"):
        k = keyfile(os.path.join(system.dir, f"{r}.key"), 0x11 if r == "mag1" else 0x22)
        lma["mag-keys"].append({"mag": MAG_ADDR[r], "spi": SPI[r], "key-file": k})
        system.config[r]["mag"]["lma-spi"] = SPI[r]
        system.config[r]["mag"]["lma-key-file"] = k
        system.write_config(r)
    system.write_config("lma")
    system.start_all()

    # registration and a flow move, signed both ways
    b1, _ = system.attach("mag1")
    b2, _ = system.attach("mag2")
    system.ctl("lma", "flow", "move", MN_ID, 1, "--att", ATT["mag2"])
    wait_for(lambda: system.flow(1)["bids"][0] == b2["bid"], timeout=10, what="flow moved")
    # two PBUs and heartbeats (every second both ways), all signed and verified
    wait_for(lambda: system.stats("lma")["signaling"]["rx"]["heartbeat"] >= 4, timeout=10,
             what="heartbeats from both MAGs")
    assert sock_stats(system, "lma")["rx_authenticated"] >= 6
    st = sock_stats(system, "lma")
    assert st["rx_auth_failed"] == 0 and st["rx_replayed"] == 0, st
    for r in ("mag1", "mag2"):
        ms = sock_stats(system, r)
        assert ms["rx_authenticated"] >= 2 and ms["rx_auth_failed"] == 0, ms
        assert ms["rx_replayed"] == 0, ms
    before = sorted((b["mag"], b["bid"], b["state"], tuple(b["prefixes"]))
                    for b in system.bindings())
    def peer(mag):
        p = {x["mag"]: x for x in system.ctl("lma", "peers")}[MAG_ADDR[mag]]
        p.pop("last_seen", None)
        return p

    peer_before = peer("mag1")

    # a forged de-registration of the MN at MAG1, without a key
    pbu = {"type": "pbu", "seq": 40000, "flags": "AP", "lifetime": 0,
           "options": [{"type": "mn-id", "subtype": 1, "id": MN_ID},
                       {"type": "hnp", "prefix": b1["prefixes"][0]},
                       {"type": "hi", "value": 5}, {"type": "att", "value": ATT["mag1"]},
                       now_ts(),
                       {"type": "bid", "bid": b1["bid"], "status": 0, "h": False,
                        "priority": 1}]}
    send_from(system, "mag1", encode(pbu, MAG_ADDR["mag1"], LMA_ADDR))
    # a forged heartbeat with a new restart counter, signed with the wrong key
    wrong = keyfile(os.path.join(system.dir, "wrong.key"), 0x33)
    hb = {"type": "heartbeat", "seq": 77, "flags": "",
          "options": [{"type": "restart-counter", "value": 123456},
                      now_ts(),
                      {"type": "auth", "subtype": 1, "spi": SPI["mag1"]}]}
    send_from(system, "mag1", encode(hb, MAG_ADDR["mag1"], LMA_ADDR, key=wrong))
    wait_for(lambda: sock_stats(system, "lma")["rx_auth_failed"] >= 2, timeout=5,
             what="both forgeries counted")
    time.sleep(0.5)
    st = sock_stats(system, "lma")
    assert st["rx_auth_failed"] == 2 and st["rx_replayed"] == 0, st
    after = sorted((b["mag"], b["bid"], b["state"], tuple(b["prefixes"]))
                   for b in system.bindings())
    assert after == before
    assert peer("mag1") == peer_before  # up, the same restart counter
    # the forged PBU was answered with PBA 146, which the real MAG1 ignores
    assert system.binding_of("mag1") is not None
    assert system.stats("lma")["signaling"]["socket"]["rx_auth_failed"] == 2


@pytest.mark.system()
def test_without_keys_a_forged_pbu_is_believed(system):
    """What the keys protect against: without them the same forged de-registration
    from MAG1's address removes the MN's binding."""
    b1, _ = system.attach("mag1")
    pbu = {"type": "pbu", "seq": 40000, "flags": "AP", "lifetime": 0,
           "options": [{"type": "mn-id", "subtype": 1, "id": MN_ID},
                       {"type": "hnp", "prefix": b1["prefixes"][0]},
                       {"type": "hi", "value": 5}, {"type": "att", "value": ATT["mag1"]},
                       now_ts(),
                       {"type": "bid", "bid": b1["bid"], "status": 0, "h": False,
                        "priority": 1}]}
    send_from(system, "mag1", encode(pbu, MAG_ADDR["mag1"], LMA_ADDR))
    wait_for(lambda: system.binding_of("mag1") is None, timeout=5,
             what="the forged de-registration taking effect")
