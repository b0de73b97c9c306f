# SPDX-License-Identifier: GPL-2.0
"""tools/wireshark/flowmob.lua, checked with tshark 4.0 against packets built here
byte by byte from the specifications (seed draft section 4, RFC 7077, RFC 6089,
RFC 6088; layouts in docs/wireshark.md), never by flowmob's own encoder.

Every field of every message and option is compared; ordinary PBU/PBA must still
decode through the built-in mip6 dissector; no valid packet may be Malformed or
raise a Lua error; broken packets must be flagged, not crash the dissector."""
import ipaddress
import json
import os
import struct
import subprocess

import pytest
from scapy.layers.inet6 import IPv6, in6_chksum
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LUA = os.path.join(REPO, "tools", "wireshark", "flowmob.lua")
LMA, MAG = "fd00:11::1", "fd00:11::2"
NAI = b"mn1@flowmob.example"

# ---------------------------------------------------------------------------
# builders: RFC 6275 MH framing and checksum, RFC 6089 options, RFC 6088 selectors


def mh_checksum(src, dst, mh):
    """RFC 6275 6.1.1: one's complement of the one's complement sum of the pseudo-header
    (src, dst, 32-bit upper-layer length, 3 zero octets, next header 135) and the MH."""
    data = (ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
            + struct.pack("!I", len(mh)) + b"\0\0\0\x87" + mh)
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mh(mhtype, body, options=b"", hlen=None):
    """Payload Proto 59 | Header Len | MH Type | Reserved | Checksum(0) | body | options,
    padded to a multiple of 8 octets with Pad1/PadN."""
    raw = body + options
    pad = (-(6 + len(raw))) % 8
    if pad == 1:
        raw += b"\0"
    elif pad:
        raw += bytes([1, pad - 2]) + bytes(pad - 2)
    total = 6 + len(raw)
    return bytes([59, total // 8 - 1 if hlen is None else hlen, mhtype, 0]) + b"\0\0" + raw


def packet(mhbytes, src=LMA, dst=MAG, csum=None):
    c = mh_checksum(src, dst, mhbytes) if csum is None else csum
    mhbytes = mhbytes[:4] + struct.pack("!H", c) + mhbytes[6:]
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
        IPv6(src=src, dst=dst, nh=135, hlim=255) / Raw(mhbytes)


def opt(t, body):
    return bytes([t, len(body)]) + body


def mnid(nai=NAI):
    return opt(8, b"\x01" + nai)


def flow_summary(fids):
    return opt(44, b"".join(struct.pack("!H", f) for f in fids))


def flow_id(fid, pri, status=0, subopts=b""):
    return opt(45, struct.pack("!HHBB", fid, pri, 0, status) + subopts)


def sub(t, body):
    return bytes([t, len(body)]) + body


def bidref(bids):
    return sub(2, b"".join(struct.pack("!H", b) for b in bids))


# RFC 6088 section 3.2 Figure 2: the flow label fields (G, H) are 32 bits, the 20-bit label
# right-aligned (they were 3 octets here before: the old, wrong layout)
TS6_LAYOUT = [("a", 16), ("b", 16), ("c", 16), ("d", 16), ("e", 4), ("f", 4), ("g", 4), ("h", 4),
              ("i", 2), ("j", 2), ("k", 2), ("l", 2), ("m", 1), ("n", 1), ("o", 1), ("p", 1)]
TS4_LAYOUT = [("a", 4), ("b", 4), ("c", 4), ("d", 4), ("e", 4), ("f", 4), ("g", 2), ("h", 2),
              ("i", 2), ("j", 2), ("k", 1), ("l", 1), ("m", 1), ("n", 1)]


def _enc(v, size):
    if isinstance(v, str):
        return ipaddress.ip_address(v).packed
    return v.to_bytes(size, "big")


def ts(fmt, values):
    """Traffic Selector sub-option: TS Format | Reserved | flags | fields in flag order."""
    layout, flagbits = (TS6_LAYOUT, 16) if fmt == 2 else (TS4_LAYOUT, 32)
    flags, fields = 0, b""
    for i, (letter, size) in enumerate(layout):
        if letter in values:
            flags |= 1 << (flagbits - 1 - i)
            fields += _enc(values[letter], size)
    # IPv6: 16 flag bits + 16 reserved; IPv4: 14 flag bits + 18 reserved
    head = struct.pack("!HH", flags, 0) if fmt == 2 else struct.pack("!I", flags)
    return sub(3, bytes([fmt, 0]) + head + fields)


def fmi(seq, flags, lifetime, options):
    return mh(11, struct.pack("!HHH", seq, flags, lifetime), options)


def fma(seq, status, lifetime, options=b"", i_byte=0):
    return mh(11, struct.pack("!HBBH", seq, i_byte, status, lifetime), options)


def upn(seq, reason, flags, options=b""):
    """RFC 7077 section 4.1 Figure 3: Sequence #(16) | Notification Reason(16) |
    A D + 14 reserved bits(16) | options at 12 (the old, wrong layout here had an
    8-bit reason and 8-bit flags, options at 10)."""
    return mh(19, struct.pack("!HHH", seq, reason, flags), options)


def upa(seq, status, options=b"", reserved=0):
    """RFC 7077 section 4.2 Figure 4: Sequence #(16) | Status(8) | Reserved(24) | options at 12."""
    return mh(20, struct.pack("!HB", seq, status) + reserved.to_bytes(3, "big"), options)


def pbu(seq, options):
    return mh(5, struct.pack("!HHH", seq, 0x8000 | 0x0200, 60), options)


def pba(seq, status, options):
    return mh(6, struct.pack("!BBHH", status, 0x20, seq, 60), options)


HNP = opt(22, bytes([0, 64]) + ipaddress.IPv6Address("fd00:100:1::").packed)
STD_PBU_OPTS = mnid() + HNP + opt(23, b"\x00\x01") + opt(24, b"\x00\x04") + \
    opt(27, struct.pack("!Q", (1700000000 << 16) | 0x8000))

TS6_ALL = {"a": "fd00:100:1::1", "b": "fd00:100:1::ffff", "c": "fd00:1::2", "d": "fd00:1::ff",
           "e": 0x11223344, "f": 0x11223355, "g": 0x12345, "h": 0xfffff, "i": 1024, "j": 2048,
           "k": 80, "l": 8080, "m": 0x10, "n": 0x2e, "o": 6, "p": 17}
TS4_ALL = {"a": "10.0.0.1", "b": "10.0.0.255", "c": "192.0.2.1", "d": "192.0.2.9", "e": 0x100,
           "f": 0x200, "g": 1000, "h": 2000, "i": 3000, "j": 4000, "k": 0x20, "l": 0x40,
           "m": 6, "n": 17}

# name -> (MH bytes, src, dst)
MESSAGES = {
    "fmi": fmi(0x1234, 0xA000, 300, mnid() + flow_id(
        1, 10, 0, bidref([1, 2]) + ts(2, {"k": 5000, "l": 5999, "o": 17}))),
    "fmi_cancel_ts6_all": fmi(7, 0xC000, 0, mnid() + flow_id(2, 20, 0, ts(2, TS6_ALL))),
    "fma": fma(0x1234, 0, 300, mnid() + flow_id(1, 10, 0, bidref([2]))),
    "fma_reject": fma(8, 131, 0),
    "upn": upn(99, 8, 0x8000, mnid() + flow_id(
        3, 30, 0, bidref([1]) + ts(1, {"a": "10.0.0.1", "i": 5060, "m": 17}))),
    "upa": upa(99, 0),
    "upn_ts4_all": upn(100, 8, 0x00, flow_summary([1, 2, 3]) + flow_id(
        4, 40, 133, b"\x00" + sub(1, b"\0\0") + ts(1, TS4_ALL))),
    # a retransmission (D), a reason above 255 and reserved bits set; a UPA with
    # non-zero reserved octets: decoded, reserved shown, nothing flagged
    "upn_retx": upn(101, 0x0108, 0xc000 | 0x0005, mnid()),
    "upa_reserved": upa(101, 132, mnid(), reserved=0xabcdef),
    "pbu": pbu(1, STD_PBU_OPTS + flow_summary([5, 6])),
    "pba": pba(1, 0, mnid() + HNP + flow_id(5, 50, 0, bidref([1]))),
}
SWAPPED = {"fma", "fma_reject", "upa", "upa_reserved", "pbu"}  # sent MAG -> LMA


def build_pcap(path, extra=()):
    pkts = []
    for name, m in MESSAGES.items():
        src, dst = (MAG, LMA) if name in SWAPPED else (LMA, MAG)
        pkts.append(packet(m, src, dst))
    pkts.extend(extra)
    wrpcap(path, pkts)


def all_flowmob_fields():
    out = subprocess.run(["tshark", "-G", "fields", "-X", f"lua_script:{LUA}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted({line.split("\t")[2] for line in out.splitlines()
                   if line.startswith("F\t") and line.split("\t")[2].startswith("flowmob.")})


MIP6_FIELDS = ["mip6.mhtype", "mip6.bu.seqnr", "mip6.bu.a_flag", "mip6.bu.p_flag",
               "mip6.bu.lifetime", "mip6.ba.status", "mip6.ba.p_flag", "mip6.ba.seqnr",
               "mip6.mnid.identifier", "mip6.hi", "mip6.att", "_ws.malformed", "_ws.expert"]


def decode(path, prefs=()):
    """tshark -T json with every flowmob field: one dict field -> [values] per packet."""
    args = ["tshark", "-n", "-X", f"lua_script:{LUA}", "-r", path, "-T", "json"]
    for p in prefs:
        args += ["-o", p]
    for fld in all_flowmob_fields() + MIP6_FIELDS:
        args += ["-e", fld]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Lua" not in out.stderr, out.stderr
    return [pkt["_source"]["layers"] for pkt in json.loads(out.stdout)]


def verbose(path, prefs=()):
    args = ["tshark", "-n", "-X", f"lua_script:{LUA}", "-r", path, "-V"]
    for p in prefs:
        args += ["-o", p]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def decoded(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("dis") / "flowmob.pcap")
    build_pcap(path)
    layers = decode(path)
    assert len(layers) == len(MESSAGES)
    return dict(zip(MESSAGES, layers)), path


def only_flowmob(d):
    return {k: v for k, v in d.items() if k.startswith("flowmob.")}


# ---------------------------------------------------------------------------


def test_checksum_helper_matches_scapy():
    m = MESSAGES["fmi"]
    assert mh_checksum(LMA, MAG, m) == in6_chksum(135, IPv6(src=LMA, dst=MAG), m)
    # RFC 1071 property: the sum over the message with its checksum is 0xffff
    c = mh_checksum(LMA, MAG, m)
    assert mh_checksum(LMA, MAG, m[:4] + struct.pack("!H", c) + m[6:]) == 0


def test_lengths_follow_the_header_len_rule():
    for name, m in MESSAGES.items():
        assert len(m) % 8 == 0, name
        assert (m[1] + 1) * 8 == len(m), name


def test_fmi(decoded):
    d = only_flowmob(decoded[0]["fmi"])
    # exactly these fields, nothing else
    assert set(d) == {
        "flowmob.msg", "flowmob.mh.proto", "flowmob.mh.hlen", "flowmob.mh.type",
        "flowmob.mh.reserved", "flowmob.mh.checksum", "flowmob.mh.checksum.status",
        "flowmob.fmi.seq", "flowmob.fmi.flags", "flowmob.fmi.i", "flowmob.fmi.c", "flowmob.fmi.r",
        "flowmob.fmi.reserved", "flowmob.fmi.lifetime", "flowmob.option", "flowmob.opt.type",
        "flowmob.opt.len", "flowmob.fid.fid", "flowmob.fid.pri", "flowmob.fid.reserved",
        "flowmob.fid.status", "flowmob.subopt", "flowmob.fid.subopt.type", "flowmob.fid.subopt.len",
        "flowmob.bidref.bid", "flowmob.ts.format", "flowmob.ts.reserved", "flowmob.ts6.flags",
        "flowmob.ts6.reserved", "flowmob.ts6.dst_port.start", "flowmob.ts6.dst_port.end",
        "flowmob.ts6.next_header.start", "flowmob.ts.selector", "flowmob.pad",
    } | {f"flowmob.ts6.flag.{c}" for c in "abcdefghijklmnop"}, sorted(d)
    assert d["flowmob.msg"] == ["FMI"]
    assert d["flowmob.mh.type"] == ["11"] and d["flowmob.mh.proto"] == ["59"]
    assert d["flowmob.mh.hlen"] == [str(len(MESSAGES["fmi"]) // 8 - 1)]
    assert d["flowmob.mh.checksum.status"] == ["good"]
    assert int(d["flowmob.mh.checksum"][0], 16) == mh_checksum(LMA, MAG, MESSAGES["fmi"])
    assert d["flowmob.fmi.seq"] == ["4660"]
    assert d["flowmob.fmi.flags"] == ["0xa000"]
    assert (d["flowmob.fmi.i"], d["flowmob.fmi.c"], d["flowmob.fmi.r"]) == (["1"], ["0"], ["1"])
    assert d["flowmob.fmi.reserved"] == ["0x0000"]
    assert d["flowmob.fmi.lifetime"] == ["300"]
    assert "flowmob.fma.seq" not in d
    assert d["flowmob.opt.type"] == ["45"]  # MN-ID went to the built-in option dissector
    assert decoded[0]["fmi"]["mip6.mnid.identifier"] == [NAI.decode()]
    assert d["flowmob.fid.fid"] == ["1"] and d["flowmob.fid.pri"] == ["10"]
    assert d["flowmob.fid.status"] == ["0"]
    assert d["flowmob.fid.subopt.type"] == ["2", "3"]
    assert d["flowmob.fid.subopt.len"] == ["4", "11"]
    assert d["flowmob.bidref.bid"] == ["1", "2"]
    assert d["flowmob.ts.format"] == ["2"]
    assert d["flowmob.ts6.flags"] == ["0x0032"]
    for c in "abcdefghijklmnop":
        assert d[f"flowmob.ts6.flag.{c}"] == ["1" if c in "klo" else "0"], c
    assert d["flowmob.ts6.dst_port.start"] == ["5000"]
    assert d["flowmob.ts6.dst_port.end"] == ["5999"]
    assert d["flowmob.ts6.next_header.start"] == ["17"]
    assert "flowmob.ts6.next_header.end" not in d
    assert "flowmob.ts6.src_port.start" not in d
    assert d["flowmob.ts.selector"] == ['{"dst_port":[5000,5999],"next_header":[17]}']


def test_fmi_cancel_with_every_ipv6_selector_field(decoded):
    d = only_flowmob(decoded[0]["fmi_cancel_ts6_all"])
    assert d["flowmob.msg"] == ["FMI"]
    assert d["flowmob.fmi.seq"] == ["7"] and d["flowmob.fmi.lifetime"] == ["0"]
    assert (d["flowmob.fmi.i"], d["flowmob.fmi.c"], d["flowmob.fmi.r"]) == (["1"], ["1"], ["0"])
    assert d["flowmob.fid.fid"] == ["2"] and d["flowmob.fid.pri"] == ["20"]
    assert d["flowmob.ts6.flags"] == ["0xffff"]
    want = {
        "src_addr.start": "fd00:100:1::1", "src_addr.end": "fd00:100:1::ffff",
        "dst_addr.start": "fd00:1::2", "dst_addr.end": "fd00:1::ff",
        "spi.start": str(0x11223344), "spi.end": str(0x11223355),
        "flow_label.start": str(0x12345), "flow_label.end": str(0xfffff),
        "src_port.start": "1024", "src_port.end": "2048",
        "dst_port.start": "80", "dst_port.end": "8080",
        "tc.start": str(0x10), "tc.end": str(0x2e),
        "next_header.start": "6", "next_header.end": "17",
    }
    for k, v in want.items():
        assert d[f"flowmob.ts6.{k}"] == [v], k
    assert d["flowmob.ts.selector"] == [
        '{"src_addr":["fd00:100:1::1","fd00:100:1::ffff"],"dst_addr":["fd00:1::2","fd00:1::ff"],'
        '"spi":[287454020,287454037],"flow_label":[74565,1048575],"src_port":[1024,2048],'
        '"dst_port":[80,8080],"tc":[16,46],"next_header":[6,17]}']


def test_fma(decoded):
    d = only_flowmob(decoded[0]["fma"])
    assert d["flowmob.msg"] == ["FMA"]
    assert d["flowmob.mh.checksum.status"] == ["good"]
    assert d["flowmob.fma.seq"] == ["4660"]
    assert d["flowmob.fma.i"] == ["0"] and d["flowmob.fma.reserved"] == ["0x00"]
    assert d["flowmob.fma.status"] == ["0"] and d["flowmob.fma.lifetime"] == ["300"]
    assert d["flowmob.fid.fid"] == ["1"] and d["flowmob.bidref.bid"] == ["2"]
    assert "flowmob.fmi.seq" not in d
    assert decoded[0]["fma"]["mip6.mnid.identifier"] == [NAI.decode()]
    r = only_flowmob(decoded[0]["fma_reject"])
    assert r["flowmob.msg"] == ["FMA"] and r["flowmob.fma.status"] == ["131"]
    assert r["flowmob.fma.seq"] == ["8"] and r["flowmob.fma.lifetime"] == ["0"]
    assert "flowmob.opt.type" not in r


def test_upn_upa(decoded):
    d = only_flowmob(decoded[0]["upn"])
    assert d["flowmob.msg"] == ["UPN"] and d["flowmob.mh.type"] == ["19"]
    assert d["flowmob.mh.checksum.status"] == ["good"]
    assert d["flowmob.upn.seq"] == ["99"] and d["flowmob.upn.reason"] == ["8"]
    assert d["flowmob.upn.flags"] == ["0x8000"] and d["flowmob.upn.a"] == ["1"]
    assert d["flowmob.upn.d"] == ["0"]
    assert d["flowmob.upn.reserved"] == ["0x0000"]
    assert d["flowmob.fid.fid"] == ["3"] and d["flowmob.fid.pri"] == ["30"]
    assert d["flowmob.bidref.bid"] == ["1"]
    assert d["flowmob.ts.format"] == ["1"]
    assert d["flowmob.ts4.flags"] == ["0x80880000"]  # A (bit 31), I (bit 23), M (bit 19)
    for c in "abcdefghijklmn":
        assert d[f"flowmob.ts4.flag.{c}"] == ["1" if c in "aim" else "0"], c
    assert d["flowmob.ts4.src_addr.start"] == ["10.0.0.1"]
    assert d["flowmob.ts4.dst_port.start"] == ["5060"]
    assert d["flowmob.ts4.protocol.start"] == ["17"]
    assert d["flowmob.ts.selector"] == ['{"src_addr":["10.0.0.1"],"dst_port":[5060],"protocol":[17]}']
    a = only_flowmob(decoded[0]["upa"])
    assert a["flowmob.msg"] == ["UPA"] and a["flowmob.mh.type"] == ["20"]
    assert a["flowmob.upa.seq"] == ["99"] and a["flowmob.upa.status"] == ["0"]
    assert a["flowmob.upa.reserved"] == ["0x000000"]
    assert a["flowmob.mh.checksum.status"] == ["good"]


def test_upn_retransmission_and_reserved_bits(decoded):
    d = only_flowmob(decoded[0]["upn_retx"])
    assert d["flowmob.msg"] == ["UPN"] and d["flowmob.upn.seq"] == ["101"]
    assert d["flowmob.upn.reason"] == [str(0x0108)]
    assert d["flowmob.upn.a"] == ["1"] and d["flowmob.upn.d"] == ["1"]
    assert d["flowmob.upn.reserved"] == ["0x0005"]
    assert decoded[0]["upn_retx"]["mip6.mnid.identifier"] == [NAI.decode()]
    a = only_flowmob(decoded[0]["upa_reserved"])
    assert a["flowmob.upa.status"] == ["132"] and a["flowmob.upa.reserved"] == ["0xabcdef"]
    assert decoded[0]["upa_reserved"]["mip6.mnid.identifier"] == [NAI.decode()]


def test_every_ipv4_selector_field_and_padding(decoded):
    d = only_flowmob(decoded[0]["upn_ts4_all"])
    assert d["flowmob.upn.a"] == ["0"] and d["flowmob.upn.seq"] == ["100"]
    assert d["flowmob.fsum.fid"] == ["1", "2", "3"]
    assert d["flowmob.opt.type"] == ["44", "45"]
    assert d["flowmob.fid.fid"] == ["4"] and d["flowmob.fid.status"] == ["133"]
    assert d["flowmob.fid.subopt.type"] == ["0", "1", "3"]  # Pad1, PadN, TS
    assert d["flowmob.ts4.flags"] == ["0xfffc0000"]
    assert d["flowmob.ts4.reserved"] == ["0x00000000"]
    want = {"src_addr.start": "10.0.0.1", "src_addr.end": "10.0.0.255",
            "dst_addr.start": "192.0.2.1", "dst_addr.end": "192.0.2.9",
            "spi.start": "256", "spi.end": "512", "src_port.start": "1000", "src_port.end": "2000",
            "dst_port.start": "3000", "dst_port.end": "4000", "tos.start": "32", "tos.end": "64",
            "protocol.start": "6", "protocol.end": "17"}
    for k, v in want.items():
        assert d[f"flowmob.ts4.{k}"] == [v], k


def test_options_inside_builtin_pbu_pba(decoded):
    b = decoded[0]["pbu"]
    assert b["mip6.mhtype"] == ["5"]
    assert b["mip6.bu.seqnr"] == ["1"] and b["mip6.bu.p_flag"] == ["1"] and b["mip6.bu.a_flag"] == ["1"]
    assert b["mip6.bu.lifetime"] == ["60"]
    assert b["mip6.mnid.identifier"] == [NAI.decode()]
    assert b["mip6.hi"] == ["1"] and b["mip6.att"] == ["4"]
    assert "flowmob.msg" not in b  # not claimed: decoded by the built-in dissector
    assert b["flowmob.fsum.fid"] == ["5", "6"]  # ... with our option in it
    a = decoded[0]["pba"]
    assert a["mip6.mhtype"] == ["6"]
    assert a["mip6.ba.status"] == ["0"] and a["mip6.ba.p_flag"] == ["1"] and a["mip6.ba.seqnr"] == ["1"]
    assert "flowmob.msg" not in a
    assert a["flowmob.fid.fid"] == ["5"] and a["flowmob.fid.pri"] == ["50"]
    assert a["flowmob.bidref.bid"] == ["1"]


def test_no_malformed_or_lua_error(decoded):
    layers, path = decoded
    for name, d in layers.items():
        assert "_ws.malformed" not in d, name
        assert "_ws.expert" not in d, (name, d.get("_ws.expert"))
    text = verbose(path)
    assert "Malformed" not in text
    assert "Lua Error" not in text
    # the summary lines name the messages
    summary = subprocess.run(["tshark", "-n", "-X", f"lua_script:{LUA}", "-r", path],
                             capture_output=True, text=True, check=True).stdout
    for s in ("Flow Mobility Initiate (FMI)", "Flow Mobility Acknowledge (FMA)",
              "Update Notification (UPN)", "Update Notification Acknowledgement (UPA)"):
        assert s in summary


def test_builtin_alone_cannot_decode_these(decoded):
    """The reason for the dissector: without it tshark shows no flowmob fields."""
    _, path = decoded
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "mip6.mhtype"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["11", "11", "11", "11", "19", "20", "19", "19", "20", "5", "6"]


def test_fm_type_preference(tmp_path):
    m = bytearray(MESSAGES["fmi"])
    m[2] = 200
    path = str(tmp_path / "t200.pcap")
    wrpcap(path, [packet(bytes(m)), packet(MESSAGES["fmi"])])
    d = decode(path)
    assert "flowmob.msg" not in d[0] and d[0]["mip6.mhtype"] == ["200"]
    assert d[1]["flowmob.msg"] == ["FMI"]
    d = decode(path, prefs=["flowmob.fm_type:200"])
    assert d[0]["flowmob.msg"] == ["FMI"] and d[0]["flowmob.fmi.seq"] == ["4660"]
    assert "flowmob.msg" not in d[1] and d[1]["mip6.mhtype"] == ["11"]


def test_bad_input_is_flagged_not_fatal(tmp_path):
    good = MESSAGES["fmi"]
    bad_fid = fmi(1, 0x8000, 10, flow_id(1, 1, 0, bytes([3, 40, 2, 0]) + bytes(4)))
    # flag A set (a 16-octet source address follows) but only 6 octets present
    bad_ts = fmi(2, 0x8000, 10, flow_id(1, 1, 0, sub(3, bytes([2, 0]) + b"\x80\x00\x00\x00" + bytes(6))))
    unknown_fmt = fmi(3, 0x8000, 10, flow_id(1, 1, 0, sub(3, bytes([9, 0]) + bytes(4))))
    end_only = fmi(4, 0x8000, 10, flow_id(1, 1, 0, ts(2, {"l": 99})))
    pkts = [
        packet(good, csum=0x1234),                      # 0 bad checksum
        packet(good[:16]),                              # 1 Header Len larger than the packet
        packet(bad_fid),                                # 2 sub-option runs past its option
        packet(bad_ts),                                 # 3 selector field truncated
        packet(mh(11, b"\x00\x01\x80", hlen=0)[:8]),    # 4 FMI shorter than its fixed part
        packet(unknown_fmt),                            # 5 TS format 9
        packet(end_only),                               # 6 end port without start port
        packet(mh(19, b"\x00\x01")),                    # 7 UPN, options area cut
    ]
    path = str(tmp_path / "bad.pcap")
    wrpcap(path, pkts)
    d = decode(path)
    assert d[0]["flowmob.mh.checksum.status"] == ["bad"]
    assert d[0]["flowmob.msg"] == ["FMI"]
    for i in (1, 2, 3, 4):
        assert "_ws.expert" in d[i], i
    assert d[5]["flowmob.ts.format"] == ["9"] and "flowmob.ts.selector" not in d[5]
    assert d[6]["flowmob.ts.selector"] == ['{"dst_port":[null,99]}'] and "_ws.expert" in d[6]
    text = verbose(path)
    assert "Lua Error" not in text
    assert "Bad Mobility Header checksum" in text


def test_malformed_builtin_message_is_expert_info_not_lua_error(tmp_path):
    """A malformed PBU or BRI handed to the built-in dissector used to raise
    "Dissector_call: Malformed frame" from Lua; now it is expert info and the
    packets after it decode."""
    bad_pbu = mh(5, struct.pack("!HHH", 1, 0x8200, 60), mnid(), hlen=7)[:24]
    bad_bri = mh(16, struct.pack("!BBHH", 1, 1, 7, 0x8000), opt(35, b"\x00\x01"), hlen=5)[:16]
    pkts = [packet(bad_pbu), packet(bad_bri), packet(MESSAGES["fmi"]), packet(MESSAGES["pba"])]
    path = str(tmp_path / "malformed.pcap")
    wrpcap(path, pkts)
    out = subprocess.run(["tshark", "-n", "-X", f"lua_script:{LUA}", "-r", path, "-V"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Lua Error" not in out.stdout and "Dissector_call" not in out.stdout, out.stdout
    assert "Lua" not in out.stderr, out.stderr
    d = decode(path)
    for i in (0, 1):
        assert "_ws.expert" in d[i] or "_ws.malformed" in d[i], (i, d[i])
    assert d[2]["flowmob.msg"] == ["FMI"] and d[2]["flowmob.fmi.seq"] == ["4660"]
    assert d[3]["mip6.ba.status"] == ["0"] and d[3]["flowmob.fid.fid"] == ["5"]
