# SPDX-License-Identifier: GPL-2.0
"""Flow-mobility messages on a real link: sent through the kernel's raw MH socket
(which computes the RFC 6275 checksum), accepted by the receiving kernel (which
verifies it), captured with nslib.Capture and decoded by tools/wireshark/flowmob.lua.

Closes the loop between three independent checksum implementations (the
kernel's, the dissector's and the one in tests/tools/test_dissector.py) and shows
the capture + dissector path that the scenario tests use."""
import os
import struct
import time

import pytest

import nslib

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

NAI = b"mn1@flowmob.example"


SEND_RAW = r"""
import sys
from scapy.all import IPv6, Raw, send
send(IPv6(src=sys.argv[1], dst=sys.argv[2], nh=135) / Raw(bytes.fromhex(sys.argv[3])), verbose=False)
"""


def frame(mhtype, body):
    """MH with a zero checksum, padded to 8n octets with PadN (RFC 6275 6.1.1)."""
    pad = (-(6 + len(body))) % 8
    if pad == 1:
        body += b"\0"
    elif pad:
        body += bytes([1, pad - 2]) + bytes(pad - 2)
    return bytes([59, (6 + len(body)) // 8 - 1, mhtype, 0, 0, 0]) + body


def test_flow_mobility_messages_on_the_wire(topo):
    mnid = bytes([8, 1 + len(NAI), 1]) + NAI
    # FID 7, FID-PRI 70, BID Reference [2], IPv6 selector: dst port 5000-5999
    ts = bytes([3, 2 + 4 + 4, 2, 0]) + struct.pack("!HH", 0x0030, 0) + struct.pack("!HH", 5000, 5999)
    fid = bytes([45, 6 + 4 + len(ts)]) + struct.pack("!HHBB", 7, 70, 0, 0) + bytes([2, 2, 0, 2]) + ts
    fmi = frame(11, struct.pack("!HHH", 41, 0x8000, 600) + mnid + fid)
    # RFC 7077 section 4.1 Figure 3: Seq# | Notification Reason(16) | A 0x8000 ... (this
    # packed an 8-bit reason and 8-bit flags before: the old, wrong layout)
    upn = frame(19, struct.pack("!HHH", 42, 8, 0x8000) + mnid + fid)
    fma = frame(11, struct.pack("!HBBH", 41, 0, 0, 600) + mnid + fid)

    lst = nslib.mh_listener(topo.mag1)
    back = nslib.mh_listener(topo.lma)
    try:
        with topo.capture("mag1", "mag1-lma") as cap:
            nslib.mh_send(topo.lma, "fd00:11::2", fmi, src="fd00:11::1")
            nslib.mh_send(topo.lma, "fd00:11::2", upn, src="fd00:11::1")
            nslib.mh_send(topo.mag1, "fd00:11::1", fma, src="fd00:11::2")
            got = nslib.wait_for(lambda: len(nslib.mh_received(lst)) >= 2 and nslib.mh_received(lst),
                                 timeout=5, what="MAG1 receives FMI and UPN")
            nslib.wait_for(lambda: nslib.mh_received(back), timeout=5, what="LMA receives FMA")
            # the same FMI with a wrong checksum, sent around the MH socket: dropped
            bad = fmi[:4] + b"\x12\x34" + fmi[6:]
            topo.run("lma", [nslib.PYTHON, "-c", SEND_RAW, "fd00:11::1", "fd00:11::2", bad.hex()])
            time.sleep(1.0)
            assert len(nslib.mh_received(lst)) == 2, "the kernel accepted a bad MH checksum"
        # the receiving kernel accepted them, i.e. their checksums verified
        assert [(src, m[2]) for src, m in got] == [("fd00:11::1", 11), ("fd00:11::1", 19)]
        rows = cap.fields(["flowmob.msg", "flowmob.mh.checksum.status", "flowmob.fid.fid",
                           "flowmob.bidref.bid", "flowmob.ts.selector", "mip6.mnid.identifier",
                           "_ws.malformed"], "ipv6.nxt == 135", lua=nslib.LUA)
        assert rows == [
            ["FMI", "good", "7", "2", '{"dst_port":[5000,5999]}', NAI.decode(), ""],
            ["UPN", "good", "7", "2", '{"dst_port":[5000,5999]}', NAI.decode(), ""],
            ["FMA", "good", "7", "2", '{"dst_port":[5000,5999]}', NAI.decode(), ""],
            ["FMI", "bad", "7", "2", '{"dst_port":[5000,5999]}', NAI.decode(), ""],
        ], rows
    finally:
        lst.stop()
        back.stop()
