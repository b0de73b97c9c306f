#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""mag_lma.py: a crafted LMA for the MAG's namespace tests (no flowmobd in the lma
namespace). Runs inside the namespace (`ip netns exec NS python3 mag_lma.py ...`) and
speaks Mobility Header on a raw IPPROTO_MH socket (the kernel fills and checks the
checksum); messages are encoded and decoded with build/flowmob-mh (JSON form).

  serve --mh BIN --log FILE --policy FILE [--addr fd00:11::1]
        logs every MH message received as one JSON line {"t", "src", "msg"}, and
        answers PBUs as the policy file (re-read for every PBU) says:
        {"answer": true, "status": 0, "prefixes": ["fd00:100::/64"], "bid": 1,
         "flow_ids": [ {flow-id option JSON} ]}
  send --mh BIN [--addr fd00:11::1] --to ADDR JSON
        encodes one message and sends it.
"""
import argparse
import json
import socket
import subprocess
import sys
import time

MH = 135


def encode(mh_bin, msg):
    p = subprocess.run([mh_bin, "encode", "--hex"], input=json.dumps(msg), text=True,
                       capture_output=True, timeout=10)
    if p.returncode != 0:
        raise RuntimeError(f"flowmob-mh encode failed: {p.stderr} for {msg}")
    return bytes.fromhex(p.stdout.strip().splitlines()[0])


def decode(mh_bin, data):
    p = subprocess.run([mh_bin, "decode", "--hex"], input=data.hex() + "\n", text=True,
                       capture_output=True, timeout=10)
    if p.returncode != 0 or not p.stdout.strip():
        return {"undecodable": data.hex(), "error": p.stderr.strip()}
    return json.loads(p.stdout.strip().splitlines()[0])


def sock(addr):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, MH)
    s.bind((addr, 0))
    return s


def pba_for(pbu, policy):
    opts = pbu.get("options", [])
    keep = [o for o in opts if o["type"] in ("mn-id", "hi", "att", "ll-id", "timestamp")]
    out = [o for o in keep if o["type"] == "mn-id"]
    if pbu.get("lifetime", 0) == 0:
        out += [o for o in opts if o["type"] == "hnp"]
    else:
        out += [{"type": "hnp", "prefix": p} for p in policy.get("prefixes", [])]
    out += [o for o in keep if o["type"] != "mn-id"]
    if policy.get("bid"):
        out.append({"type": "bid", "bid": policy["bid"], "status": 0, "h": False,
                    "priority": 0})
    out += policy.get("flow_ids", [])
    return {"type": "pba", "seq": pbu["seq"], "status": policy.get("status", 0),
            "flags": "P", "lifetime": pbu.get("lifetime", 0) if not policy.get("status") else 0,
            "options": out}


def serve(a):
    s = sock(a.addr)
    with open(a.log, "a", buffering=1) as log:
        log.write(json.dumps({"t": time.time(), "ready": True}) + "\n")
        while True:
            data, peer = s.recvfrom(65535)
            msg = decode(a.mh, data)
            log.write(json.dumps({"t": time.time(), "src": peer[0], "msg": msg}) + "\n")
            if msg.get("type") != "pbu":
                continue
            try:
                with open(a.policy) as f:
                    policy = json.load(f)
            except (OSError, ValueError):
                policy = {"answer": False}
            if not policy.get("answer", True):
                continue
            reply = pba_for(msg, policy)
            s.sendto(encode(a.mh, reply), (peer[0], 0))
            log.write(json.dumps({"t": time.time(), "sent": reply}) + "\n")


def send(a):
    s = sock(a.addr)
    s.sendto(encode(a.mh, json.loads(a.json)), (a.to, 0))


def main(argv):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--mh", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--policy", required=True)
    p.add_argument("--addr", default="fd00:11::1")
    p = sub.add_parser("send")
    p.add_argument("--mh", required=True)
    p.add_argument("--addr", default="fd00:11::1")
    p.add_argument("--to", default="fd00:11::2")
    p.add_argument("json")
    a = ap.parse_args(argv)
    return serve(a) if a.cmd == "serve" else send(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
