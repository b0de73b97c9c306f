# SPDX-License-Identifier: GPL-2.0
"""Tests of build/flowmob-mh: JSON round trips of every example of
docs/mh-json.md, an independent check of the wire bytes with tshark (field by field
for everything tshark 4.0 decodes) and a checksum computed here (RFC 1071), and the
command-line error cases.

Expected values come from the JSON input and the RFC layouts, never from flowmob's
own decoder.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import time
import ipaddress

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
TOOL = os.path.join(ROOT, BUILD, "flowmob-mh")


@pytest.fixture(scope="session", autouse=True)
def tool():
    subprocess.run(["make", "--no-print-directory", "BUILD=" + BUILD, BUILD + "/flowmob-mh"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    assert os.access(TOOL, os.X_OK)
    return TOOL


def run(args, stdin=b"", check=False):
    p = subprocess.run([TOOL] + args, input=stdin, capture_output=True, timeout=30)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} exit {p.returncode}: {p.stderr.decode()}")
    return p


def encode_hex(msgs, extra=()):
    data = "\n".join(json.dumps(m) for m in msgs).encode()
    return run(["encode", "--hex", *extra], data, check=True).stdout.decode().split()


def decode_hex(lines, extra=()):
    out = run(["decode", "--hex", *extra], ("\n".join(lines) + "\n").encode(), check=True)
    return [json.loads(l) for l in out.stdout.decode().splitlines()]


CAPTURE_KEYS = ("frame", "time", "src", "dst")


def decode_pcap(path, extra=()):
    """decode --pcap: (messages without the capture keys, [capture keys]); every line
    must name its frame number, time, source and destination."""
    out = run(["decode", "--pcap", str(path), *extra], check=True).stdout.decode().splitlines()
    msgs, metas = [], []
    for line in out:
        m = json.loads(line)
        assert all(k in m for k in CAPTURE_KEYS), m
        metas.append({k: m.pop(k) for k in CAPTURE_KEYS})
        msgs.append(m)
    return msgs, metas


# ---- the JSON examples of docs/mh-json.md, in their full canonical form -------------------

OPTION_EXAMPLES = [
    {"type": "mn-id", "subtype": 1, "id": "mn1@example.net"},
    {"type": "hnp", "prefix": "fd00:100::/64"},
    {"type": "hi", "value": 1},
    {"type": "att", "value": 4},
    {"type": "ll-id", "id": "02:00:00:00:01:01"},
    {"type": "lla", "address": "fe80::1"},
    {"type": "timestamp", "seconds": 1764162000, "fraction": 32768},
    {"type": "restart-counter", "value": 3},
    {"type": "gre-key", "key": 42},
    {"type": "bid", "bid": 1, "status": 0, "h": False, "priority": 0, "coa": "fd00:11::2"},
    {"type": "bid", "bid": 2, "status": 0, "h": True, "priority": 9},
    {"type": "bid", "bid": 3, "status": 128, "h": False, "priority": 0, "coa": "192.0.2.7"},
    {"type": "flow-summary", "fids": [1, 2]},
    {"type": "flow-id", "fid": 1, "priority": 10, "status": 0, "bids": [1, 2],
     "ts": {"format": "ipv6", "src_addr": ["fd00::1", "fd00::ff"], "dst_port": [5000, 5999],
            "next_header": [17]}},
    {"type": "flow-id", "fid": 2, "priority": 1, "status": 131, "bids": [7],
     "ts": {"format": "ipv6", "src_addr": ["fd00::1"], "dst_addr": ["fd00::2", "fd00::9"],
            "spi": [1, 2], "flow_label": [1048575], "src_port": [1], "dst_port": [2, 3],
            "tc": [0, 255], "next_header": [6]}},
    {"type": "flow-id", "fid": 3, "priority": 2, "status": 0,
     "ts": {"format": "ipv4", "src_addr": ["10.0.0.1", "10.0.0.9"], "dst_addr": ["192.0.2.1"],
            "spi": [5], "src_port": [1, 2], "dst_port": [3], "tos": [1, 4], "protocol": [6]},
     "subs": [{"sub": 9, "data": "aabb"}]},
    {"type": "unknown", "otype": 99, "data": "0102ff"},
]

MESSAGE_EXAMPLES = [
    {"type": "pbu", "seq": 7, "flags": "AP", "lifetime": 400, "options": OPTION_EXAMPLES[:10]},
    {"type": "pbu", "seq": 8, "flags": "AHLKMRPFTB", "lifetime": 0,
     "options": OPTION_EXAMPLES[10:]},
    {"type": "pba", "seq": 7, "status": 0, "flags": "KRPTB", "lifetime": 400,
     "options": [OPTION_EXAMPLES[0], OPTION_EXAMPLES[1], OPTION_EXAMPLES[9]]},
    {"type": "bri", "seq": 3, "trigger": 1, "flags": "PVG", "options": [OPTION_EXAMPLES[0]]},
    {"type": "bra", "seq": 3, "status": 1, "flags": "P", "options": []},
    {"type": "heartbeat", "seq": 100000, "flags": "UR",
     "options": [{"type": "restart-counter", "value": 3}]},
    {"type": "be", "status": 2, "home_address": "fd00:100::1", "options": []},
    {"type": "fmi", "seq": 5, "flags": "CR", "lifetime": 65535,
     "options": [OPTION_EXAMPLES[0], OPTION_EXAMPLES[13], OPTION_EXAMPLES[15]]},
    {"type": "fma", "seq": 5, "status": 0, "lifetime": 30,
     "options": [OPTION_EXAMPLES[0], OPTION_EXAMPLES[14]]},
    {"type": "upn", "seq": 9, "reason": 8, "flags": "A",
     "options": [OPTION_EXAMPLES[0], OPTION_EXAMPLES[12], OPTION_EXAMPLES[13]]},
    {"type": "upn", "seq": 10, "reason": 300, "flags": "AD", "options": [OPTION_EXAMPLES[0]]},
    {"type": "upa", "seq": 9, "status": 0, "options": []},
]


@pytest.mark.parametrize("msg", MESSAGE_EXAMPLES, ids=lambda m: m["type"])
def test_round_trip_hex(msg):
    lines = encode_hex([msg])
    assert len(lines) == 1
    raw = bytes.fromhex(lines[0])
    assert len(raw) % 8 == 0 and raw[1] == len(raw) // 8 - 1 and raw[0] == 59
    assert decode_hex(lines) == [msg]


def test_unknown_ts_format_kept_raw():
    """A Traffic Selector of a format the codec cannot read (3) decodes as a raw
    sub-option, so the MAG can answer FMA 131 rather than drop the message."""
    msg = {"type": "fmi", "seq": 1, "flags": "", "lifetime": 60, "options": [
        {"type": "flow-id", "fid": 1, "priority": 10, "status": 0,
         "subs": [{"sub": 3, "data": "0300000000000000"}]}]}
    raw = bytes.fromhex(encode_hex([msg])[0])
    # Flow Identification at octet 12: Type, Len, FID, FID-PRI, Reserved, Status,
    # then the sub-option as it came: type 3, length 8, TS Format 3
    assert raw[12] == 45 and raw[20:23] == bytes([3, 8, 3])
    assert decode_hex(encode_hex([msg])) == [msg]


@pytest.mark.parametrize("opt", OPTION_EXAMPLES, ids=lambda o: o["type"])
def test_round_trip_each_option(opt):
    msg = {"type": "pbu", "seq": 1, "flags": "AP", "lifetime": 4, "options": [opt]}
    assert decode_hex(encode_hex([msg])) == [msg]


def test_issue_example_literal():
    # The message exactly as the issue writes it, options from the issue's list.
    text = ('{"type": "pbu", "seq": 7, "flags": "AP", "lifetime": 400, "options": '
            '[{"type":"mn-id","subtype":1,"id":"mn1@example.net"}, '
            '{"type":"hnp","prefix":"fd00:100::/64"}]}')
    out = run(["encode", "--hex"], text.encode(), check=True).stdout.decode().split()
    # header by hand: 3b, len, type 5, 0, checksum 0, seq 7, flags A|P, lifetime 100
    assert out[0].startswith("3b0605000000" + "0007" + "8200" + "0064")
    assert decode_hex(out) == [json.loads(text)]


def test_round_trip_pcap_array_and_lines(tmp_path):
    arr = tmp_path / "a.pcap"
    lines = tmp_path / "l.pcap"
    run(["encode", "--pcap", str(arr)], json.dumps(MESSAGE_EXAMPLES).encode(), check=True)
    run(["encode", "--pcap", str(lines)],
        "\n".join(json.dumps(m) for m in MESSAGE_EXAMPLES).encode(), check=True)
    assert arr.read_bytes() == lines.read_bytes()
    msgs, metas = decode_pcap(arr)
    assert msgs == MESSAGE_EXAMPLES
    assert metas == [{"frame": i + 1, "time": f"{1764162000 + i}.000000000",
                      "src": "fd00:11::2", "dst": "fd00:11::1"}
                     for i in range(len(MESSAGE_EXAMPLES))]
    # the decode output, capture keys included, encodes back to the same capture
    again = tmp_path / "again.pcap"
    run(["encode", "--pcap", str(again)], run(["decode", "--pcap", str(arr)]).stdout, check=True)
    assert again.read_bytes() == arr.read_bytes()


def test_capture_keys_set_addresses_and_time(tmp_path):
    m = dict(MESSAGE_EXAMPLES[4], frame=7, time="1700000000.250000000", src="fd00:12::2",
             dst="fd00:11::1")
    p = tmp_path / "k.pcap"
    run(["encode", "--pcap", str(p)], json.dumps(m).encode(), check=True)
    msgs, metas = decode_pcap(p)
    assert msgs == [MESSAGE_EXAMPLES[4]]
    assert metas == [{"frame": 1, "time": "1700000000.250000000", "src": "fd00:12::2",
                      "dst": "fd00:11::1"}]
    bad = run(["encode", "--pcap", str(p)], json.dumps(dict(m, src="nope")).encode())
    assert bad.returncode == 1 and b"src: not an IPv6 address" in bad.stderr


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap (wireshark) missing")
def test_pcapng_input(tmp_path):
    """dumpcap writes pcapng: flowmob-mh reads it through libpcap (it used to refuse)."""
    p = tmp_path / "a.pcap"
    ng = tmp_path / "a.pcapng"
    run(["encode", "--ethernet", "--pcap", str(p)], json.dumps(MESSAGE_EXAMPLES).encode(),
        check=True)
    subprocess.run(["editcap", "-F", "pcapng", str(p), str(ng)], check=True)
    assert ng.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    msgs, metas = decode_pcap(ng)
    assert msgs == MESSAGE_EXAMPLES
    assert [m["frame"] for m in metas] == list(range(1, len(MESSAGE_EXAMPLES) + 1))
    assert metas == decode_pcap(p)[1]
    # and tshark agrees on frame number, time, source and destination
    rows = tshark_fields(ng, ["frame.number", "frame.time_epoch", "ipv6.src", "ipv6.dst"])
    assert [(int(r["frame.number"]), r["frame.time_epoch"], r["ipv6.src"], r["ipv6.dst"])
            for r in rows] == [(m["frame"], m["time"], m["src"], m["dst"]) for m in metas]


def test_version():
    p = run(["--version"], check=True)
    version = open(os.path.join(ROOT, "agent", "core", "version.h")).read().split(
        "FLOWMOB_VERSION \"", 1)[1].split("\"", 1)[0]
    assert re.fullmatch(rf"flowmob-mh {re.escape(version)} \(libbpf \d+\.\d+\)\n",
                        p.stdout.decode())
    assert run(["-V"], check=True).stdout == p.stdout


def test_ethernet_pcap(tmp_path):
    p = tmp_path / "e.pcap"
    run(["encode", "--ethernet", "--pcap", str(p)], json.dumps(MESSAGE_EXAMPLES[:3]).encode(),
        check=True)
    data = p.read_bytes()
    assert struct.unpack("<I", data[20:24])[0] == 1  # LINKTYPE_ETHERNET
    assert decode_pcap(p)[0] == MESSAGE_EXAMPLES[:3]


def test_fm_type_option():
    fmi = {"type": "fmi", "seq": 1, "flags": "C", "lifetime": 0, "options": []}
    lines = encode_hex([fmi], ["--fm-type", "200"])
    assert bytes.fromhex(lines[0])[2] == 200
    assert bytes.fromhex(lines[0])[8] == 0xC0  # I and C
    bad = run(["decode", "--hex"], (lines[0] + "\n").encode())
    assert bad.returncode == 1 and b"MH Type 200" in bad.stderr
    assert decode_hex(lines, ["--fm-type", "200"]) == [fmi]
    # default type 11
    assert bytes.fromhex(encode_hex([fmi])[0])[2] == 11


# ---- checksum, computed here (RFC 1071 over the IPv6 pseudo-header) -----------------------

def rfc1071(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def mh_checksum_ok(src, dst, mh):
    ph = src + dst + struct.pack(">I", len(mh)) + b"\0\0\0\x87"
    return rfc1071(ph + mh) == 0xFFFF


def read_pcap(path):
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xA1B2C3D4
    linktype, = struct.unpack("<I", data[20:24])
    pos, pkts = 24, []
    while pos < len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[pos:pos + 16])
        pkts.append(data[pos + 16:pos + 16 + caplen])
        pos += 16 + caplen
    return linktype, pkts


def test_pcap_checksums_and_ipv6_header(tmp_path):
    p = tmp_path / "c.pcap"
    run(["encode", "--src", "fd00:12::2", "--dst", "fd00:11::1", "--pcap", str(p)],
        json.dumps(MESSAGE_EXAMPLES).encode(), check=True)
    linktype, pkts = read_pcap(p)
    assert linktype == 101
    assert len(pkts) == len(MESSAGE_EXAMPLES)
    for pkt in pkts:
        assert pkt[0] >> 4 == 6 and pkt[6] == 135
        assert struct.unpack(">H", pkt[4:6])[0] == len(pkt) - 40
        assert pkt[8:24] == ipaddress.IPv6Address("fd00:12::2").packed
        assert pkt[24:40] == ipaddress.IPv6Address("fd00:11::1").packed
        assert mh_checksum_ok(pkt[8:24], pkt[24:40], pkt[40:])
    # --hex fills the checksum only with both addresses
    lines = encode_hex([MESSAGE_EXAMPLES[4]], ["--src", "fd00:12::2", "--dst", "fd00:11::1"])
    assert lines[0] == pkts[4][40:].hex()
    assert encode_hex([MESSAGE_EXAMPLES[4]])[0][8:12] == "0000"


def test_scapy_agrees_on_checksum(tmp_path):
    scapy_inet6 = pytest.importorskip("scapy.layers.inet6")
    p = tmp_path / "s.pcap"
    msgs = [m for m in MESSAGE_EXAMPLES if m["type"] in ("pbu", "pba", "be")]
    run(["encode", "--pcap", str(p)], json.dumps(msgs).encode(), check=True)
    _, pkts = read_pcap(p)
    for pkt in pkts:
        ip = scapy_inet6.IPv6(pkt)
        mh = ip.payload
        ours = mh.cksum
        mh.cksum = None
        rebuilt = scapy_inet6.IPv6(bytes(ip))
        assert rebuilt.payload.cksum == ours


# ---- tshark, field by field --------------------------------------------------------------

TSHARK = shutil.which("tshark")


def tshark_fields(path, fields):
    cmd = [TSHARK, "-r", str(path), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, timeout=60, check=True)
    return [dict(zip(fields, line.split("\t"))) for line in p.stdout.decode().splitlines()]


def tshark_time(seconds, fraction):
    ns = fraction * 1000000000 // 65536
    return time.strftime("%b %d, %Y %H:%M:%S", time.gmtime(seconds)) + f".{ns:09d} UTC"


def b(flags, letter):
    return "1" if letter in flags else "0"


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_tshark_messages(tmp_path):
    msgs = [
        {"type": "pbu", "seq": 7, "flags": "AP", "lifetime": 400, "options": []},
        {"type": "pbu", "seq": 65535, "flags": "HLKMRFTB", "lifetime": 262140, "options": []},
        {"type": "pba", "seq": 7, "status": 0, "flags": "P", "lifetime": 400, "options": []},
        {"type": "pba", "seq": 1, "status": 157, "flags": "KRTB", "lifetime": 4, "options": []},
        {"type": "bri", "seq": 3, "trigger": 1, "flags": "PG", "options": []},
        {"type": "bra", "seq": 4, "status": 128, "flags": "V", "options": []},
        {"type": "heartbeat", "seq": 100000, "flags": "U", "options": []},
        {"type": "heartbeat", "seq": 4294967295, "flags": "R", "options": []},
        {"type": "be", "status": 2, "home_address": "fd00:100::1", "options": []},
    ]
    p = tmp_path / "m.pcap"
    run(["encode", "--pcap", str(p)], json.dumps(msgs).encode(), check=True)
    fields = ["mip6.proto", "mip6.hlen", "mip6.mhtype", "mip6.csum",
              "mip6.bu.seqnr", "mip6.bu.a_flag", "mip6.bu.h_flag", "mip6.bu.l_flag",
              "mip6.bu.k_flag", "mip6.bu.m_flag", "mip6.nemo.bu.r_flag", "mip6.bu.p_flag",
              "mip6.bu.f_flag", "mip6.bu.t_flag", "mip6.bu.b_flag", "mip6.bu.lifetime",
              "mip6.ba.status", "mip6.ba.k_flag", "mip6.nemo.ba.r_flag", "mip6.ba.p_flag",
              "mip6.ba.t_flag", "mip6.ba.b_flag", "mip6.ba.seqnr", "mip6.ba.lifetime",
              "mip6.bri_br.type", "mip6.bri_r.trigger", "mip6.bri_status", "mip6.bri_seqnr",
              "mip6.bri_ip", "mip6.bri_iv", "mip6.bri_ig", "mip6.bri_ap", "mip6.bri_av",
              "mip6.bri_ag", "mip6.hb.u_flag", "mip6.hb.r_flag", "mip6.hb.seqnr",
              "mip6.be.status", "mip6.be.haddr", "_ws.malformed"]
    rows = tshark_fields(p, fields)
    _, pkts = read_pcap(p)
    assert len(rows) == len(msgs)
    for m, r, pkt in zip(msgs, rows, pkts):
        assert r["_ws.malformed"] == ""
        assert r["mip6.proto"] == "59"
        assert int(r["mip6.hlen"]) == (len(pkt) - 40) // 8 - 1
        assert int(r["mip6.csum"], 16) == struct.unpack(">H", pkt[44:46])[0]
        t, f = m["type"], m.get("flags", "")
        if t == "pbu":
            exp = {"mip6.mhtype": "5", "mip6.bu.seqnr": str(m["seq"]),
                   "mip6.bu.lifetime": str(m["lifetime"] // 4)}
            for letter, field in zip("AHLKMRPFTB", ["a", "h", "l", "k", "m", None, "p", "f",
                                                    "t", "b"]):
                key = "mip6.nemo.bu.r_flag" if field is None else f"mip6.bu.{field}_flag"
                exp[key] = b(f, letter)
        elif t == "pba":
            exp = {"mip6.mhtype": "6", "mip6.ba.status": str(m["status"]),
                   "mip6.ba.seqnr": str(m["seq"]), "mip6.ba.lifetime": str(m["lifetime"] // 4),
                   "mip6.ba.k_flag": b(f, "K"), "mip6.nemo.ba.r_flag": b(f, "R"),
                   "mip6.ba.p_flag": b(f, "P"), "mip6.ba.t_flag": b(f, "T"),
                   "mip6.ba.b_flag": b(f, "B")}
        elif t == "bri":
            exp = {"mip6.mhtype": "16", "mip6.bri_br.type": "1",
                   "mip6.bri_r.trigger": str(m["trigger"]), "mip6.bri_seqnr": str(m["seq"]),
                   "mip6.bri_ip": b(f, "P"), "mip6.bri_iv": b(f, "V"), "mip6.bri_ig": b(f, "G")}
        elif t == "bra":
            exp = {"mip6.mhtype": "16", "mip6.bri_br.type": "2",
                   "mip6.bri_status": str(m["status"]), "mip6.bri_seqnr": str(m["seq"]),
                   "mip6.bri_ap": b(f, "P"), "mip6.bri_av": b(f, "V"), "mip6.bri_ag": b(f, "G")}
        elif t == "heartbeat":
            exp = {"mip6.mhtype": "13", "mip6.hb.seqnr": str(m["seq"]),
                   "mip6.hb.u_flag": b(f, "U"), "mip6.hb.r_flag": b(f, "R")}
        else:
            exp = {"mip6.mhtype": "7", "mip6.be.status": str(m["status"]),
                   "mip6.be.haddr": m["home_address"]}
        for k, v in exp.items():
            assert r[k] == v, f"{t}: {k} tshark {r[k]!r}, expected {v!r}"


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_tshark_options(tmp_path):
    opts = [
        {"type": "mn-id", "subtype": 1, "id": "mn1@example.net"},
        {"type": "hnp", "prefix": "fd00:100:0:5::/64"},
        {"type": "hi", "value": 2},
        {"type": "att", "value": 4},
        {"type": "ll-id", "id": "02:00:00:00:01:01"},
        {"type": "lla", "address": "fe80::1"},
        {"type": "timestamp", "seconds": 1764162000, "fraction": 32768},
        {"type": "restart-counter", "value": 3},
        {"type": "gre-key", "key": 42},
        {"type": "bid", "bid": 1, "status": 0, "h": False, "priority": 0, "coa": "fd00:11::2"},
        {"type": "bid", "bid": 2, "status": 1, "h": True, "priority": 0},
        {"type": "bid", "bid": 3, "status": 0, "h": False, "priority": 0, "coa": "192.0.2.7"},
    ]
    # one option per packet (so every field is unambiguous), then all of them in one PBU
    msgs = [{"type": "pbu", "seq": i, "flags": "AP", "lifetime": 40, "options": [o]}
            for i, o in enumerate(opts)]
    msgs.append({"type": "pbu", "seq": 99, "flags": "AP", "lifetime": 40, "options": opts})
    p = tmp_path / "o.pcap"
    run(["encode", "--pcap", str(p)], json.dumps(msgs).encode(), check=True)
    fields = ["mip6.mnid.subtype", "mip6.mnid.identifier", "mip6.nemo.mnp.pfl",
              "mip6.nemo.mnp.mnp", "mip6.hi", "mip6.att", "mip6.mnlli.lli", "mip6.lila_lla",
              "mip6.timestamp_tmp", "mip6.rc", "mip6.gre_key", "mip6.bi.bid", "mip6.bi.status",
              "mip6.bi.h_flag", "mip6.bi.coa_ipv6", "mip6.bi.coa_ipv4", "mip6.mobility_opt",
              "_ws.malformed"]
    rows = tshark_fields(p, fields)
    assert len(rows) == len(msgs)

    def expected(o):
        t = o["type"]
        if t == "mn-id":
            return {"mip6.mnid.subtype": str(o["subtype"]), "mip6.mnid.identifier": o["id"]}
        if t == "hnp":
            a, l = o["prefix"].split("/")
            return {"mip6.nemo.mnp.pfl": l, "mip6.nemo.mnp.mnp": a}
        if t == "hi":
            return {"mip6.hi": str(o["value"])}
        if t == "att":
            return {"mip6.att": str(o["value"])}
        if t == "ll-id":
            return {"mip6.mnlli.lli": o["id"].replace(":", "")}
        if t == "lla":
            return {"mip6.lila_lla": o["address"]}
        if t == "timestamp":
            return {"mip6.timestamp_tmp": tshark_time(o["seconds"], o["fraction"])}
        if t == "restart-counter":
            return {"mip6.rc": str(o["value"])}
        if t == "gre-key":
            return {"mip6.gre_key": str(o["key"])}
        e = {"mip6.bi.bid": str(o["bid"]), "mip6.bi.status": str(o["status"]),
             "mip6.bi.h_flag": "1" if o["h"] else "0"}
        coa = o.get("coa", "")
        e["mip6.bi.coa_ipv6"] = coa if ":" in coa else ""
        e["mip6.bi.coa_ipv4"] = coa if "." in coa else ""
        return e

    for o, r in zip(opts, rows):
        assert r["_ws.malformed"] == ""
        for k, v in expected(o).items():
            assert r[k] == v, f"{o['type']}: {k} tshark {r[k]!r}, expected {v!r}"
    # the combined message: tshark finds every option, with the same values
    last = rows[-1]
    assert last["_ws.malformed"] == ""
    combined = {}
    for o in opts:
        for k, v in expected(o).items():
            combined.setdefault(k, []).append(v)
    for k, vs in combined.items():
        got = last[k].split("|")
        want = [v for v in vs if v != ""]
        assert got == want or (not want and got == [""]), f"{k}: tshark {got}, expected {want}"


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_tshark_reads_every_example_without_error(tmp_path):
    p = tmp_path / "all.pcap"
    run(["encode", "--ethernet", "--pcap", str(p)], json.dumps(MESSAGE_EXAMPLES).encode(),
        check=True)
    rows = tshark_fields(p, ["ipv6.nxt", "mip6.mhtype", "mip6.proto"])
    assert [r["ipv6.nxt"] for r in rows] == ["135"] * len(MESSAGE_EXAMPLES)
    assert [r["mip6.proto"] for r in rows] == ["59"] * len(MESSAGE_EXAMPLES)
    assert [r["mip6.mhtype"] for r in rows] == ["5", "5", "6", "16", "16", "13", "7", "11", "11",
                                                "19", "19", "20"]


# ---- command-line errors ------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    ([], "missing command"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["encode"], "exactly one of --hex or --pcap"),
    (["encode", "--hex", "--pcap", "x"], "exactly one of --hex or --pcap"),
    (["decode", "--hex", "--bogus"], "unknown option '--bogus'"),
    (["encode", "--pcap"], "needs an argument"),
    (["encode", "--hex", "--fm-type", "300"], "--fm-type"),
    (["encode", "--hex", "--fm-type", "x"], "--fm-type"),
    (["encode", "--hex", "--src", "10.0.0.1", "--dst", "fd00::1"], "not an IPv6 address"),
    (["encode", "--hex", "--src", "fd00::1"], "both --src and --dst"),
    (["decode", "--hex", "--src", "fd00::1"], "encode only"),
    (["decode", "--hex", "extra"], "unexpected argument 'extra'"),
])
def test_bad_arguments(args, needle):
    p = run(args)
    assert p.returncode == 2
    err = p.stderr.decode()
    assert needle in err and "Usage:" in err


def test_help():
    for h in (["--help"], ["-h"], ["encode", "--help"]):
        p = run(h)
        assert p.returncode == 0
        out = p.stdout.decode()
        assert "Usage:" in out and "encode" in out and "decode" in out and "--fm-type" in out


@pytest.mark.parametrize("text,needle", [
    ("{", "not valid JSON"),
    ('{"type":"pbu"} garbage', "not valid JSON"),
    ("", "no messages"),
    ('{"type":"pbu","lifetime":401}', "multiple of 4"),
    ('{"type":"pba","lifetime":2}', "multiple of 4"),
    ('{"type":"pbu","seq":70000}', "seq"),
    ('{"type":"pbu","options":[{"type":"hnp","prefix":"nope"}]}', "options[0].prefix"),
    ('{"type":"nope"}', "type"),
    ('{"type":"pbu"}\n{"type":"pbu","flags":"Z"}', "message 2: flags"),
    ('[{"type":"pbu"}, 5]', "message 2"),
    ('{"type":"fmi","options":[{"type":"flow-id","fid":1,"priority":1,"status":0,'
     '"subs":[{"sub":3,"data":"020000000000"}]}]}', "known sub-option (use bids or ts)"),
])
def test_bad_json(text, needle):
    p = run(["encode", "--hex"], text.encode())
    assert p.returncode == 1
    assert needle in p.stderr.decode()


@pytest.mark.parametrize("text,needle", [
    ("3b0", "odd number of hex digits"),
    ("3b01zz", "not a hex digit"),
    ("3c01050000000001820000000102000000", "malformed Mobility Header at offset"),
    ("3b01050000000001820000001703000100", "malformed"),  # HI crossing the end (length)
    ("3b0205000000000182000000", "Header Len"),
    ("3b01ff00000000000000000001020000", "MH Type 255"),
    ("", "no messages"),
])
def test_bad_hex(text, needle):
    p = run(["decode", "--hex"], (text + "\n").encode())
    assert p.returncode == 1
    assert needle in p.stderr.decode()


def test_decode_hex_tolerates_separators_and_comments():
    lines = encode_hex([MESSAGE_EXAMPLES[4]])
    spaced = " ".join(lines[0][i:i + 2] for i in range(0, len(lines[0]), 2))
    text = f"# a comment\n\n{spaced}\n{lines[0].upper()}\n"
    out = run(["decode", "--hex"], text.encode(), check=True).stdout.decode().splitlines()
    assert [json.loads(l) for l in out] == [MESSAGE_EXAMPLES[4]] * 2


def test_error_names_packet_under_a_long_path(tmp_path):
    """The packet number survives a long capture path (it was cut at 64 octets)."""
    d = tmp_path / ("d" * 120)
    d.mkdir()
    good = d / "g.pcap"
    run(["encode", "--pcap", str(good)], json.dumps(MESSAGE_EXAMPLES[:2]).encode(), check=True)
    data = bytearray(good.read_bytes())
    data[24 + 16 + 40 + 12 + 1] = 0xFF  # first option's length byte
    bad = d / "bad.pcap"
    bad.write_bytes(bytes(data))
    p = run(["decode", "--pcap", str(bad)])
    assert p.returncode == 1
    assert f"{bad}: packet 1: malformed Mobility Header at offset 13".encode() in p.stderr


def test_bad_pcap(tmp_path):
    p = run(["decode", "--pcap", str(tmp_path / "missing.pcap")])
    assert p.returncode == 1 and b"No such file" in p.stderr
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"hello world, not a capture file")
    p = run(["decode", "--pcap", str(junk)])
    assert p.returncode == 1 and b"not a readable pcap or pcapng file" in p.stderr
    # a broken pcapng (bad Section Header Block) is refused too
    ng = tmp_path / "x.pcapng"
    ng.write_bytes(b"\x0a\x0d\x0d\x0a" + b"\0" * 40)
    p = run(["decode", "--pcap", str(ng)])
    assert p.returncode == 1 and b"not a readable pcap or pcapng file" in p.stderr
    # a truncated record
    good = tmp_path / "g.pcap"
    run(["encode", "--pcap", str(good)], json.dumps(MESSAGE_EXAMPLES[:2]).encode(), check=True)
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(good.read_bytes()[:-5])
    p = run(["decode", "--pcap", str(cut)])
    assert p.returncode == 1 and b"truncated" in p.stderr
    # a malformed MH inside a good packet: HI length 3 crossing the end
    data = bytearray(good.read_bytes())
    linktype, pkts = read_pcap(good)
    first = pkts[0]
    data[24 + 16 + 40 + 12 + 1] = 0xFF  # first option's length byte
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(bytes(data))
    p = run(["decode", "--pcap", str(bad)])
    assert p.returncode == 1 and b"packet 1: malformed Mobility Header at offset 13" in p.stderr
    assert len(first) > 52


def doc_examples():
    """The JSON objects of the '## Examples' block of docs/mh-json.md."""
    text = open(os.path.join(ROOT, "docs", "mh-json.md")).read()
    block = text.split("## Examples", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    dec, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(block) and block[pos].isspace():
            pos += 1
        if pos >= len(block):
            return out
        obj, pos = dec.raw_decode(block, pos)
        out.append(obj)


def test_doc_examples_round_trip(tmp_path):
    msgs = doc_examples()
    assert len(msgs) == 11
    assert decode_hex(encode_hex(msgs)) == msgs
    p = tmp_path / "doc.pcap"
    run(["encode", "--pcap", str(p)], json.dumps(msgs).encode(), check=True)
    assert decode_pcap(p)[0] == msgs


LUA = os.path.join(ROOT, "tools", "wireshark", "flowmob.lua")


@pytest.mark.skipif(TSHARK is None or not os.path.exists(LUA),
                    reason="tshark or tools/wireshark/flowmob.lua missing")
def test_lua_dissector_agrees(tmp_path):
    """Cross-check what tshark 4.0 cannot decode (FMI/FMA, UPN/UPA, Flow Summary,
    Flow Identification, selectors) with the project's Wireshark dissector, written
    separately from the codec."""
    msgs = [m for m in MESSAGE_EXAMPLES if m["type"] in ("fmi", "fma", "upn", "upa")]
    p = tmp_path / "lua.pcap"
    run(["encode", "--pcap", str(p)], json.dumps(msgs).encode(), check=True)
    fields = ["flowmob.mh.checksum.status", "flowmob.fmi.seq", "flowmob.fmi.c",
              "flowmob.fmi.r", "flowmob.fmi.lifetime", "flowmob.fma.status",
              "flowmob.fma.lifetime", "flowmob.upn.seq", "flowmob.upn.reason", "flowmob.upn.a",
              "flowmob.upn.d",
              "flowmob.upa.status", "flowmob.fid.fid", "flowmob.fid.pri", "flowmob.fid.status",
              "flowmob.bidref.bid", "flowmob.ts.selector", "flowmob.fsum.fid", "_ws.expert"]
    cmd = [TSHARK, "-n", "-X", f"lua_script:{LUA}", "-r", str(p), "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, timeout=60, check=True).stdout.decode()
    rows = [dict(zip(fields, l.split("\t"))) for l in out.splitlines()]
    assert len(rows) == len(msgs)
    for m, r in zip(msgs, rows):
        assert r["flowmob.mh.checksum.status"] == "good"
        assert r["_ws.expert"] == ""
        t = m["type"]
        if t == "fmi":
            assert r["flowmob.fmi.seq"] == str(m["seq"])
            assert r["flowmob.fmi.c"] == ("1" if "C" in m["flags"] else "0")
            assert r["flowmob.fmi.r"] == ("1" if "R" in m["flags"] else "0")
            assert r["flowmob.fmi.lifetime"] == str(m["lifetime"])
        elif t == "fma":
            assert r["flowmob.fma.status"] == str(m["status"])
            assert r["flowmob.fma.lifetime"] == str(m["lifetime"])
        elif t == "upn":
            assert r["flowmob.upn.seq"] == str(m["seq"])
            assert r["flowmob.upn.reason"] == str(m["reason"])
            assert r["flowmob.upn.a"] == b(m["flags"], "A")
            assert r["flowmob.upn.d"] == b(m["flags"], "D")
        else:
            assert r["flowmob.upa.status"] == str(m["status"])
        fids = [o for o in m["options"] if o["type"] == "flow-id"]
        assert r["flowmob.fid.fid"] == "|".join(str(o["fid"]) for o in fids)
        assert r["flowmob.fid.pri"] == "|".join(str(o["priority"]) for o in fids)
        assert r["flowmob.bidref.bid"] == "|".join(str(b) for o in fids for b in o.get("bids", []))
        sels = [json.loads(s) for s in r["flowmob.ts.selector"].split("|") if s]
        assert sels == [{k: v for k, v in o["ts"].items() if k != "format"} for o in fids]
        fs = [o for o in m["options"] if o["type"] == "flow-summary"]
        assert r["flowmob.fsum.fid"] == "|".join(str(x) for o in fs for x in o["fids"])


# ---- hand-written vectors from the RFC figures -------------------------
# Each: the bytes as the figure lays them out (never produced by the encoder), the JSON
# they must decode to, and the canonical bytes flowmob-mh must encode that JSON to
# (None: the same bytes). The pcap of the hand-written bytes is then read by tshark
# (with the dissector for what tshark 4.0 cannot decode).

MNID3 = "08 04 01 6d6e31"  # MN-ID, NAI "mn1"
RFC_VECTORS = [
    # RFC 7077 section 4.1 Figure 3: Sequence # | Notification Reason (16) | A D reserved(14)
    ("upn", "3b 02 13 00 0000 | 0009 | 0008 | 8000 |" + MNID3 + "| 01 04 00000000",
     {"type": "upn", "seq": 9, "reason": 8, "flags": "A",
      "options": [{"type": "mn-id", "subtype": 1, "id": "mn1"}]}, None,
     {"flowmob.upn.seq": "9", "flowmob.upn.reason": "8", "flowmob.upn.a": "1",
      "flowmob.upn.d": "0", "mip6.mnid.identifier": "mn1"}),
    # Figure 3, a retransmission (D) with reserved bits set: ignored on receipt
    ("upn_d", "3b 02 13 00 0000 | 0009 | 0108 | c00f |" + MNID3 + "| 01 04 00000000",
     {"type": "upn", "seq": 9, "reason": 264, "flags": "AD",
      "options": [{"type": "mn-id", "subtype": 1, "id": "mn1"}]},
     "3b 02 13 00 0000 | 0009 | 0108 | c000 |" + MNID3 + "| 01 04 00000000",
     {"flowmob.upn.reason": "264", "flowmob.upn.a": "1", "flowmob.upn.d": "1",
      "flowmob.upn.reserved": "0x000f"}),
    # RFC 7077 section 4.2 Figure 4: Sequence # | Status | Reserved (24), non-zero here
    ("upa", "3b 02 14 00 0000 | 0009 | 84 | abcdef |" + MNID3 + "| 01 04 00000000",
     {"type": "upa", "seq": 9, "status": 132,
      "options": [{"type": "mn-id", "subtype": 1, "id": "mn1"}]},
     "3b 02 14 00 0000 | 0009 | 84 | 000000 |" + MNID3 + "| 01 04 00000000",
     {"flowmob.upa.status": "132", "flowmob.upa.reserved": "0xabcdef",
      "mip6.mnid.identifier": "mn1"}),
    # RFC 6088 section 3.2 Figure 2 in an FMI (seed 4.1): flow label (G) alone, a 32-bit
    # field with the 20-bit label right-aligned; E-H only: the sub-option at 4n (20)
    ("ts6_flow_label", "3b 03 0b 00 0000 | 0001 8000 001e |"
     " 2d 12 0001 0001 00 00 | 03 0a 02 00 02000000 00012345",
     {"type": "fmi", "seq": 1, "flags": "", "lifetime": 30,
      "options": [{"type": "flow-id", "fid": 1, "priority": 1, "status": 0,
                   "ts": {"format": "ipv6", "flow_label": [74565]}}]}, None,
     {"flowmob.ts6.flow_label.start": "74565", "flowmob.fid.fid": "1"}),
    # the same with reserved flag bits, the TS Reserved octet and the FID Reserved octet
    # set (RFC 6088 section 3, RFC 6089 section 4.2): ignored on receipt
    ("ts6_reserved", "3b 03 0b 00 0000 | 0001 8000 001e |"
     " 2d 12 0001 0001 ff 00 | 03 0a 02 ff 0200ffff 00012345",
     {"type": "fmi", "seq": 1, "flags": "", "lifetime": 30,
      "options": [{"type": "flow-id", "fid": 1, "priority": 1, "status": 0,
                   "ts": {"format": "ipv6", "flow_label": [74565]}}]},
     "3b 03 0b 00 0000 | 0001 8000 001e | 2d 12 0001 0001 00 00 | 03 0a 02 00 02000000 00012345",
     {"flowmob.ts6.flow_label.start": "74565"}),
    # RFC 6088 section 3.2 / RFC 6089 section 4.2.1: a selector with an address (C) starts
    # at 8n: PadN sub-option after the BID Reference (26 -> 32)
    ("ts6_addr_aligned", "3b 06 0b 00 0000 | 0002 8000 001e |"
     " 2d 2a 0002 0001 00 00 | 02 04 0001 0002 | 01 04 00000000 |"
     " 03 16 02 00 20000000 fd000000 00000000 00000000 00000002",
     {"type": "fmi", "seq": 2, "flags": "", "lifetime": 30,
      "options": [{"type": "flow-id", "fid": 2, "priority": 1, "status": 0, "bids": [1, 2],
                   "ts": {"format": "ipv6", "dst_addr": ["fd00::2"]}}]}, None,
     {"flowmob.ts6.dst_addr.start": "fd00::2", "flowmob.bidref.bid": "1|2"}),
    # RFC 6088 section 3.1: an IPv4 selector with an address at 4n: PadN(0) sub-option
    # after the BID Reference (26 -> 28)
    ("ts4_addr_aligned", "3b 04 0b 00 0000 | 0003 8000 001e |"
     " 2d 1a 0003 0001 00 00 | 02 04 0001 0002 | 01 00 | 03 0a 01 00 80000000 0a000001",
     {"type": "fmi", "seq": 3, "flags": "", "lifetime": 30,
      "options": [{"type": "flow-id", "fid": 3, "priority": 1, "status": 0, "bids": [1, 2],
                   "ts": {"format": "ipv4", "src_addr": ["10.0.0.1"]}}]}, None,
     {"flowmob.ts4.src_addr.start": "10.0.0.1", "flowmob.bidref.bid": "1|2"}),
    # RFC 5648 section 4.3: a Binding Identifier with a care-of address at 8n+2 (18);
    # BID-PRI 1 (0 is reserved, RFC 6089 section 4.1)
    ("bid_coa", "3b 04 05 00 0000 | 0001 8200 0000 | 01 04 00000000 |"
     " 23 14 0001 00 01 fd000011 00000000 00000000 00000002",
     {"type": "pbu", "seq": 1, "flags": "AP", "lifetime": 0,
      "options": [{"type": "bid", "bid": 1, "status": 0, "h": False, "priority": 1,
                   "coa": "fd00:11::2"}]}, None,
     {"mip6.bi.bid": "1", "mip6.bi.coa_ipv6": "fd00:11::2", "mip6.bu.seqnr": "1"}),
    # seed draft section 4.2: FMA status 0 with the MN-ID then a Flow Identification option
    ("fma", "3b 03 0b 00 0000 | 0005 | 00 | 00 | 001e |" + MNID3 +
     "| 2d 06 0001 0001 00 00 | 01 04 00000000",
     {"type": "fma", "seq": 5, "status": 0, "lifetime": 30,
      "options": [{"type": "mn-id", "subtype": 1, "id": "mn1"},
                  {"type": "flow-id", "fid": 1, "priority": 1, "status": 0}]}, None,
     {"flowmob.fma.status": "0", "flowmob.fma.i": "0", "flowmob.fid.fid": "1",
      "mip6.mnid.identifier": "mn1"}),
]


def unspaced(h):
    return h.replace(" ", "").replace("|", "")


def write_raw_pcap(path, mhs, src="fd00:11::2", dst="fd00:11::1"):
    """Classic pcap, LINKTYPE_RAW, each MH in an IPv6 packet with its checksum (RFC 1071)."""
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, mh in enumerate(mhs):
        mh = bytearray(mh)
        mh[4:6] = b"\0\0"
        ph = s + d + struct.pack(">I", len(mh)) + b"\0\0\0\x87"
        mh[4:6] = struct.pack(">H", (~rfc1071(ph + bytes(mh))) & 0xFFFF)
        pkt = struct.pack(">IHBB", 0x60000000, len(mh), 135, 64) + s + d + bytes(mh)
        out += struct.pack("<IIII", 1764162000 + i, 0, len(pkt), len(pkt)) + pkt
    open(path, "wb").write(out)


@pytest.mark.parametrize("name,wire,want,canon,_", RFC_VECTORS, ids=[v[0] for v in RFC_VECTORS])
def test_rfc_vector_decode_encode(name, wire, want, canon, _):
    assert decode_hex([unspaced(wire)]) == [want]
    assert encode_hex([want]) == [unspaced(canon or wire)]


@pytest.mark.skipif(TSHARK is None or not os.path.exists(LUA),
                    reason="tshark or tools/wireshark/flowmob.lua missing")
def test_rfc_vectors_agreed_by_tshark(tmp_path):
    p = tmp_path / "rfc.pcap"
    write_raw_pcap(p, [bytes.fromhex(unspaced(v[1])) for v in RFC_VECTORS])
    fields = sorted({f for v in RFC_VECTORS for f in v[4]} | {"_ws.expert", "_ws.malformed"})
    cmd = [TSHARK, "-n", "-X", f"lua_script:{LUA}", "-r", str(p), "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, timeout=60, check=True)
    assert b"Lua" not in out.stderr, out.stderr
    rows = [dict(zip(fields, l.split("\t"))) for l in out.stdout.decode().splitlines()]
    assert len(rows) == len(RFC_VECTORS)
    for v, r in zip(RFC_VECTORS, rows):
        assert r["_ws.expert"] == "" and r["_ws.malformed"] == "", (v[0], r)
        for k, want in v[4].items():
            assert r[k] == want, (v[0], k, r[k])
    # flowmob-mh reads the same capture: every vector, frame numbers in order
    msgs, metas = decode_pcap(p)
    assert msgs == [v[2] for v in RFC_VECTORS]
    assert [m["frame"] for m in metas] == list(range(1, len(RFC_VECTORS) + 1))


# ---- RFC 4285 Mobility Message Authentication (option 9) -----------------------------------

# A PBU written by hand from RFC 4285 section 5: MN-ID, PadN to 8n+2, then Type 9,
# Length 37, Subtype 1 (MN-HA), SPI 256, 32 octets of HMAC-SHA-256 over
# src | dst | the MH up to and including the SPI (checksum zero), PadN to 80.
AUTH_KEY = bytes(range(16))
AUTH_SRC, AUTH_DST = "2001:db8::1", "2001:db8::2"


def auth_pbu_vector():
    import hashlib
    import hmac
    b = bytearray([59, 9, 5, 0, 0, 0, 0x12, 0x34, 0xe2, 0x00, 0x00, 0x10])
    b += bytes([8, 16, 1]) + b"mn1@example.net" + bytes([1, 2, 0, 0])
    assert len(b) % 8 == 2
    b += bytes([9, 37, 1, 0, 0, 1, 0])
    data = ipaddress.IPv6Address(AUTH_SRC).packed + ipaddress.IPv6Address(AUTH_DST).packed + bytes(b)
    b += hmac.new(AUTH_KEY, data, hashlib.sha256).digest()
    b += bytes([1, 5, 0, 0, 0, 0, 0])
    return bytes(b)


def test_auth_vector_decode_encode_sign(tmp_path):
    vec = auth_pbu_vector()
    [m] = decode_hex([vec.hex()])
    auth = m["options"][-1]
    assert auth == {"type": "auth", "subtype": 1, "spi": 256, "data": vec[41:73].hex()}
    # re-encoded as given: the same bytes (the option at 8n+2, the last one)
    assert encode_hex([m]) == [vec.hex()]
    # signed by flowmob-mh with the key: the same authenticator
    key = tmp_path / "k.key"
    key.write_text(AUTH_KEY.hex() + "\n")
    os.chmod(key, 0o600)
    del auth["data"]
    out = run(["encode", "--hex", "--src", AUTH_SRC, "--dst", AUTH_DST, "--key-file", str(key)],
              json.dumps(m).encode(), check=True).stdout.decode().split()[0]
    got = bytes.fromhex(out)
    assert got[:4] == vec[:4] and got[6:] == vec[6:]  # the checksum is filled in here
    # a group-readable key file is refused
    os.chmod(key, 0o640)
    p = run(["encode", "--hex", "--key-file", str(key)], json.dumps(m).encode())
    assert p.returncode != 0 and b"chmod 600" in p.stderr


def test_auth_must_be_last():
    vec = bytearray(auth_pbu_vector())
    vec[73:80] = bytes([24, 2, 0, 4, 0, 1, 0])  # an ATT option (and Pad1... ) after it
    vec[79] = 0
    p = run(["decode", "--hex"], (vec.hex() + "\n").encode())
    assert p.returncode != 0 and b"last" in p.stderr


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_tshark_auth_option(tmp_path):
    vec = auth_pbu_vector()
    [m] = decode_hex([vec.hex()])
    m["src"], m["dst"] = AUTH_SRC, AUTH_DST
    fmi = {"type": "fmi", "seq": 5, "flags": "", "lifetime": 30, "src": AUTH_DST, "dst": AUTH_SRC,
           "options": [{"type": "mn-id", "subtype": 1, "id": "mn1@example.net"},
                       {"type": "auth", "subtype": 1, "spi": 4242, "data": "ab" * 32}]}
    pcap = tmp_path / "auth.pcap"
    run(["encode", "--pcap", str(pcap)], (json.dumps(m) + "\n" + json.dumps(fmi)).encode(),
        check=True)
    # the built-in mip6 dissector (PBU)
    rows = tshark_fields(pcap, ["mip6.auth.mobility_spi", "mip6.auth.auth_data",
                                "mip6.auth.subtype", "_ws.malformed"])
    assert rows[0]["mip6.auth.mobility_spi"] == "256"
    assert rows[0]["mip6.auth.subtype"] == "1"
    # tshark 4.0 shows Length - 7 octets of data (it takes Type and Length as counted in
    # Length); RFC 4285 section 5 counts Subtype, SPI and data only: 30 of our 32 shown
    shown = rows[0]["mip6.auth.auth_data"].replace(":", "")
    assert len(shown) in (60, 64) and vec[41:73].hex().startswith(shown)
    assert rows[0]["_ws.malformed"] == ""
    # flowmob.lua: the same option in its own messages (FMI) and in a PBU
    lua = os.path.join(ROOT, "tools", "wireshark", "flowmob.lua")
    p = subprocess.run([TSHARK, "-X", f"lua_script:{lua}", "-r", str(pcap), "-T", "fields",
                        "-e", "flowmob.auth.subtype", "-e", "flowmob.auth.spi",
                        "-e", "flowmob.auth.data"], capture_output=True, timeout=60, check=True)
    lines = [l.split("\t") for l in p.stdout.decode().splitlines()]
    assert lines[0] == ["1", "256", vec[41:73].hex()]
    assert lines[1] == ["1", "4242", "ab" * 32]
